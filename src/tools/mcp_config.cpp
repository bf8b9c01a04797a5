#include "tools/mcp_config.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "util/paths.h"

namespace voxterm {
namespace {

constexpr int kMaxTimeoutMs = 24 * 3600 * 1000;

std::string Text(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

// argv and environ end a string at its first NUL: a value with one would run as less than the
// user wrote.
bool HasNul(const rapidjson::Value& v) {
  return memchr(v.GetString(), '\0', v.GetStringLength()) != nullptr;
}

bool IsServerName(const std::string& name) {
  return IsName(name, kMaxMcpServerNameLength) && name.find("__") == std::string::npos;
}

// Checks one server's members, each error naming the server and the key at its line.
class ServerReader {
 public:
  ServerReader(const ConfigLocator& where, const std::string& name)
      : where_(where), base_("/mcp_servers/" + name), label_("MCP server \"" + name + "\"") {}

  Status Error(const std::string& key, const std::string& what) const {
    return Status::Error(where_(key.empty() ? base_ : base_ + "/" + key) + ": " + label_ +
                         (key.empty() ? " " : ": \"" + key + "\" ") + what);
  }

  Status Read(const rapidjson::Value& v, McpServerConfig* server) {
    if (!v.IsObject()) return Error("", "must be an object");
    // A hosted server is another feature: said plainly rather than "not a known key".
    if (v.HasMember("url")) {
      return Error("url",
                   "(a hosted MCP server) is not supported: voxterm starts local servers, "
                   "given by \"command\"");
    }
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      Status s = Member(Text(it->name), it->value, server);
      if (!s.ok()) return s;
    }
    if (server->command.empty()) return Error("", "needs a \"command\" (a list of arguments)");
    return Status::Ok();
  }

 private:
  using KeyReader = Status (ServerReader::*)(const char* key, const rapidjson::Value& v,
                                             McpServerConfig* server);
  struct KnownKey {
    const char* key;
    KeyReader read;
  };

  Status Member(const std::string& key, const rapidjson::Value& v, McpServerConfig* server) {
    static constexpr KnownKey kKeys[] = {
        {"command", &ServerReader::Command},
        {"env", &ServerReader::Env},
        {"cwd", &ServerReader::Cwd},
        {"confirm", &ServerReader::Confirm},
        {"timeout_ms", &ServerReader::TimeoutMs},
    };
    for (const KnownKey& known : kKeys) {
      if (key == known.key) return (this->*known.read)(known.key, v, server);
    }
    return Error(key, "is not a known MCP server key (see docs/config.md)");
  }

  Status Command(const char* key, const rapidjson::Value& v, McpServerConfig* server) {
    if (!v.IsArray() || v.Empty())
      return Error(key, "must be a list of strings, the program first");
    for (const auto& arg : v.GetArray()) {
      if (!arg.IsString() || HasNul(arg))
        return Error(key, "must be a list of strings, the program first");
      server->command.push_back(Text(arg));
    }
    if (server->command[0].empty()) return Error(key, "must name a program first");
    return Status::Ok();
  }

  Status Env(const char* key, const rapidjson::Value& v, McpServerConfig* server) {
    if (!v.IsObject()) return Error(key, "must be an object of strings");
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      const std::string name = Text(it->name);
      if (!IsEnvName(name)) return Error(key, "has \"" + name + "\", which is not a variable name");
      if (!it->value.IsString() || HasNul(it->value))
        return Error(key, "must be an object of strings");
      server->env.emplace_back(name, Text(it->value));
    }
    return Status::Ok();
  }

  // Checked when the server starts, not here: the directory may appear after start-up.
  Status Cwd(const char* key, const rapidjson::Value& v, McpServerConfig* server) {
    if (!v.IsString() || v.GetStringLength() == 0 || HasNul(v))
      return Error(key, "must be a directory");
    server->cwd = ExpandHome(Text(v));
    return Status::Ok();
  }

  // true or false for every tool, or the names of the tools to ask about (as the server names
  // them, without the "SERVER__"). A name the server turns out not to have is harmless.
  Status Confirm(const char* key, const rapidjson::Value& v, McpServerConfig* server) {
    if (v.IsBool()) {
      server->confirm_all = v.GetBool();
      return Status::Ok();
    }
    const char* kWhat = "must be true, false or a list of tool names";
    if (!v.IsArray()) return Error(key, kWhat);
    for (const auto& name : v.GetArray()) {
      if (!name.IsString() || !IsName(Text(name), 64)) return Error(key, kWhat);
      server->confirm_tools.push_back(Text(name));
    }
    return Status::Ok();
  }

  Status TimeoutMs(const char* key, const rapidjson::Value& v, McpServerConfig* server) {
    if (!v.IsInt() || v.GetInt() < 1 || v.GetInt() > kMaxTimeoutMs) {
      return Error(key, "must be a whole number from 1 to " + std::to_string(kMaxTimeoutMs));
    }
    server->timeout_ms = v.GetInt();
    return Status::Ok();
  }

  const ConfigLocator& where_;
  const std::string base_;
  const std::string label_;
};

}  // namespace

bool McpServerConfig::NeedsConfirm(const std::string& tool) const {
  return confirm_all ||
         std::find(confirm_tools.begin(), confirm_tools.end(), tool) != confirm_tools.end();
}

Result<std::vector<McpServerConfig>> ParseMcpServers(const rapidjson::Value& servers,
                                                     const ConfigLocator& where) {
  if (!servers.IsObject()) {
    return Status::Error(where("/mcp_servers") +
                         ": \"mcp_servers\" must be an object of servers, by name");
  }
  std::vector<McpServerConfig> out;
  std::set<std::string> seen;
  for (auto it = servers.MemberBegin(); it != servers.MemberEnd(); ++it) {
    const std::string name = Text(it->name);
    if (!IsServerName(name)) {
      return Status::Error(where("/mcp_servers/" + name) + ": MCP server \"" + name +
                           "\": the name must be 1 to " + std::to_string(kMaxMcpServerNameLength) +
                           " letters, digits, _ or -, without \"__\"");
    }
    ServerReader reader(where, name);
    // RapidJSON keeps both members of a name given twice: the user meant one of them.
    if (!seen.insert(name).second) return reader.Error("", "is declared twice");
    McpServerConfig server;
    server.name = name;
    Status s = reader.Read(it->value, &server);
    if (!s.ok()) return s;
    out.push_back(std::move(server));
  }
  return out;
}

}  // namespace voxterm
