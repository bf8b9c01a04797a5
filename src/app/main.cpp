// voxterm: talk with an OpenAI Realtime model from a terminal. See README.md.
#include <sys/prctl.h>

#include "app/run.h"

namespace {

// Before anything else runs, and so before the API key is read:
// - The process is not dumpable: other processes of the user (a tool the model runs, say) cannot
//   read its memory or /proc/PID/environ, attach to it, or find the key in a core file.
void HardenProcess() { prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

}  // namespace

int main(int argc, char** argv) {
  HardenProcess();
  return voxterm::Main(argc, argv);
}
