#include "audio/alsa_messages.h"

#include <alsa/asoundlib.h>

#include <catch2/catch.hpp>

namespace voxterm {
namespace {

TEST_CASE("ALSA's messages are counted, not printed", "[audio][alsa]") {
  // Given the handler, and alsa-lib asked for a device it cannot find (it complains, as it
  // does while PortAudio probes)
  CountAlsaMessages();
  const AlsaMessageCounts before = AlsaMessages();
  snd_pcm_t* pcm = nullptr;
  const int opened = snd_pcm_open(&pcm, "voxterm_no_such_device", SND_PCM_STREAM_PLAYBACK, 0);
  if (opened == 0) snd_pcm_close(pcm);
  // Then the complaint is counted, as something other than an underrun
  CHECK(opened < 0);
  const AlsaMessageCounts after = AlsaMessages();
  CHECK(after.other > before.other);
  CHECK(after.underruns == before.underruns);
}

}  // namespace
}  // namespace voxterm
