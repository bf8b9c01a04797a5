// CaptureTicks: when the main thread next takes the microphone's samples. Just after the input's
// next delivery, from when it delivered last and how long its blocks are, so that a frame goes
// to the server about kAfterNs after the callback that completed it, whatever the phase between
// the two, and the main thread wakes once per block, not more. An input callback cannot wake the
// main thread itself (it does no I/O: architecture.md, Threads), so the main thread keeps time
// by it.
// A late delivery is looked for again after 0.5 ms, then 1, 2, 4, 8: a device whose callbacks
// jitter costs a wake-up or two, one that has stopped a tick every fallback period. Without an
// input's timing (not started, a device that does not say its block) the ticks are the fallback
// period apart. Thread safety: main thread only; pure arithmetic on the times it is given.
#pragma once

#include <cstdint>

namespace voxterm {

class CaptureTicks {
 public:
  // How long after a delivery its tick falls: the scheduler's slack, so that the callback has
  // written the ring.
  static constexpr int64_t kAfterNs = 500'000;
  static constexpr int64_t kFirstRetryNs = 500'000;

  explicit CaptureTicks(int64_t fallback_ns) : fallback_ns_(fallback_ns) {}

  // The time (MonotonicNs) of the next tick, asked at a tick at now_ns. delivered_at_ns: the
  // input's newest delivery (0: none yet); block_ns: its period (0: unknown).
  int64_t Next(int64_t now_ns, int64_t delivered_at_ns, int64_t block_ns);

 private:
  const int64_t fallback_ns_;
  int64_t last_delivered_ns_ = 0;
  int misses_ = 0;  // ticks in a row that found no new delivery
};

}  // namespace voxterm
