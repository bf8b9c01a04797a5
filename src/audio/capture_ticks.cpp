#include "audio/capture_ticks.h"

#include <algorithm>

namespace voxterm {

int64_t CaptureTicks::Next(int64_t now_ns, int64_t delivered_at_ns, int64_t block_ns) {
  if (delivered_at_ns <= 0 || block_ns <= 0) return now_ns + fallback_ns_;
  misses_ = delivered_at_ns == last_delivered_ns_ ? std::min(misses_ + 1, 30) : 0;
  last_delivered_ns_ = delivered_at_ns;
  const int64_t due = delivered_at_ns + block_ns + kAfterNs;
  if (due > now_ns) return due;
  // The block is late (or the main thread was): look again soon, then less and less often.
  const int64_t wait = misses_ == 0 ? kFirstRetryNs : kFirstRetryNs << std::min(misses_ - 1, 5);
  return now_ns + std::min(wait, fallback_ns_);
}

}  // namespace voxterm
