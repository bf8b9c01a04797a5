// Starting a child process the way every process voxterm runs for the model starts: tools
// (spawn_tool_runner.h) and MCP servers (mcp_server.h).
// posix_spawn, in a process group of its own (the terminal's Ctrl-C reaches voxterm, not the
// child, and a kill of the group reaches all the child started), every signal at its default and
// none blocked, the three descriptors given as its stdin, stdout and stderr, and no other
// descriptor of voxterm's.
// Thread safety: pure functions (they read the file system).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "util/status.h"

namespace voxterm {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is looked up on env's PATH when it has no slash
  std::vector<std::string> env;   // "NAME=value", the whole environment
  std::string cwd;                // empty: voxterm's own
};

// Starts spec with stdin_fd, stdout_fd and stderr_fd as its descriptors 0, 1 and 2 (the caller
// keeps and closes its own copies). Returns the child's pid, which is also its group's id; the
// error says what could not start ("x: command not found", "cwd /y: No such file or directory").
Result<pid_t> SpawnInOwnGroup(const ProcessSpec& spec, int stdin_fd, int stdout_fd, int stderr_fd);

}  // namespace voxterm
