#include "audio/capture_ticks.h"

#include <algorithm>

namespace voxterm {

void CaptureTicks::FollowGrid(int64_t delivered_at_ns, int64_t block_ns) {
  if (grid_ns_ == 0 || block_ns != block_ns_ || delivered_at_ns < grid_ns_) {
    grid_ns_ = delivered_at_ns;
    block_ns_ = block_ns;
    return;
  }
  // Where this delivery falls against the grid, within half a block either way.
  int64_t offset = (delivered_at_ns - grid_ns_) % block_ns;
  if (offset > block_ns / 2) offset -= block_ns;
  // The grid is the earliest the callbacks come: an early one moves it at once, late ones
  // (a callback's thread woken late, or the two clocks drifting) only slowly.
  grid_ns_ += offset < 0 ? offset : offset / 8;
  // Kept near the newest delivery, a whole number of blocks before it.
  grid_ns_ += (delivered_at_ns - grid_ns_) / block_ns * block_ns;
}

int64_t CaptureTicks::Next(int64_t now_ns, int64_t delivered_at_ns, int64_t block_ns) {
  if (delivered_at_ns <= 0 || block_ns <= 0) return now_ns + fallback_ns_;
  const bool fresh = delivered_at_ns != last_delivered_ns_;
  misses_ = fresh ? 0 : std::min(misses_ + 1, 30);
  last_delivered_ns_ = delivered_at_ns;
  if (fresh) FollowGrid(delivered_at_ns, block_ns);
  // The next delivery is due a block after the grid point at or before the newest one.
  const int64_t due =
      grid_ns_ + ((delivered_at_ns - grid_ns_) / block_ns + 1) * block_ns + kAfterNs;
  if (due > now_ns) return due;
  // The block is late (or the main thread was): look again soon, then less and less often.
  const int64_t wait = misses_ == 0 ? kFirstRetryNs : kFirstRetryNs << std::min(misses_ - 1, 5);
  return now_ns + std::min(wait, fallback_ns_);
}

}  // namespace voxterm
