#include "tools/child_groups.h"

#include <signal.h>

#include <atomic>

namespace voxterm {
namespace {

std::atomic<pid_t> g_groups[kMaxChildGroups];  // 0: a free slot

}  // namespace

bool RegisterChildGroup(pid_t group) {
  for (auto& slot : g_groups) {
    pid_t free = 0;
    if (slot.compare_exchange_strong(free, group)) return true;
  }
  return false;
}

void UnregisterChildGroup(pid_t group) {
  for (auto& slot : g_groups) {
    pid_t mine = group;
    if (slot.compare_exchange_strong(mine, 0)) return;
  }
}

void KillChildGroups() {
  for (auto& slot : g_groups) {
    const pid_t group = slot.load();
    if (group > 0) kill(-group, SIGKILL);
  }
}

}  // namespace voxterm
