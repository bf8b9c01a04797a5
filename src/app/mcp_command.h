// `voxterm mcp`: each MCP server of the config file (docs/config.md, "MCP servers") started,
// shaken hands with and asked for its tools, then stopped: whether it starts (and why not), and
// its tools as the model would see them (SERVER__TOOL) with their descriptions. A hosted server
// (one with "url") is listed as such: the API calls it, so voxterm starts nothing for it.
// Thread safety: main thread only.
#pragma once

#include <cstdio>

#include "app/config.h"

namespace voxterm {

// Returns the exit code: 0 when every server started (or none is configured), 1 when one did
// not, 130 when interrupt_fd (voxterm's signal descriptor, or -1) became readable: the server
// starting then is killed at once, and the rest are not started. environ is the process's,
// passed in for tests: the servers get it without the API keys.
int RunMcpCommand(const Config& config, const char* const* environ, int interrupt_fd, FILE* out);

}  // namespace voxterm
