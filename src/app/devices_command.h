// `voxterm devices`: the audio devices PortAudio finds, as a table or (--json) as JSON; with
// --test, a check of the ones a conversation would use: a short tone on the speaker, then the
// microphone's level for a few seconds.
// Thread safety: main thread only.
#pragma once

#include <cstdio>

#include "app/config.h"

namespace voxterm {

enum class DevicesCommand { kList, kJson, kTest };

// Returns the exit code: 0; 1 when the devices could not be listed or opened, or (--test) the
// microphone heard nothing.
int RunDevicesCommand(const Config& config, DevicesCommand command, FILE* out);

}  // namespace voxterm
