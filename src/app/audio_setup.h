// Choosing and opening the audio devices a configuration asks for: PortAudio devices by index or
// name, or files, in each direction independently.
#pragma once

#include <cstdio>
#include <memory>

#include "app/config.h"
#include "audio/audio_device.h"
#include "audio/portaudio_device.h"

namespace voxterm {

struct AudioSetup {
  std::unique_ptr<PortAudioSystem>
      portaudio;                      // only when a sound card is used; outlives the streams
  std::unique_ptr<AudioInput> input;  // null when no input is wanted
  std::unique_ptr<AudioOutput> output;
};

enum class WantInput { kNo, kYes };

// Opens what config asks for; the error says which device and why (exit code 2 or 1).
Result<AudioSetup> OpenAudio(const Config& config, WantInput want_input);

// `voxterm devices`: the table of inputs and outputs, to out.
Status ListDevices(FILE* out);

}  // namespace voxterm
