// When a lost connection is worth another try, and when to make it.
// Thread safety: pure functions; a Backoff belongs to one thread.
#pragma once

#include <cstdint>
#include <functional>

namespace voxterm {

// Close codes that say "try again": going away (also the end of a session's time), abnormal
// closure (a reset, a ping that got no answer), internal error, service restart, try again later.
bool IsTransientClose(int code);

// Exponential backoff with jitter: 0.5 s, 1 s, 2 s, 4 s, then 8 s, each up to a quarter longer
// at random (so that clients cut off together do not come back together), never over 8 s.
class Backoff {
 public:
  static constexpr int64_t kFirstDelayMs = 500;
  static constexpr int64_t kMaxDelayMs = 8000;

  // tries: how many attempts after a loss; random: uniform in [0, 1), injected for tests.
  Backoff(int tries, std::function<double()> random);

  // The wait before the next try, or -1 once the tries are used up.
  int64_t NextDelayMs();
  // A connection worked: the next loss starts again from the first delay.
  void Reset() { made_ = 0; }
  int tries_made() const { return made_; }
  int tries() const { return tries_; }

 private:
  const int tries_;
  const std::function<double()> random_;
  int made_ = 0;
};

}  // namespace voxterm
