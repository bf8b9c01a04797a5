#include "audio/playback_path.h"

#include <catch2/catch.hpp>
#include <vector>

namespace voxterm {
namespace {

TEST_CASE("PlaybackPath: what waits for the speaker is bounded, whatever a server sends",
          "[playback]") {
  // Given a speaker at the API's rate that plays nothing yet, and a server that sends audio far
  // faster than it could be played
  SpscRing<int16_t> ring(1 << 16);
  PlaybackCounters counters;
  PlaybackPath path(kApiSampleRateHz, &ring, &counters);
  const std::vector<int16_t> second(kApiSampleRateHz, 100);
  const size_t limit = static_cast<size_t>(PlaybackPath::kMaxWaitingSeconds) * kApiSampleRateHz;
  // When more than the limit arrives, second by second
  size_t queued = 0, refused = 0;
  for (int s = 0; s < PlaybackPath::kMaxWaitingSeconds + 60; ++s) {
    const size_t frames = path.Write(second.data(), second.size());
    queued += frames;
    if (frames == 0) ++refused;
  }
  // Then what waits stops at the limit: the rest is refused (the caller says so), not queued
  CHECK(path.waiting_frames() <= limit);
  CHECK(queued <= limit);
  CHECK(refused >= 60);
  CHECK(path.queued_frames() == queued);
  // And once the speaker has played some, there is room again
  std::vector<int16_t> played(ring.capacity());
  REQUIRE(ring.Read(played.data(), played.size()) == played.size());
  path.Pump();
  CHECK(path.Write(second.data(), second.size()) == second.size());
}

}  // namespace
}  // namespace voxterm
