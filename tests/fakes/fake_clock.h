// FakeClock: time that moves only when a test says so (leveldb's Env::NowMicros, mocked).
#pragma once

#include "util/clock.h"

namespace voxterm {

class FakeClock : public Clock {
 public:
  int64_t NowMs() const override { return now_ms; }
  void Advance(int64_t ms) { now_ms += ms; }
  int64_t now_ms = 1000;
};

}  // namespace voxterm
