#include "tools/mcp_config.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

#include "protocol/json_write.h"
#include "util/paths.h"

namespace voxterm {
namespace {

constexpr int kMaxTimeoutMs = 24 * 3600 * 1000;
// A hosted server's URL and headers: generous for any real server, small for a session.update.
constexpr size_t kMaxUrlBytes = 2048;
constexpr size_t kMaxHeaders = 32;
constexpr size_t kMaxHeaderValueBytes = 8192;
constexpr size_t kMaxAllowedTools = 256;

std::string Text(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

// argv and environ end a string at its first NUL: a value with one would run as less than the
// user wrote.
bool HasNul(const rapidjson::Value& v) {
  return memchr(v.GetString(), '\0', v.GetStringLength()) != nullptr;
}

// An HTTP header's name is a token (RFC 9110 section 5.6.2).
bool IsHeaderName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && !strchr("!#$%&'*+-.^_`|~", c)) return false;
  }
  return true;
}

// A value with a control character could end the header and start another.
bool IsHeaderValue(std::string_view value) {
  if (value.size() > kMaxHeaderValueBytes) return false;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) return false;
  }
  return true;
}

// https://HOST... with a host, and nothing a URL cannot hold (spaces, control characters). The
// API fetches it from OpenAI's side, so http, and the user's own localhost, could not work; and
// the headers hold secrets that must not cross the network in the clear.
bool IsHttpsUrl(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() > kMaxUrlBytes || url.substr(0, kScheme.size()) != kScheme) return false;
  const std::string_view rest = url.substr(kScheme.size());
  if (rest.empty() || strchr("/?#:@", rest[0])) return false;
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '"' || c == '<' || c == '>' || c == '\\') return false;
  }
  return true;
}

// A filter of the schema's MCPToolFilter: {"tool_names": [names], "read_only": bool}, no more.
bool IsToolFilter(const rapidjson::Value& v) {
  if (!v.IsObject()) return false;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const std::string key = Text(it->name);
    if (key == "read_only" && it->value.IsBool()) continue;
    if (key != "tool_names" || !it->value.IsArray()) return false;
    for (const auto& name : it->value.GetArray()) {
      if (!name.IsString() || !IsName(Text(name), 64)) return false;
    }
  }
  return true;
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
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      Status s = Member(Text(it->name), it->value, server);
      if (!s.ok()) return s;
    }
    if (server->command.empty()) return Error("", "needs a \"command\" (a list of arguments)");
    return Status::Ok();
  }

  // A hosted server: the API calls it, so none of a local server's keys means anything for it.
  Status ReadHosted(const rapidjson::Value& v, HostedMcpServer* server) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      const std::string key = Text(it->name);
      Status s = key == "url"                ? Url(it->value, server)
                 : key == "headers"          ? Headers(it->value, server)
                 : key == "require_approval" ? RequireApproval(it->value, server)
                 : key == "allowed_tools"    ? AllowedTools(it->value, server)
                                             : Error(key,
                                                     "is not a key of a hosted MCP server (one "
                                                        "with \"url\"; see docs/config.md)");
      if (!s.ok()) return s;
    }
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

  Status Url(const rapidjson::Value& v, HostedMcpServer* server) {
    if (!v.IsString() || HasNul(v) || !IsHttpsUrl(Text(v))) {
      return Error("url", "must be an https:// URL (the API calls the server, never over http)");
    }
    server->url = Text(v);
    return Status::Ok();
  }

  // The values are secrets: no message quotes one.
  Status Headers(const rapidjson::Value& v, HostedMcpServer* server) {
    const char* kWhat = "must be an object of header names and string values";
    if (!v.IsObject() || v.MemberCount() > kMaxHeaders) {
      return Error("headers", std::string(kWhat) + ", at most " + std::to_string(kMaxHeaders));
    }
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      const std::string name = Text(it->name);
      if (!IsHeaderName(name)) return Error("headers", "has a name that is not a header name");
      if (!it->value.IsString()) return Error("headers", kWhat);
      if (!IsHeaderValue(Text(it->value))) {
        return Error("headers", "\"" + name + "\" has a control character or is over " +
                                    std::to_string(kMaxHeaderValueBytes) + " bytes");
      }
      server->headers.emplace_back(name, Text(it->value));
    }
    return Status::Ok();
  }

  // "always", "never", or the schema's filter object {"always": FILTER, "never": FILTER}, kept
  // as JSON for the session.update.
  Status RequireApproval(const rapidjson::Value& v, HostedMcpServer* server) {
    if (v.IsString() && (Text(v) == "always" || Text(v) == "never")) {
      server->require_approval_json = "\"" + Text(v) + "\"";
      return Status::Ok();
    }
    bool valid = v.IsObject();
    if (valid) {
      for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
        const std::string key = Text(it->name);
        valid = valid && (key == "always" || key == "never") && IsToolFilter(it->value);
      }
    }
    if (!valid) {
      return Error("require_approval",
                   "must be \"always\", \"never\", or {\"always\": FILTER, \"never\": FILTER} "
                   "with FILTER {\"tool_names\": [...], \"read_only\": true|false}");
    }
    JsonBuffer buffer;
    JsonWriter writer(buffer);
    v.Accept(writer);
    server->require_approval_json = buffer.str();
    return Status::Ok();
  }

  Status AllowedTools(const rapidjson::Value& v, HostedMcpServer* server) {
    const std::string what =
        "must be a list of tool names (at most " + std::to_string(kMaxAllowedTools) + ")";
    if (!v.IsArray() || v.Size() > kMaxAllowedTools) return Error("allowed_tools", what);
    for (const auto& name : v.GetArray()) {
      if (!name.IsString() || !IsName(Text(name), 64)) return Error("allowed_tools", what);
      server->allowed_tools.push_back(Text(name));
    }
    server->has_allowed_tools = true;
    return Status::Ok();
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
                                                     const ConfigLocator& where,
                                                     std::vector<HostedMcpServer>* hosted) {
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
    if (it->value.IsObject() && it->value.HasMember("url")) {
      HostedMcpServer server;
      server.label = name;
      Status s = reader.ReadHosted(it->value, &server);
      if (!s.ok()) return s;
      hosted->push_back(std::move(server));
      continue;
    }
    McpServerConfig server;
    server.name = name;
    Status s = reader.Read(it->value, &server);
    if (!s.ok()) return s;
    out.push_back(std::move(server));
  }
  return out;
}

}  // namespace voxterm
