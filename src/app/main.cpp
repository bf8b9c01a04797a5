// voxterm: talk with an OpenAI Realtime model from a terminal. See README.md.
#include <fcntl.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "app/run.h"

namespace {

// Before anything else runs, and so before the API key is read:
// - The process is not dumpable: other processes of the user (a tool the model runs, say) cannot
//   read its memory or /proc/PID/environ, attach to it, or find the key in a core file.
// - Descriptors 0, 1 and 2 are open: started without one, voxterm's first file (the event log)
//   would take its number, and answers or diagnostics would be written into it.
void HardenProcess() {
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) >= 0) continue;
    // open() takes the lowest free number, which is fd.
    const int opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened > 2) close(opened);  // cannot happen, since fd was free
  }
}

// Before any thread starts. glibc serves a block over 128 KiB by mmap, but raises that threshold
// to the size of each such block freed: after the first 1 MB message (a .done event holds the
// whole answer: 1 MB for 100,000 words), the next ones come from the network thread's and the
// main thread's heaps, whose freed space stays resident. Pinned (which also stops its growing),
// each large message is mapped and given back whole: 1 MB less at the peak of a 100,000-word
// answer (docs/performance.md). Audio deltas, tens of KB, are below it.
void PinMalloc() { mallopt(M_MMAP_THRESHOLD, 256 * 1024); }

}  // namespace

int main(int argc, char** argv) {
  HardenProcess();
  PinMalloc();
  return voxterm::Main(argc, argv);
}
