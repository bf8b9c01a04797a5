#include "transport/reconnect.h"

#include <algorithm>

namespace voxterm {

bool IsTransientClose(int code) {
  return code == 1001 || code == 1006 || code == 1011 || code == 1012 || code == 1013 ||
         code == kCloseMaybeRewritten;
}

Backoff::Backoff(int tries, std::function<double()> random)
    : tries_(tries), random_(std::move(random)) {}

int64_t Backoff::NextDelayMs() {
  if (made_ >= tries_) return -1;
  // The waits stop growing at four fifths of the longest, so that the jitter still spreads them
  // there: clients cut off together, and failing together, do not come back every 8 s in step.
  const int64_t base = std::min(kMaxDelayMs * 4 / 5, kFirstDelayMs << std::min(made_, 5));
  ++made_;
  return std::min(kMaxDelayMs,
                  base + static_cast<int64_t>(random_() * static_cast<double>(base) / 4));
}

}  // namespace voxterm
