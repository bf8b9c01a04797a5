#include "app/config.h"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "app/options.h"
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

}  // namespace

const char* VadName(Vad vad) {
  switch (vad) {
    case Vad::kServer: return "server";
    case Vad::kSemantic: return "semantic";
    case Vad::kOff: return "off";
  }
  return "?";
}

std::string DefaultConfigPath() {
  const char* xdg = getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/voxterm/config.json";
  const char* home = getenv("HOME");
  return std::string(home ? home : "") + "/.config/voxterm/config.json";
}

Status ParseConfig(const std::string& text, const std::string& path, Config* config,
                   KeyLines* lines) {
  // The SAX pass first: it stops at the first level too deep, before the DOM pays for any.
  LineCountingStream stream(text.c_str(), text.size());
  KeyLineRecorder recorder(&stream);
  rapidjson::Reader reader;
  rapidjson::ParseResult read = reader.Parse<kParseFlags>(stream, recorder);
  if (recorder.too_deep()) {
    return Status::Error(path + ":" + std::to_string(stream.line()) + ": nested deeper than " +
                         std::to_string(kMaxConfigDepth) + " levels");
  }
  // An empty file, one of comments only, or --config /dev/null: no settings, as {} has none.
  if (read.Code() == rapidjson::kParseErrorDocumentEmpty) return Status::Ok();
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

  // The file may name only some keys: the rest keep their current values.
  KeyReader keys(path, recorder.lines);
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    const Option* option = FindKey(key);
    if (!option) return keys.Error(key, "is not a known key (see docs/config.md)");
    Status s = ReadKey(*option, keys, key, it->value, config);
    if (!s.ok()) return s;
    if (lines) (*lines)[key] = recorder.lines["/" + key];
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
  LOG_WARN(
      "%s can run commands (tools, mcp_servers, api_key_command) and others can change it: chmod "
      "go-w %s",
      path.c_str(), culprit.c_str());
}

}  // namespace

Status LoadConfigFile(const std::string& path, IfMissing if_missing, Config* config,
                      KeyLines* lines) {
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
  Status parsed = ParseConfig(text, path, config, lines);
  if (parsed.ok() && stated &&
      (!config->tools.empty() || !config->mcp_servers.empty() ||
       !config->api_key_command.empty())) {
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

AudioConfig AudioConfigOf(const Config& config) {
  AudioConfig audio;
  audio.input_device = config.input_device;
  audio.output_device = config.output_device;
  audio.input_file = config.input_file;
  audio.output_file = config.output_file;
  audio.record = config.record;
  audio.frame_ms = config.frame_ms;
  audio.prebuffer_ms = config.prebuffer_ms;
  audio.echo = config.echo;
  audio.headphones = config.headphones;
  return audio;
}

}  // namespace voxterm
