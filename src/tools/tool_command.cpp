#include "tools/tool_command.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstring>

#include "protocol/json_write.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

// Keys voxterm resolves for itself; a command the model can steer must never see them.
constexpr const char* kSecretVariables[] = {"OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"};

using Writer = JsonWriter;

// Sets NAME=value, replacing an inherited NAME.
void SetVariable(std::vector<std::string>* env, std::string_view name, std::string_view value) {
  std::string entry = std::string(name) + "=" + std::string(value);
  for (std::string& e : *env) {
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=') {
      e = std::move(entry);
      return;
    }
  }
  env->push_back(std::move(entry));
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
  if (v.IsArray()) return std::any_of(v.Begin(), v.End(), [](const rapidjson::Value& e) { return HoldsNul(e); });
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
    const bool declared =
        std::find(tool.parameter_names.begin(), tool.parameter_names.end(), name) != tool.parameter_names.end();
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
  if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') return 2;
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

std::string Encode(const ToolResult& r, const std::string& out, const std::string& err, bool truncated) {
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

// The model's JSON is parsed once, iteratively (no stack to overflow), and passed on as the
// model wrote it, so VOXTERM_ARGS and stdin hold exactly the call's arguments.
Result<ToolCommand> PrepareCommand(const ToolConfig& tool, std::string_view arguments_json,
                                   const std::vector<std::string>& base_env) {
  std::string json(arguments_json);
  if (json.find_first_not_of(" \t\r\n") == std::string::npos) json = "{}";
  rapidjson::Document args;
  args.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (args.HasParseError() || !args.IsObject()) {
    return Status::Error("the arguments are not a JSON object");
  }
  if (HoldsNul(args)) return Status::Error("the arguments hold a NUL character, which no command can receive");

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
  command.env = base_env;
  for (const auto& [name, value] : tool.env) SetVariable(&command.env, name, value);
  SetVariable(&command.env, "VOXTERM_TOOL", tool.name);
  SetVariable(&command.env, "VOXTERM_ARGS", json);
  for (auto it = args.MemberBegin(); it != args.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (name.empty() || name.find('=') != std::string_view::npos) continue;  // not a variable name
    SetVariable(&command.env, "VOXTERM_ARG_" + std::string(name), ArgumentText(it->value));
  }
  command.cwd = tool.cwd;
  command.stdin_data = std::move(json);
  command.timeout_ms = tool.timeout_ms;
  command.max_output_bytes = tool.max_output_bytes;
  return command;
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
