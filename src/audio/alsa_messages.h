// ALSA's own messages ("ALSA lib pcm.c:8570:(snd_pcm_recover) underrun occurred", and the
// dozens of lines PortAudio's probing of missing cards prints on many desktops) are about the
// sound system, not voxterm, and would land in the middle of the transcript. They are counted
// instead of printed, and reported with -v when PortAudio shuts down.
//
// Thread safety: ALSA calls the handler on whatever thread met the problem, PortAudio's audio
// threads included: it only bumps atomic counters (no locks, allocation or I/O).
#pragma once

#include <cstdint>

namespace voxterm {

// Installs the handler (process-wide, for alsa-lib); call before Pa_Initialize.
void CountAlsaMessages();

struct AlsaMessageCounts {
  uint64_t underruns = 0;  // "underrun occurred" (the output ran dry) and overruns (the input)
  uint64_t other = 0;      // anything else: mostly probing
};
AlsaMessageCounts AlsaMessages();

}  // namespace voxterm
