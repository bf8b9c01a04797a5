#include "audio/playback_path.h"

#include <algorithm>
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

TEST_CASE("PlaybackPath: a long backlog plays in order, whole, across its blocks", "[playback]") {
  // Given a small ring and a server that sends an answer in uneven pieces, far ahead of the
  // speaker (several of the backlog's blocks' worth)
  SpscRing<int16_t> ring(4096);
  PlaybackCounters counters;
  PlaybackPath path(kApiSampleRateHz, &ring, &counters);
  const size_t total = 700001;
  std::vector<int16_t> answer(total);
  for (size_t i = 0; i < total; ++i) answer[i] = static_cast<int16_t>(i * 7919 % 65521 - 32760);
  for (size_t at = 0, piece = 1; at < total; at += piece, piece = piece * 3 % 40009 + 1) {
    piece = std::min(piece, total - at);
    REQUIRE(path.Write(answer.data() + at, piece) == piece);
  }
  CHECK(path.waiting_frames() == total);
  // When the speaker plays it, a ring's worth at a time
  std::vector<int16_t> heard;
  std::vector<int16_t> chunk(1000);
  while (heard.size() < total) {
    path.Pump();
    const size_t n = ring.Read(chunk.data(), chunk.size());
    REQUIRE(n > 0);
    heard.insert(heard.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
  }
  // Then every frame comes out once, in the order it was sent, and nothing waits any more
  CHECK(heard == answer);
  CHECK(path.waiting_frames() == 0);
  // And a new answer goes straight to the ring again
  CHECK(path.Write(answer.data(), 10) == 10);
  CHECK(ring.ReadAvailable() == 10);
}

}  // namespace
}  // namespace voxterm
