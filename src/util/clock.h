// Clock: where time comes from. Abstract so that watchdogs, backoff and session renewal can be
// tested without sleeping (leveldb's Env::NowMicros).
#pragma once

#include <chrono>
#include <cstdint>

namespace voxterm {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic milliseconds from an arbitrary origin.
  virtual int64_t NowMs() const = 0;
};

class SteadyClock : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// CLOCK_MONOTONIC in nanoseconds, the clock every thread and other processes share (the
// benchmarks compare it with the mock's). A vDSO read, so audio callbacks may take it.
inline int64_t MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace voxterm
