// voxterm: talk with an OpenAI Realtime model from a terminal. See README.md.
#include <fcntl.h>
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

}  // namespace

int main(int argc, char** argv) {
  HardenProcess();
  return voxterm::Main(argc, argv);
}
