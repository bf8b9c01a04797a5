#include "tools/tool_config.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "protocol/json_write.h"
#include "tools/tool_schema.h"
#include "util/paths.h"

namespace voxterm {
namespace {

constexpr int kMaxTimeoutMs = 24 * 3600 * 1000;
constexpr size_t kMinOutputBytes = 256;
constexpr size_t kMaxOutputBytes = 1u << 20;

std::string Text(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

// A string argv and environ can hold: C strings end at the first NUL, so a command with one
// would silently run with less than the user wrote.
bool HasNul(const rapidjson::Value& v) {
  return memchr(v.GetString(), '\0', v.GetStringLength()) != nullptr;
}

// Checks one tool's members, each error naming the tool and the key at its line.
class ToolReader {
 public:
  // The label starts as "tools[N]" and becomes the tool's name once that is known, so later
  // errors say which tool the user must fix.
  ToolReader(const ConfigLocator& where, size_t index)
      : where_(where), base_("/tools/" + std::to_string(index)) {
    label_ = "tools[" + std::to_string(index) + "]";
  }

  Status Error(const std::string& key, const std::string& what) const {
    return Status::Error(where_(key.empty() ? base_ : base_ + "/" + key) + ": " + label_ +
                         (key.empty() ? " " : ": \"" + key + "\" ") + what);
  }

  Status Read(const rapidjson::Value& v, ToolConfig* tool) {
    if (!v.IsObject()) return Error("", "must be an object");
    auto name = v.FindMember("name");
    if (name == v.MemberEnd()) return Error("", "needs a \"name\"");
    if (!name->value.IsString() || !IsName(Text(name->value), 64)) {
      return Error("name", "must be 1 to 64 letters, digits, _ or -");
    }
    tool->name = Text(name->value);
    label_ = "tool \"" + tool->name + "\"";
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      Status s = Member(Text(it->name), it->value, tool);
      if (!s.ok()) return s;
    }
    // Both would leave the user guessing which one runs; neither runs nothing.
    if (tool->command.empty() == tool->shell.empty()) {
      return Error(
          "", "needs exactly one of \"command\" (a list of arguments) and \"shell\" (a script)");
    }
    // The API wants an object schema even for a tool without arguments.
    if (tool->parameters_json.empty())
      tool->parameters_json = R"({"type":"object","properties":{}})";
    return Status::Ok();
  }

 private:
  // Each key's reader checks its value and stores it in *tool.
  using KeyReader = Status (ToolReader::*)(const char* key, const rapidjson::Value& v,
                                           ToolConfig* tool);
  struct KnownKey {
    const char* key;
    KeyReader read;
  };

  Status Member(const std::string& key, const rapidjson::Value& v, ToolConfig* tool) {
    static constexpr KnownKey kKeys[] = {
        {"name", &ToolReader::Name},
        {"description", &ToolReader::Description},
        {"parameters", &ToolReader::Parameters},
        {"command", &ToolReader::Command},
        {"shell", &ToolReader::Shell},
        {"timeout_ms", &ToolReader::TimeoutMs},
        {"max_output_bytes", &ToolReader::MaxOutputBytes},
        {"confirm", &ToolReader::Confirm},
        {"cwd", &ToolReader::Cwd},
        {"env", &ToolReader::Env},
    };
    for (const KnownKey& known : kKeys) {
      if (key == known.key) return (this->*known.read)(known.key, v, tool);
    }
    return Error(key, "is not a known tool key (see docs/config.md)");
  }

  // Read() reads the name first, so that every other error can say which tool it is about.
  Status Name(const char*, const rapidjson::Value&, ToolConfig*) { return Status::Ok(); }

  Status Description(const char* key, const rapidjson::Value& v, ToolConfig* tool) {
    if (!v.IsString()) return Error(key, "must be a string");
    tool->description = Text(v);
    return Status::Ok();
  }

  Status Command(const char* key, const rapidjson::Value& v, ToolConfig* tool) {
    if (!v.IsArray() || v.Empty())
      return Error(key, "must be a list of strings, the program first");
    for (const auto& arg : v.GetArray()) {
      if (!arg.IsString() || HasNul(arg))
        return Error(key, "must be a list of strings, the program first");
      tool->command.push_back(Text(arg));
    }
    if (tool->command[0].empty()) return Error(key, "must name a program first");
    return Status::Ok();
  }

  Status Shell(const char* key, const rapidjson::Value& v, ToolConfig* tool) {
    if (!v.IsString() || v.GetStringLength() == 0 || HasNul(v))
      return Error(key, "must be a script for /bin/sh");
    tool->shell = Text(v);
    return Status::Ok();
  }

  Status TimeoutMs(const char* key, const rapidjson::Value& v, ToolConfig* tool) {
    if (!v.IsInt() || v.GetInt() < 1 || v.GetInt() > kMaxTimeoutMs) {
      return Error(key, "must be a whole number from 1 to " + std::to_string(kMaxTimeoutMs));
    }
    tool->timeout_ms = v.GetInt();
    return Status::Ok();
  }

  Status MaxOutputBytes(const char* key, const rapidjson::Value& v, ToolConfig* tool) {
    if (!v.IsUint64() || v.GetUint64() < kMinOutputBytes || v.GetUint64() > kMaxOutputBytes) {
      return Error(key, "must be a number of bytes from " + std::to_string(kMinOutputBytes) +
                            " to " + std::to_string(kMaxOutputBytes));
    }
    tool->max_output_bytes = static_cast<size_t>(v.GetUint64());
    return Status::Ok();
  }

  Status Confirm(const char* key, const rapidjson::Value& v, ToolConfig* tool) {
    if (!v.IsBool()) return Error(key, "must be true or false");
    tool->confirm = v.GetBool();
    return Status::Ok();
  }

  // Checked when the tool runs, not here: the directory may appear after start-up.
  Status Cwd(const char* key, const rapidjson::Value& v, ToolConfig* tool) {
    if (!v.IsString() || v.GetStringLength() == 0 || HasNul(v))
      return Error(key, "must be a directory");
    tool->cwd = ExpandHome(Text(v));
    return Status::Ok();
  }

  Status Env(const char* key, const rapidjson::Value& v, ToolConfig* tool) {
    if (!v.IsObject()) return Error(key, "must be an object of strings");
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      const std::string name = Text(it->name);
      if (!IsEnvName(name)) return Error(key, "has \"" + name + "\", which is not a variable name");
      if (!it->value.IsString() || HasNul(it->value))
        return Error(key, "must be an object of strings");
      tool->env.emplace_back(name, Text(it->value));
    }
    return Status::Ok();
  }

  // The model gets the schema as written: an object schema, with named properties, whose
  // required names are among them, and nothing in it that voxterm could not enforce.
  Status Parameters(const char* key, const rapidjson::Value& v, ToolConfig* tool) {
    const char* kWhat =
        "must be a JSON Schema object: {\"type\": \"object\", \"properties\": {...}}";
    if (!v.IsObject()) return Error(key, kWhat);
    auto type = v.FindMember("type");
    if (type == v.MemberEnd() || !type->value.IsString() || Text(type->value) != "object") {
      return Error(key, kWhat);
    }
    std::set<std::string> names;
    auto properties = v.FindMember("properties");
    if (properties != v.MemberEnd()) {
      if (!properties->value.IsObject()) return Error(key, kWhat);
      for (auto it = properties->value.MemberBegin(); it != properties->value.MemberEnd(); ++it) {
        if (!it->value.IsObject()) {
          return Error(key, "property \"" + Text(it->name) + "\" must be a schema object");
        }
        tool->parameter_names.push_back(Text(it->name));
        names.insert(Text(it->name));
      }
    }
    auto required = v.FindMember("required");
    if (required != v.MemberEnd()) {
      if (!required->value.IsArray())
        return Error(key, "\"required\" must be a list of property names");
      for (const auto& name : required->value.GetArray()) {
        if (!name.IsString() || !names.count(Text(name))) {
          return Error(key, "\"required\" names a property that is not in \"properties\"");
        }
      }
    }
    // Every call is checked against the schema before it runs: what voxterm could not enforce
    // is refused here, not discovered by the model.
    Status enforceable = CheckParameterSchema(v);
    if (!enforceable.ok()) return Error(key, enforceable.message());
    JsonBuffer buffer;
    JsonWriter writer(buffer);
    v.Accept(writer);
    tool->parameters_json.assign(buffer.GetString(), buffer.GetSize());
    return Status::Ok();
  }

  const ConfigLocator& where_;
  const std::string base_;
  std::string label_;
};

}  // namespace

bool IsName(std::string_view s, size_t max_length) {
  if (s.empty() || s.size() > max_length) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool IsEnvName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return IsName(s, 256) && s.find('-') == std::string_view::npos;
}

Result<std::vector<ToolConfig>> ParseTools(const rapidjson::Value& tools,
                                           const ConfigLocator& where) {
  if (!tools.IsArray())
    return Status::Error(where("/tools") + ": \"tools\" must be a list of tools");
  std::vector<ToolConfig> out;
  std::set<std::string> seen;
  for (rapidjson::SizeType i = 0; i < tools.Size(); ++i) {
    ToolConfig tool;
    ToolReader reader(where, i);
    Status s = reader.Read(tools[i], &tool);
    if (!s.ok()) return s;
    if (!seen.insert(tool.name).second) return reader.Error("name", "is declared twice");
    out.push_back(std::move(tool));
  }
  return out;
}

}  // namespace voxterm
