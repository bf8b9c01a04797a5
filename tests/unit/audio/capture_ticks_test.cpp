#include "audio/capture_ticks.h"

#include <catch2/catch.hpp>

namespace voxterm {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST_CASE("CaptureTicks: the tick falls just after each delivery of the input", "[capture_ticks]") {
  // Given an input that delivers 10 ms blocks on time
  CaptureTicks ticks(10 * kMs);
  int64_t delivered = 1000 * kMs;
  for (int i = 0; i < 5; ++i) {
    // When the tick after a delivery asks for the next one
    const int64_t now = delivered + CaptureTicks::kAfterNs;
    const int64_t next = ticks.Next(now, delivered, 10 * kMs);
    // Then it is due just after the next delivery, not a free-running period later
    CHECK(next == delivered + 10 * kMs + CaptureTicks::kAfterNs);
    delivered += 10 * kMs;
  }
}

TEST_CASE("CaptureTicks: a late delivery is looked for again soon, then less and less often",
          "[capture_ticks]") {
  CaptureTicks ticks(10 * kMs);
  const int64_t delivered = 1000 * kMs;
  int64_t now = delivered + CaptureTicks::kAfterNs;
  int64_t due = ticks.Next(now, delivered, 10 * kMs);
  // When the next block is late: each tick that finds nothing waits twice as long as the last,
  // never longer than the fallback period
  std::vector<int64_t> waits_us;
  for (int i = 0; i < 7; ++i) {
    now = due;
    due = ticks.Next(now, delivered, 10 * kMs);
    waits_us.push_back((due - now) / 1000);
  }
  CHECK(waits_us == std::vector<int64_t>{500, 1000, 2000, 4000, 8000, 10000, 10000});
  // And once the block has come, the ticks follow the input again
  const int64_t late = now + 3 * kMs;
  CHECK(ticks.Next(late + kMs, late, 10 * kMs) == late + 10 * kMs + CaptureTicks::kAfterNs);
}

TEST_CASE("CaptureTicks: a main thread that fell behind never asks for a tick in the past",
          "[capture_ticks]") {
  CaptureTicks ticks(10 * kMs);
  // Given a tick 25 ms after the newest delivery (the main thread was busy, the input is late)
  const int64_t delivered = 1000 * kMs;
  const int64_t now = delivered + 25 * kMs;
  // Then the next is still in the future, soon
  const int64_t next = ticks.Next(now, delivered, 10 * kMs);
  CHECK(next > now);
  CHECK(next <= now + 10 * kMs);
}

TEST_CASE("CaptureTicks: without an input's timing, a tick every fallback period",
          "[capture_ticks]") {
  CaptureTicks ticks(10 * kMs);
  // Not started yet (no delivery), or an input that does not say its block
  CHECK(ticks.Next(5 * kMs, 0, 10 * kMs) == 15 * kMs);
  CHECK(ticks.Next(5 * kMs, 4 * kMs, 0) == 15 * kMs);
}

TEST_CASE("CaptureTicks: an input with blocks longer than the fallback is waited for",
          "[capture_ticks]") {
  CaptureTicks ticks(10 * kMs);
  // Given 40 ms blocks: one tick per block, not four
  const int64_t delivered = 1000 * kMs;
  CHECK(ticks.Next(delivered + kMs, delivered, 40 * kMs) ==
        delivered + 40 * kMs + CaptureTicks::kAfterNs);
}

}  // namespace
}  // namespace voxterm
