// The process groups of voxterm's long-lived children (MCP servers), known to the signal
// watch: when it ends the process on its own (a signal the loop did not absorb in time, so no
// destructor runs), it kills them first, so that no server outlives voxterm by that path
// either. A fixed table of atomics: KillChildGroups() takes no lock and allocates nothing.
// Thread safety: Register and Unregister on the main thread; KillChildGroups from any thread.
#pragma once

#include <sys/types.h>

namespace voxterm {

constexpr int kMaxChildGroups = 64;

// Remembers a group (its leader's pid); false when the table is full (it is then not killed by
// KillChildGroups, only by its owner).
bool RegisterChildGroup(pid_t group);
void UnregisterChildGroup(pid_t group);
// SIGKILL to every group registered.
void KillChildGroups();

}  // namespace voxterm
