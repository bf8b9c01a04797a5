// Pacer: keeps a device's own thread in real time (the file and null devices, which have no
// sound card's clock to follow). Each wait ends at an absolute deadline on CLOCK_MONOTONIC, so
// the pace does not drift with the time each step takes (paex_record_file.c's loop, with
// clock_nanosleep instead of Pa_Sleep).
// Thread safety: one thread, the one it paces.
#pragma once

#include <time.h>

#include <cstdint>

namespace voxterm {

class Pacer {
 public:
  // The first deadline is counted from now.
  Pacer() { clock_gettime(CLOCK_MONOTONIC, &deadline_); }

  // Sleeps until step_ns after the previous deadline (at once if that has passed).
  void Wait(int64_t step_ns) {
    deadline_.tv_sec += static_cast<time_t>(step_ns / 1000000000);
    deadline_.tv_nsec += static_cast<long>(step_ns % 1000000000);
    if (deadline_.tv_nsec >= 1000000000L) {
      deadline_.tv_nsec -= 1000000000L;
      ++deadline_.tv_sec;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline_, nullptr) != 0) {
    }
  }

 private:
  timespec deadline_;
};

}  // namespace voxterm
