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
  const int64_t base = std::min(kMaxDelayMs, kFirstDelayMs << std::min(made_, 5));
  ++made_;
  return std::min(kMaxDelayMs,
                  base + static_cast<int64_t>(random_() * static_cast<double>(base) / 4));
}

}  // namespace voxterm
