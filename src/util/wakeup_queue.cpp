#include "util/wakeup_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace voxterm {

WakeupFd::WakeupFd() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  // Running out of descriptors at start-up leaves nothing sensible to do.
  if (fd_ < 0) abort();
}

WakeupFd::~WakeupFd() { close(fd_); }

void WakeupFd::Signal() {
  uint64_t one = 1;
  // EAGAIN means the counter is already huge: the consumer will wake anyway.
  while (write(fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void WakeupFd::Clear() {
  uint64_t count;
  while (read(fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
}

}  // namespace voxterm
