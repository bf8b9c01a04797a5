#include "app/config.h"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "audio/echo_control.h"
#include "util/log.h"

namespace voxterm {
namespace {

// A config file is a few kilobytes; the limits keep a wrong path (--config /dev/zero) or a
// hostile file from costing more than a moment and a little memory.
constexpr size_t kMaxConfigBytes = 1 << 20;
constexpr size_t kMaxConfigDepth = 64;

// JSON for people: comments and trailing commas. Iterative so that no file can overflow the stack.
constexpr unsigned kParseFlags = rapidjson::kParseCommentsFlag |
                                 rapidjson::kParseTrailingCommasFlag |
                                 rapidjson::kParseIterativeFlag;

// A RapidJSON input stream that counts lines, so that keys can be reported by line.
// RapidJSON's DOM keeps no positions, so a second, SAX pass over the same text records the line
// of every key for error messages.
class LineCountingStream {
 public:
  using Ch = char;
  LineCountingStream(const char* text, size_t size) : begin_(text), p_(text), end_(text + size) {}
  Ch Peek() const { return p_ < end_ ? *p_ : '\0'; }
  Ch Take() {
    if (p_ == end_) return '\0';
    if (*p_ == '\n') ++line_;
    return *p_++;
  }
  size_t Tell() const { return static_cast<size_t>(p_ - begin_); }
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  size_t PutEnd(Ch*) { return 0; }
  int line() const { return line_; }

 private:
  const char* begin_;
  const char* p_;
  const char* end_;
  int line_ = 1;
};

// SAX pass that records the line of every key, by JSON-pointer path ("/tools/0/name"). Each
// level keeps its path, so the pass stops past kMaxConfigDepth: the memory would otherwise grow
// with the square of the depth (60 KB of brackets took 2 GB).
class KeyLineRecorder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, KeyLineRecorder> {
 public:
  explicit KeyLineRecorder(const LineCountingStream* stream) : stream_(stream) {}
  std::map<std::string, int> lines;
  bool too_deep() const { return too_deep_; }

  bool Default() {
    Advance();
    return true;
  }
  bool StartObject() {
    Advance();
    if (TooDeep()) return false;
    stack_.push_back({true, -1, Path()});
    return true;
  }
  bool Key(const char* str, rapidjson::SizeType len, bool) {
    key_ = std::string(str, len);
    lines[stack_.back().path + "/" + key_] = stream_->line();
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    stack_.pop_back();
    return true;
  }
  bool StartArray() {
    Advance();
    if (TooDeep()) return false;
    stack_.push_back({false, -1, Path()});
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    stack_.pop_back();
    return true;
  }

 private:
  struct Frame {
    bool object;
    int index;  // arrays: the current element
    std::string path;
  };
  bool TooDeep() {
    too_deep_ = stack_.size() >= kMaxConfigDepth;
    return too_deep_;
  }
  // Called at the start of every value: arrays count their elements here.
  void Advance() {
    if (!stack_.empty() && !stack_.back().object) {
      ++stack_.back().index;
      lines[stack_.back().path + "/" + std::to_string(stack_.back().index)] = stream_->line();
    }
  }
  std::string Path() const {
    if (stack_.empty()) return "";
    const Frame& top = stack_.back();
    return top.path + "/" + (top.object ? key_ : std::to_string(top.index));
  }
  const LineCountingStream* stream_;
  std::vector<Frame> stack_;
  std::string key_;
  bool too_deep_ = false;
};

// Parse errors come as byte offsets.
int LineOfOffset(const std::string& text, size_t offset) {
  int line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

class Checker {
 public:
  Checker(const std::string& path, const std::map<std::string, int>& lines)
      : path_(path), lines_(lines) {}

  Status Error(const std::string& key, const std::string& what) const {
    return Status::Error(Where("/" + key) + ": \"" + key + "\" " + what);
  }

  // "path:line" of the value at a JSON pointer ("/tools/0/name").
  std::string Where(const std::string& pointer) const {
    auto it = lines_.find(pointer);
    return path_ + ":" + (it == lines_.end() ? "?" : std::to_string(it->second));
  }

  // Never empty: "" would leave the default without a word, and the flag refuses it too (a key
  // left out is how to keep the default).
  Status String(const rapidjson::Value& v, const std::string& key, std::string* out) const {
    if (!v.IsString()) return Error(key, "must be a string");
    if (v.GetStringLength() == 0)
      return Error(key, "must not be empty (leave the key out for the default)");
    *out = std::string(v.GetString(), v.GetStringLength());
    return Status::Ok();
  }

  // A finite number from low to high (JSON has no NaN nor infinity, but the check does not rely
  // on the parser's flags).
  Status Number(const rapidjson::Value& v, const std::string& key, double low, double high,
                const char* range, double* out) const {
    if (!v.IsNumber() || !std::isfinite(v.GetDouble()) || v.GetDouble() < low ||
        v.GetDouble() > high)
      return Error(key, std::string("must be a number from ") + range);
    *out = v.GetDouble();
    return Status::Ok();
  }

  Status Int(const rapidjson::Value& v, const std::string& key, int low, int high, int* out) const {
    if (!v.IsInt() || v.GetInt() < low || v.GetInt() > high) {
      return Error(key, "must be a whole number from " + std::to_string(low) + " to " +
                            std::to_string(high));
    }
    *out = v.GetInt();
    return Status::Ok();
  }

  // A string that must be one of an enum's words; choices says which, for the message.
  template <typename E>
  Status Word(const rapidjson::Value& v, const std::string& key,
              std::optional<E> (*parse)(std::string_view), const char* choices, E* out) const {
    auto value =
        v.IsString() ? parse(std::string_view(v.GetString(), v.GetStringLength())) : std::nullopt;
    if (!value) return Error(key, std::string("must be ") + choices);
    *out = *value;
    return Status::Ok();
  }

  Status Bool(const rapidjson::Value& v, const std::string& key, bool* out) const {
    if (!v.IsBool()) return Error(key, "must be true or false");
    *out = v.GetBool();
    return Status::Ok();
  }

 private:
  const std::string& path_;
  const std::map<std::string, int>& lines_;
};

// One key: known, and of the right type, or an error naming it. The file may name only some keys:
// the rest keep their current values.
Status ApplyMember(const Checker& c, const std::string& key, const rapidjson::Value& v,
                   Config* config) {
  if (key == "url") return c.String(v, key, &config->url);
  if (key == "model") return c.String(v, key, &config->model);
  if (key == "instructions") return c.String(v, key, &config->instructions);
  if (key == "voice") return c.String(v, key, &config->voice);
  if (key == "api_key_command") return c.String(v, key, &config->api_key_command);
  if (key == "api_key_command_timeout_s")
    return c.Int(v, key, 1, 600, &config->api_key_command_timeout_s);
  if (key == "azure") return c.Bool(v, key, &config->azure);
  // Paths in the file may start with ~/, as people write them.
  if (key == "ca_file" || key == "log_events") {
    std::string value;
    Status s = c.String(v, key, &value);
    if (!s.ok()) return s;
    (key == "ca_file" ? config->ca_file : config->log_events) = ExpandHome(value);
    return Status::Ok();
  }
  if (key == "dialect") {
    std::string value;
    Status s = c.String(v, key, &value);
    if (!s.ok()) return s;
    auto dialect = ParseDialect(value);
    if (!dialect) return c.Error(key, "must be \"ga\" or \"beta\"");
    config->dialect = *dialect;
    return Status::Ok();
  }
  if (key == "mode") {
    std::string value;
    Status s = c.String(v, key, &value);
    if (!s.ok()) return s;
    if (value == "voice") {
      config->mode = Mode::kVoice;
    } else if (value == "text") {
      config->mode = Mode::kText;
    } else if (value == "ptt") {
      config->mode = Mode::kPtt;
    } else {
      return c.Error(key, "must be \"voice\", \"ptt\" or \"text\"");
    }
    return Status::Ok();
  }
  if (key == "verbose") {
    bool verbose = false;
    Status s = c.Bool(v, key, &verbose);
    if (!s.ok()) return s;
    config->verbosity = verbose ? 1 : 0;
    return Status::Ok();
  }
  if (key == "input_device") return c.String(v, key, &config->input_device);
  if (key == "output_device") return c.String(v, key, &config->output_device);
  if (key == "transcribe") return c.String(v, key, &config->transcribe);
  if (key == "transcribe_language") {
    std::string value;
    Status s = c.String(v, key, &value);
    if (!s.ok()) return s;
    auto code = ParseLanguageCode(value);
    if (!code)
      return c.Error(key, "must be a language code of 2 or 3 letters (ISO-639-1, e.g. \"en\")");
    config->transcribe_language = *code;
    return Status::Ok();
  }
  if (key == "transcribe_prompt") return c.String(v, key, &config->transcribe_prompt);
  if (key == "noise_reduction")
    return c.Word(v, key, ParseNoiseReduction, "\"near_field\", \"far_field\" or \"off\"",
                  &config->noise_reduction);
  if (key == "vad_eagerness")
    return c.Word(v, key, ParseVadEagerness, "\"low\", \"medium\", \"high\" or \"auto\"",
                  &config->vad_eagerness);
  if (key == "reasoning_effort") {
    return c.Word(v, key, ParseReasoningEffort,
                  "\"minimal\", \"low\", \"medium\", \"high\" or \"xhigh\"",
                  &config->reasoning_effort);
  }
  if (key == "speed") return c.Number(v, key, 0.25, 1.5, "0.25 to 1.5", &config->speed);
  if (key == "idle_timeout_ms") return c.Int(v, key, 5000, 30000, &config->idle_timeout_ms);
  if (key == "max_output_tokens") {
    if (v.IsInt() && v.GetInt() >= 1 && v.GetInt() <= kMaxOutputTokensLimit) {
      config->max_output_tokens = v.GetInt();
    } else if (v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == "inf") {
      config->max_output_tokens = kMaxOutputTokensInf;
    } else {
      return c.Error(key, "must be a whole number from 1 to 4096, or \"inf\"");
    }
    return Status::Ok();
  }
  if (key == "parallel_tool_calls") {
    bool parallel = false;
    Status s = c.Bool(v, key, &parallel);
    if (!s.ok()) return s;
    config->parallel_tool_calls = parallel;
    return Status::Ok();
  }
  if (key == "ptt_key") return c.String(v, key, &config->ptt_key);
  if (key == "speak") return c.Bool(v, key, &config->speak);
  if (key == "headphones") return c.Bool(v, key, &config->headphones);
  if (key == "echo") {
    Status s = c.String(v, key, &config->echo);
    if (!s.ok()) return s;
    if (!ParseEchoMode(config->echo).ok())
      return c.Error(key, "must be \"aec\", \"aec-speex\", \"gate\", \"half-duplex\" or \"off\"");
    return Status::Ok();
  }
  if (key == "input_file" || key == "output_file" || key == "record") {
    std::string value;
    Status s = c.String(v, key, &value);
    if (!s.ok()) return s;
    (key == "input_file"    ? config->input_file
     : key == "output_file" ? config->output_file
                            : config->record) = ExpandHome(value);
    return Status::Ok();
  }
  if (key == "vad") {
    Status s = c.String(v, key, &config->vad);
    if (!s.ok()) return s;
    if (config->vad != "server" && config->vad != "semantic" && config->vad != "off") {
      return c.Error(key, "must be \"server\", \"semantic\" or \"off\"");
    }
    return Status::Ok();
  }
  if (key == "vad_threshold") return c.Number(v, key, 0, 1, "0 to 1", &config->vad_threshold);
  if (key == "frame_ms") return c.Int(v, key, 10, 100, &config->frame_ms);
  if (key == "answer_timeout_ms") return c.Int(v, key, 0, 3600000, &config->answer_timeout_ms);
  if (key == "keepalive_s") return c.Int(v, key, 1, 3600, &config->keepalive_s);
  if (key == "reconnect_tries") return c.Int(v, key, 0, 100, &config->reconnect_tries);
  if (key == "renew_session_s") return c.Int(v, key, 0, 86400, &config->renew_session_s);
  if (key == "prebuffer_ms") return c.Int(v, key, 0, 2000, &config->prebuffer_ms);
  if (key == "vad_silence_ms") return c.Int(v, key, 0, 10000, &config->vad_silence_ms);
  if (key == "vad_prefix_ms") return c.Int(v, key, 0, 10000, &config->vad_prefix_ms);
  if (key == "max_message_bytes") {
    if (!v.IsUint64() || v.GetUint64() < 1024 || v.GetUint64() > (1ull << 30)) {
      return c.Error(key, "must be a number of bytes from 1024 to 1073741824");
    }
    config->max_message_bytes = static_cast<size_t>(v.GetUint64());
    return Status::Ok();
  }
  if (key == "tools") {
    auto tools = ParseTools(v, [&c](const std::string& pointer) { return c.Where(pointer); });
    if (!tools.ok()) return tools.status();
    config->tools = std::move(*tools);
    return Status::Ok();
  }
  return c.Error(key, "is not a known key (see docs/config.md)");
}

}  // namespace

std::string DefaultConfigPath() {
  const char* xdg = getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/voxterm/config.json";
  const char* home = getenv("HOME");
  return std::string(home ? home : "") + "/.config/voxterm/config.json";
}

Status ParseConfig(const std::string& text, const std::string& path, Config* config) {
  // The SAX pass first: it stops at the first level too deep, before the DOM pays for any.
  LineCountingStream stream(text.c_str(), text.size());
  KeyLineRecorder recorder(&stream);
  rapidjson::Reader reader;
  rapidjson::ParseResult read = reader.Parse<kParseFlags>(stream, recorder);
  if (recorder.too_deep()) {
    return Status::Error(path + ":" + std::to_string(stream.line()) + ": nested deeper than " +
                         std::to_string(kMaxConfigDepth) + " levels");
  }
  if (read.IsError()) {
    return Status::Error(path + ":" + std::to_string(LineOfOffset(text, read.Offset())) + ": " +
                         rapidjson::GetParseError_En(read.Code()));
  }
  rapidjson::Document doc;
  doc.Parse<kParseFlags>(text.c_str(), text.size());  // cannot fail where the SAX pass succeeded
  if (doc.HasParseError()) {
    return Status::Error(path + ":" + std::to_string(LineOfOffset(text, doc.GetErrorOffset())) +
                         ": " + rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return Status::Error(path + ":1: the configuration must be a JSON object");

  Checker checker(path, recorder.lines);
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    Status s = ApplyMember(checker, key, it->value, config);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

namespace {

// ssh's rule for its config: others must not be able to change a file that runs commands, nor
// replace it (a directory they can write to, without the sticky bit).
void WarnIfOthersCanChange(const std::string& path, const struct stat& file) {
  auto foreign = [](const struct stat& st) {
    return (st.st_mode & (S_IWGRP | S_IWOTH)) || (st.st_uid != getuid() && st.st_uid != 0);
  };
  std::string culprit;
  if (foreign(file)) {
    culprit = path;
  } else {
    const size_t slash = path.rfind('/');
    const std::string directory = slash == std::string::npos ? "."
                                  : slash == 0               ? "/"
                                                             : path.substr(0, slash);
    struct stat dir;
    if (stat(directory.c_str(), &dir) == 0 && foreign(dir) && !(dir.st_mode & S_ISVTX))
      culprit = directory;
  }
  if (culprit.empty()) return;
  LOG_WARN("%s can run commands (tools, api_key_command) and others can change it: chmod go-w %s",
           path.c_str(), culprit.c_str());
}

}  // namespace

Status LoadConfigFile(const std::string& path, IfMissing if_missing, Config* config) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT && if_missing == IfMissing::kUseDefaults) return Status::Ok();
    return Status::Error(path + ": " + strerror(errno));
  }
  // At most one byte past the limit: /dev/zero, or a log named by mistake, is read no further.
  std::string text;
  char buffer[65536];
  ssize_t n = 0;
  while (text.size() <= kMaxConfigBytes && (n = read(fd, buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  const int read_error = n < 0 ? errno : 0;
  struct stat st {};
  const bool stated = fstat(fd, &st) == 0;
  close(fd);
  if (read_error) return Status::Error(path + ": " + strerror(read_error));
  if (text.size() > kMaxConfigBytes) {
    return Status::Error(path + ": larger than " + std::to_string(kMaxConfigBytes >> 20) + " MiB");
  }
  if (stated && (st.st_mode & (S_IRGRP | S_IROTH)) && HoldsApiKey(text)) {
    LOG_WARN("%s holds what looks like an API key and others can read it: chmod 600 %s",
             path.c_str(), path.c_str());
  }
  Status parsed = ParseConfig(text, path, config);
  if (parsed.ok() && stated && (!config->tools.empty() || !config->api_key_command.empty())) {
    WarnIfOthersCanChange(path, st);
  }
  return parsed;
}

std::optional<std::string> ParseLanguageCode(std::string_view code) {
  if (code.size() < 2 || code.size() > 3) return std::nullopt;
  std::string lower;
  for (char ch : code) {
    // ASCII letters only, whatever the locale.
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) return std::nullopt;
    lower += static_cast<char>(ch | 0x20);
  }
  return lower;
}

// An OpenAI key: "sk-", then a long run of key characters. (voxterm reads no key from the file,
// but api_key_command may be "echo sk-...", and a comment may hold one.)
bool HoldsApiKey(const std::string& text) {
  for (size_t at = text.find("sk-"); at != std::string::npos; at = text.find("sk-", at + 1)) {
    size_t n = 0;
    for (size_t i = at + 3; i < text.size() && (isalnum(static_cast<unsigned char>(text[i])) ||
                                                text[i] == '-' || text[i] == '_');
         ++i)
      ++n;
    if (n >= 20) return true;
  }
  return false;
}

}  // namespace voxterm
