#include "tools/tool_command.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "protocol/json_parse.h"
#include "protocol/json_write.h"
#include "tools/tool_schema.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

// Keys voxterm resolves for itself; a command the model can steer must never see them.
constexpr const char* kSecretVariables[] = {"OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"};

// Linux refuses to start a program with one argument or variable longer than this
// (MAX_ARG_STRLEN, 32 pages, counting the NUL): posix_spawn would fail with E2BIG.
constexpr size_t kMaxVariableBytes = 128 * 1024;

using Writer = JsonWriter;

// The command's environment, built once per call: a model may send thousands of arguments,
// so finding the entry a name replaces must not mean a search through the rest.
class Environment {
 public:
  explicit Environment(const std::vector<std::string>& base) : entries_(base) {
    for (size_t i = 0; i < entries_.size(); ++i)
      index_[entries_[i].substr(0, entries_[i].find('='))] = i;
  }
  // Sets NAME=value, replacing an inherited NAME. Returns false, and leaves NAME as it was,
  // when the entry would be too long for a program to receive.
  bool Set(std::string_view name, std::string_view value) {
    if (name.size() + 1 + value.size() + 1 > kMaxVariableBytes) return false;
    std::string entry = std::string(name) + "=" + std::string(value);
    auto [it, added] = index_.emplace(std::string(name), entries_.size());
    if (added) {
      entries_.push_back(std::move(entry));
    } else {
      entries_[it->second] = std::move(entry);
    }
    return true;
  }
  std::vector<std::string> Take() { return std::move(entries_); }

 private:
  std::vector<std::string> entries_;
  std::unordered_map<std::string, size_t> index_;
};

// At most 200 bytes of a name the model chose, for a message.
std::string Cut(std::string_view text) {
  if (text.size() <= 200) return std::string(text);
  size_t n = 200;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return std::string(text.substr(0, n)) + "\u2026";
}

// A key that an object of v, at any depth, holds twice. RapidJSON keeps both members, and the
// first would reach argv, the last the environment, and the schema would check one of them.
// (Recursion is bounded: the arguments nest at most kMaxJsonDepth deep.)
std::optional<std::string> DuplicateKey(const rapidjson::Value& v) {
  if (v.IsArray()) {
    for (const auto& e : v.GetArray()) {
      if (auto d = DuplicateKey(e)) return d;
    }
  }
  if (!v.IsObject()) return std::nullopt;
  std::vector<std::string_view> names;
  names.reserve(v.MemberCount());
  for (const auto& m : v.GetObject())
    names.emplace_back(m.name.GetString(), m.name.GetStringLength());
  std::sort(names.begin(), names.end());
  auto twice = std::adjacent_find(names.begin(), names.end());
  if (twice != names.end()) return std::string(*twice);
  for (const auto& m : v.GetObject()) {
    if (auto d = DuplicateKey(m.value)) return d;
  }
  return std::nullopt;
}

// A string argument as it is; any other value as compact JSON.
std::string ArgumentText(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  JsonBuffer buffer;
  Writer writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Does any string in v, at any depth, hold a NUL? Keys count too: they reach VOXTERM_ARGS.
bool HoldsNul(const rapidjson::Value& v) {
  if (v.IsString()) return memchr(v.GetString(), '\0', v.GetStringLength()) != nullptr;
  if (v.IsArray())
    return std::any_of(v.Begin(), v.End(), [](const rapidjson::Value& e) { return HoldsNul(e); });
  if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      if (HoldsNul(it->name) || HoldsNul(it->value)) return true;
    }
  }
  return false;
}

// Replaces each {name} of a declared parameter in one argv element, in a single pass: a value
// that itself contains {other} stays as it is. Returns false when the element names an
// argument the call left out.
bool Substitute(const std::string& element, const ToolConfig& tool, const rapidjson::Value& args,
                std::string* out) {
  out->clear();
  size_t i = 0;
  while (i < element.size()) {
    const size_t open = element.find('{', i);
    const size_t close = open == std::string::npos ? open : element.find('}', open + 1);
    if (close == std::string::npos) break;
    const std::string name = element.substr(open + 1, close - open - 1);
    const bool declared = std::find(tool.parameter_names.begin(), tool.parameter_names.end(),
                                    name) != tool.parameter_names.end();
    if (!declared) {  // literal braces, as in an awk program
      out->append(element, i, open + 1 - i);
      i = open + 1;
      continue;
    }
    auto member = args.FindMember(rapidjson::StringRef(name.data(), name.size()));
    if (member == args.MemberEnd()) return false;
    out->append(element, i, open - i);
    out->append(ArgumentText(member->value));
    i = close + 1;
  }
  out->append(element, i, std::string::npos);
  return true;
}

// The size of a byte in a JSON string, as RapidJSON's writer escapes it.
size_t EscapedByteSize(unsigned char c) {
  if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
    return 2;
  return c < 0x20 ? 6 : 1;  // \u00XX
}

// The escaped size of text's first n bytes.
size_t EscapedSize(const std::string& text, size_t n) {
  size_t size = 0;
  for (size_t i = 0; i < n; ++i) size += EscapedByteSize(static_cast<unsigned char>(text[i]));
  return size;
}

// The longest prefix of text, ending between UTF-8 sequences, that fits in room once escaped.
size_t PrefixFitting(const std::string& text, size_t room) {
  size_t n = 0, size = 0;
  while (n < text.size() && size + EscapedByteSize(static_cast<unsigned char>(text[n])) <= room) {
    size += EscapedByteSize(static_cast<unsigned char>(text[n]));
    ++n;
  }
  while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

std::string Encode(const ToolResult& r, const std::string& out, const std::string& err,
                   bool truncated) {
  JsonBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("exit_code");
  if (r.end == ToolResult::End::kExited || r.end == ToolResult::End::kSignaled) {
    w.Int(r.exit_code);
  } else {
    w.Null();  // killed by voxterm: the command gave no answer of its own
  }
  w.Key("stdout");
  w.String(out.data(), static_cast<rapidjson::SizeType>(out.size()));
  w.Key("stderr");
  w.String(err.data(), static_cast<rapidjson::SizeType>(err.size()));
  if (r.end == ToolResult::End::kTimedOut) {
    w.Key("timed_out");
    w.Bool(true);
  }
  if (r.end == ToolResult::End::kInterrupted) {
    w.Key("interrupted");
    w.Bool(true);
  }
  if (truncated) {
    w.Key("truncated");
    w.Bool(true);
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::vector<std::string> ToolBaseEnvironment(const char* const* environ) {
  std::vector<std::string> env;
  for (const char* const* e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    const bool secret = std::any_of(std::begin(kSecretVariables), std::end(kSecretVariables),
                                    [&](const char* s) { return name == s; });
    if (secret || name.rfind("VOXTERM_ARG", 0) == 0) continue;
    env.emplace_back(entry);
  }
  return env;
}

// The model's JSON is parsed once, with the depth limit of server messages (no stack to
// overflow, no DOM to exhaust memory), and passed on as the model wrote it, so VOXTERM_ARGS and
// stdin hold exactly the call's arguments. Nothing runs unless they are a JSON object the
// tool's schema accepts, with no key twice.
Result<ToolCommand> PrepareCommand(const ToolConfig& tool, std::string_view arguments_json,
                                   const std::vector<std::string>& base_env) {
  std::string json(arguments_json);
  if (json.find_first_not_of(" \t\r\n") == std::string::npos) json = "{}";
  // Parsed in place, in a copy (ParseJsonInsitu pads it for the SSE2 scan).
  std::string text = json;
  rapidjson::Document args;
  Status parsed = ParseJsonInsitu(&text, &args);
  if (!parsed.ok())
    return Status::Error("the arguments are not a JSON object: " + parsed.message());
  if (!args.IsObject()) return Status::Error("the arguments are not a JSON object");
  if (HoldsNul(args))
    return Status::Error("the arguments hold a NUL character, which no command can receive");
  if (auto twice = DuplicateKey(args))
    return Status::Error("the arguments name \"" + Cut(*twice) + "\" twice");
  Status valid = ValidateArguments(tool.parameters_json, args);
  if (!valid.ok()) return valid;

  ToolCommand command;
  if (!tool.shell.empty()) {
    // $0 is the tool's name, so the shell's own messages say which tool failed.
    command.argv = {"/bin/sh", "-c", tool.shell, tool.name};
  } else {
    std::string element;
    for (const std::string& arg : tool.command) {
      if (Substitute(arg, tool, args, &element)) command.argv.push_back(element);
    }
    if (command.argv.empty() || command.argv[0].empty()) {
      return Status::Error("the arguments left the command without a program to run");
    }
  }
  // A value too long for the environment is left out of it, rather than keeping the command
  // from starting: stdin carries every argument whatever its size.
  Environment env(base_env);
  for (const auto& [name, value] : tool.env) env.Set(name, value);
  env.Set("VOXTERM_TOOL", tool.name);
  env.Set("VOXTERM_ARGS", json);
  for (auto it = args.MemberBegin(); it != args.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (name.empty() || name.find('=') != std::string_view::npos) continue;  // not a variable name
    env.Set("VOXTERM_ARG_" + std::string(name), ArgumentText(it->value));
  }
  command.env = env.Take();
  command.cwd = tool.cwd;
  command.stdin_data = std::move(json);
  command.timeout_ms = tool.timeout_ms;
  command.max_output_bytes = tool.max_output_bytes;
  return command;
}

std::vector<std::pair<std::string, std::string>> ArgumentsBesideArgv(const ToolConfig& tool,
                                                                     const ToolCommand& command) {
  std::string text = command.stdin_data;
  rapidjson::Document args;
  std::vector<std::pair<std::string, std::string>> beside;
  if (!ParseJsonInsitu(&text, &args).ok() || !args.IsObject()) return beside;
  for (auto it = args.MemberBegin(); it != args.MemberEnd(); ++it) {
    const std::string name(it->name.GetString(), it->name.GetStringLength());
    const bool declared = std::find(tool.parameter_names.begin(), tool.parameter_names.end(),
                                    name) != tool.parameter_names.end();
    const bool placed =
        declared &&
        std::any_of(tool.command.begin(), tool.command.end(), [&](const std::string& e) {
          return e.find("{" + name + "}") != std::string::npos;
        });
    if (!placed) beside.emplace_back(name, ArgumentText(it->value));
  }
  return beside;
}

std::string FormatToolOutput(const ToolResult& result, size_t max_bytes) {
  if (result.end == ToolResult::End::kFailedToStart) return FormatToolError(result.error);
  std::string out = ValidUtf8(result.out);
  std::string err = ValidUtf8(result.err);
  std::string json = Encode(result, out, err, result.truncated);
  if (json.size() <= max_bytes) return json;
  // Cut to fit, measured as escaped: stderr (usually short, and telling) keeps up to a quarter
  // of the room, or more when stdout needs less.
  const size_t overhead = Encode(result, "", "", /*truncated=*/true).size();
  const size_t room = max_bytes > overhead ? max_bytes - overhead : 0;
  const size_t err_size = EscapedSize(err, err.size());
  size_t out_room = room - std::min(err_size, room / 4);
  out_room = std::min(out_room, EscapedSize(out, out.size()));
  out.resize(PrefixFitting(out, out_room));
  err.resize(PrefixFitting(err, room - out_room));
  return Encode(result, out, err, /*truncated=*/true);
}

std::string FormatToolError(std::string_view message) {
  JsonBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("error");
  const std::string text = ValidUtf8(message);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string ValidUtf8(std::string_view text) { return RepairUtf8(text); }

}  // namespace voxterm
