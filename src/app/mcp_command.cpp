#include "app/mcp_command.h"

#include <poll.h>

#include "tools/mcp_server.h"
#include "tools/tool_command.h"
#include "util/exit_code.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

// A server's text on the user's terminal: one line, with nothing a terminal would act on.
std::string Shown(std::string_view text) {
  std::string out;
  AppendForDisplay(text, LineBreaks::kEscape, &out);
  return out;
}

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return fd >= 0 && poll(&p, 1, 0) > 0;
}

}  // namespace

int RunMcpCommand(const Config& config, const char* const* environ, int interrupt_fd, FILE* out) {
  if (config.mcp_servers.empty() && config.hosted_mcp_servers.empty()) {
    fprintf(out, "no MCP servers are configured (\"mcp_servers\" in docs/config.md)\n");
    return ToInt(ExitCode::kSuccess);
  }
  const std::vector<std::string> base_env = ToolBaseEnvironment(environ);
  bool all_started = true;
  for (const McpServerConfig& server_config : config.mcp_servers) {
    // One at a time, each stopped before the next starts: at most one child at any moment.
    McpServer server(server_config, base_env);
    server.SetInterruptFd(interrupt_fd);
    Status started = server.Start();
    if (Readable(interrupt_fd)) return ToInt(ExitCode::kInterrupted);
    if (!started.ok()) {
      fprintf(out, "%s: does not start: %s\n", server_config.name.c_str(),
              Shown(started.message()).c_str());
      all_started = false;
      continue;
    }
    const size_t count = server.tools().size();
    fprintf(out, "%s: started, %zu tool%s\n", server_config.name.c_str(), count,
            count == 1 ? "" : "s");
    for (const McpTool& tool : server.tools()) {
      const std::string function = server_config.name + "__" + tool.name;
      fprintf(out, "  %s%s%s%s\n", function.c_str(),
              server_config.NeedsConfirm(tool.name) ? " (asks first)" : "",
              tool.description.empty() ? "" : ": ", Shown(tool.description).c_str());
    }
    for (const std::string& skipped : server.skipped())
      fprintf(out, "  left out: %s\n", Shown(skipped).c_str());
  }
  // voxterm cannot start these nor list their tools: the API does, in each session. Never the
  // headers: they are secrets.
  for (const HostedMcpServer& hosted : config.hosted_mcp_servers) {
    fprintf(out, "%s: hosted at %s: called by the API, not started by voxterm\n",
            hosted.label.c_str(), Shown(hosted.url).c_str());
    fprintf(out, "  approval: %s%s\n", Shown(hosted.require_approval_json).c_str(),
            hosted.headers.empty() ? "" : "; headers set (not shown)");
    if (hosted.has_allowed_tools) {
      std::string names;
      for (const std::string& name : hosted.allowed_tools)
        names += (names.empty() ? "" : ", ") + name;
      fprintf(out, "  allowed tools: %s\n", names.empty() ? "none" : names.c_str());
    }
  }
  fflush(out);
  return ToInt(all_started ? ExitCode::kSuccess : ExitCode::kFailure);
}

}  // namespace voxterm
