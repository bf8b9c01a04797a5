// McpServerConfig: one local MCP server the user declared in the config file's "mcp_servers"
// object (docs/config.md, "MCP servers"). voxterm starts its command and speaks the MCP stdio
// transport with it (tools/mcp_server.h); the model sees its tools as SERVER__TOOL.
// An entry with a "url" is a hosted server instead (protocol/session_options.h): the API calls
// it, and voxterm only declares it to the session.
// Thread safety: plain data, immutable after start-up.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <utility>
#include <vector>

#include "protocol/session_options.h"
#include "tools/tool_config.h"
#include "util/status.h"

namespace voxterm {

// A server's name: 1 to 32 of [A-Za-z0-9_-], without "__". The model's function name is
// NAME__TOOL, and the API allows 64 characters: a short server name leaves room for the tool's,
// and no "__" inside keeps the split between them unambiguous.
constexpr size_t kMaxMcpServerNameLength = 32;

struct McpServerConfig {
  std::string name;
  std::vector<std::string> command;                      // the program first; run directly
  std::vector<std::pair<std::string, std::string>> env;  // added to the inherited environment
  std::string cwd;                                       // "~/" expanded; empty: voxterm's own
  // Ask on the terminal before a call: every tool (confirm_all), or those named.
  bool confirm_all = false;
  std::vector<std::string> confirm_tools;
  // The time limit of each request: the handshake, a tools/list, a tools/call.
  int timeout_ms = 10000;

  bool NeedsConfirm(const std::string& tool) const;
};

// Checks and reads the "mcp_servers" object, in the file's order: local servers into the
// result, hosted ones (with "url") into *hosted. An error names the file, the line, the server
// and the key, as ParseTools' do, and never a header's value.
Result<std::vector<McpServerConfig>> ParseMcpServers(const rapidjson::Value& servers,
                                                     const ConfigLocator& where,
                                                     std::vector<HostedMcpServer>* hosted);

}  // namespace voxterm
