#include "tools/mcp_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "protocol/json_parse.h"
#include "protocol/json_write.h"
#include "tools/child_groups.h"
#include "tools/process_spawn.h"
#include "tools/tool_command.h"
#include "tools/tool_schema.h"
#include "util/log.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

// Between closing stdin and SIGTERM (the specification's polite way to end a server), and
// between SIGTERM and SIGKILL.
constexpr int kExitGraceMs = 200;
constexpr int kKillGraceMs = 500;
// Pages of tools/list followed at most: a server that keeps giving cursors gets no more turns.
constexpr int kMaxListPages = 16;

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int RemainingMs(int64_t deadline_ms) {
  return static_cast<int>(std::max<int64_t>(0, deadline_ms - NowMs()));
}

void Close(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

int PidFdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

std::string Compact(const rapidjson::Value& v) {
  JsonBuffer buffer;
  JsonWriter writer(buffer);
  v.Accept(writer);
  return buffer.str();
}

// A server's text, for a log line or a message: one line, no terminal controls, bounded.
std::string OneLine(std::string_view text, size_t max_bytes = 300) {
  std::string out;
  AppendForDisplay(text, LineBreaks::kEscape, &out, max_bytes);
  return out;
}

// Whether the child has exited, within wait_ms: the pidfd is readable then.
bool WaitForExit(int pid_fd, int wait_ms) {
  pollfd p{pid_fd, POLLIN, 0};
  int n;
  while ((n = poll(&p, 1, wait_ms)) < 0 && errno == EINTR) {
  }
  return n > 0;
}

}  // namespace

McpServer::McpServer(McpServerConfig config, std::vector<std::string> base_env)
    : config_(std::move(config)), base_env_(std::move(base_env)) {}

McpServer::~McpServer() { Stop(); }

Status McpServer::Start() {
  Stop();
  tools_.clear();
  skipped_.clear();
  tools_changed_ = false;
  interrupted_ = false;
  Status s = Spawn();
  if (!s.ok()) return s;
  s = Handshake(NowMs() + config_.timeout_ms);
  if (s.ok()) s = ListTools(NowMs() + config_.timeout_ms);
  if (!s.ok()) Stop();
  return s;
}

Status McpServer::Spawn() {
  ProcessSpec spec;
  spec.argv = config_.command;
  spec.env = base_env_;
  for (const auto& [name, value] : config_.env) {
    const std::string prefix = name + "=";
    spec.env.erase(std::remove_if(spec.env.begin(), spec.env.end(),
                                  [&](const std::string& e) { return e.rfind(prefix, 0) == 0; }),
                   spec.env.end());
    spec.env.push_back(prefix + value);
  }
  spec.cwd = config_.cwd;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) return Status::Error(std::string("pipe: ") + strerror(errno));
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    const int error = errno;
    close(in_pipe[0]);
    close(in_pipe[1]);
    return Status::Error(std::string("pipe: ") + strerror(error));
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int error = errno;
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) close(fd);
    return Status::Error(std::string("pipe: ") + strerror(error));
  }
  auto spawned = SpawnInOwnGroup(spec, in_pipe[0], out_pipe[1], err_pipe[1]);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  in_fd_ = in_pipe[1];
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  if (!spawned.ok()) {
    Stop();
    return spawned.status();
  }
  pid_ = *spawned;
  RegisterChildGroup(pid_);
  pid_fd_ = PidFdOpen(pid_);
  if (pid_fd_ < 0) {
    const int error = errno;
    Stop();
    return Status::Error(std::string("pidfd_open: ") + strerror(error));
  }
  for (int fd : {in_fd_, out_fd_, err_fd_}) fcntl(fd, F_SETFL, O_NONBLOCK);
  return Status::Ok();
}

// The specification's lifecycle: initialize, its answer with a protocol version this client
// speaks, then notifications/initialized before any other request.
Status McpServer::Handshake(int64_t deadline_ms) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("protocolVersion");
  w.String(kMcpProtocolVersion);
  w.Key("capabilities");
  w.StartObject();
  w.EndObject();
  w.Key("clientInfo");
  w.StartObject();
  w.Key("name");
  w.String("voxterm");
  w.Key("version");
  w.String(VOXTERM_VERSION);
  w.EndObject();
  w.EndObject();
  auto answer = Request("initialize", buffer.str(), deadline_ms);
  if (!answer.ok()) return answer.status();
  if (!answer->ok) return Fail("initialize: the server answered with an error: " + answer->error);
  rapidjson::Document result;
  result.Parse<rapidjson::kParseIterativeFlag>(answer->result_json.c_str(),
                                               answer->result_json.size());
  const std::string_view version =
      result.IsObject() ? OptString(result, "protocolVersion") : std::string_view();
  if (version != kMcpProtocolVersion) {
    return Fail("initialize: the server speaks protocol version \"" + OneLine(version, 40) +
                "\", voxterm " + kMcpProtocolVersion);
  }
  return Send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", deadline_ms);
}

Status McpServer::ListTools(int64_t deadline_ms) {
  std::string cursor;
  for (int page = 0; page < kMaxListPages; ++page) {
    std::string params = "{}";
    if (!cursor.empty()) {
      JsonBuffer buffer;
      JsonWriter w(buffer);
      w.StartObject();
      w.Key("cursor");
      w.String(cursor.c_str(), static_cast<rapidjson::SizeType>(cursor.size()));
      w.EndObject();
      params = buffer.str();
    }
    auto answer = Request("tools/list", params, deadline_ms);
    if (!answer.ok()) return answer.status();
    if (!answer->ok) return Fail("tools/list: the server answered with an error: " + answer->error);
    rapidjson::Document result;
    result.Parse<rapidjson::kParseIterativeFlag>(answer->result_json.c_str(),
                                                 answer->result_json.size());
    const rapidjson::Value* tools = nullptr;
    if (result.IsObject()) {
      auto it = result.FindMember("tools");
      if (it != result.MemberEnd() && it->value.IsArray()) tools = &it->value;
    }
    if (!tools) return Fail("tools/list: the answer has no list of \"tools\"");
    for (const auto& tool : tools->GetArray()) AddTool(&tool);
    cursor = std::string(OptString(result, "nextCursor"));
    if (cursor.empty() || tools_.size() >= kMaxTools) return Status::Ok();
  }
  skipped_.push_back("tools/list: more than " + std::to_string(kMaxListPages) +
                     " pages; the rest are left out");
  return Status::Ok();
}

// A tool the model can be given, or a note saying why not.
void McpServer::AddTool(const void* tool_value) {
  const auto& tool = *static_cast<const rapidjson::Value*>(tool_value);
  const std::string_view name = tool.IsObject() ? OptString(tool, "name") : std::string_view();
  const std::string label = "tool \"" + OneLine(name, 80) + "\": ";
  // SERVER__TOOL is the model's function name, 64 characters at most.
  const size_t max_name = 64 - config_.name.size() - 2;
  if (!IsName(name, max_name)) {
    skipped_.push_back(label + "the name must be 1 to " + std::to_string(max_name) +
                       " letters, digits, _ or -");
    return;
  }
  for (const McpTool& known : tools_) {
    if (known.name == name) {
      skipped_.push_back(label + "listed twice (the first is kept)");
      return;
    }
  }
  if (tools_.size() >= kMaxTools) {
    skipped_.push_back(label + "more than " + std::to_string(kMaxTools) + " tools");
    return;
  }
  const rapidjson::Value* schema = OptObject(tool, "inputSchema");
  if (!schema || OptString(*schema, "type") != "object") {
    skipped_.push_back(label + "\"inputSchema\" must be an object schema ({\"type\": \"object\"})");
    return;
  }
  // Every call is checked against the schema before it is sent (as a config tool's is): a
  // schema with what voxterm cannot enforce would let the model's arguments through unchecked.
  if (Status enforceable = CheckParameterSchema(*schema); !enforceable.ok()) {
    skipped_.push_back(label + "its \"inputSchema\" cannot be enforced: " + enforceable.message());
    return;
  }
  McpTool out;
  out.name = std::string(name);
  out.description = ValidUtf8(Utf8Head(OptString(tool, "description"), kMaxDescriptionBytes));
  out.input_schema_json = Compact(*schema);
  tools_.push_back(std::move(out));
}

// tools/call's params: the arguments, re-written compact, are one line whatever they were.
Result<std::string> McpServer::CallParams(const std::string& tool,
                                          std::string_view arguments_json) {
  rapidjson::Document arguments;
  arguments.Parse<rapidjson::kParseIterativeFlag>(arguments_json.data(), arguments_json.size());
  if (arguments.HasParseError() || !arguments.IsObject())
    return Status::Error("the arguments must be a JSON object");
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("name");
  w.String(tool.c_str(), static_cast<rapidjson::SizeType>(tool.size()));
  w.Key("arguments");
  arguments.Accept(w);
  w.EndObject();
  return buffer.str();
}

// method is one of voxterm's own names and params_json compact JSON: nothing to escape.
std::string McpServer::RequestLine(int64_t id, const std::string& method,
                                   const std::string& params_json) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method +
         R"(","params":)" + params_json + "}";
}

Result<McpCallResult> McpServer::CallTool(const std::string& tool, std::string_view arguments_json,
                                          size_t max_output_bytes) {
  if (!running()) return Status::Error("not running");
  auto params = CallParams(tool, arguments_json);
  if (!params.ok()) return params.status();
  auto answer = Request("tools/call", *params, NowMs() + config_.timeout_ms);
  if (!answer.ok()) return answer.status();
  return ReadCallResult(*answer, max_output_bytes);
}

Result<McpCallResult> McpServer::ReadCallResult(const Answer& answer, size_t max_output_bytes) {
  if (!answer.ok) return Status::Error("tools/call: " + answer.error);
  rapidjson::Document result;
  result.Parse<rapidjson::kParseIterativeFlag>(answer.result_json.c_str(),
                                               answer.result_json.size());
  if (!result.IsObject()) return Status::Error("tools/call: the result is not an object");
  auto content = result.FindMember("content");
  if (content == result.MemberEnd() || !content->value.IsArray())
    return Status::Error("tools/call: the result has no \"content\" list");
  McpCallResult out;
  auto is_error = result.FindMember("isError");
  out.is_error =
      is_error != result.MemberEnd() && is_error->value.IsBool() && is_error->value.GetBool();
  std::string text;
  for (const auto& item : content->value.GetArray()) {
    const std::string_view type = item.IsObject() ? OptString(item, "type") : std::string_view();
    auto item_text = type == "text" ? item.FindMember("text") : item.MemberEnd();
    if (type == "text" && item_text != item.MemberEnd() && item_text->value.IsString()) {
      if (!text.empty()) text += '\n';
      text.append(JsonView(item_text->value));
    } else {
      out.other_content.push_back(type.empty() ? "unknown" : OneLine(type, 40));
    }
    if (text.size() > max_output_bytes) break;  // what follows would be cut anyway
  }
  if (text.size() > max_output_bytes) {
    text = std::string(Utf8Head(text, max_output_bytes));
    out.truncated = true;
  }
  out.text = ValidUtf8(text);
  return out;
}

Result<int64_t> McpServer::SendCall(const std::string& tool, std::string_view arguments_json) {
  if (!running()) return Status::Error("not running");
  auto params = CallParams(tool, arguments_json);
  if (!params.ok()) return params.status();
  const int64_t id = next_id_++;
  Status sent = Send(RequestLine(id, "tools/call", *params), NowMs() + config_.timeout_ms);
  if (!sent.ok()) return Status::Error("tools/call: " + sent.message());
  sent_calls_.push_back(id);
  return id;
}

// Reads until the pipe is empty: each answer to a call sent is handed over, anything else is
// handled as Request() would (pings answered, list_changed noted). Never waits.
Status McpServer::Pump(size_t max_output_bytes, std::vector<CallAnswer>* answers) {
  if (!running()) return Status::Error("not running");
  if (err_fd_ >= 0) {
    pollfd err{err_fd_, POLLIN, 0};
    while (err_fd_ >= 0 && poll(&err, 1, 0) > 0) ReadStderr();
  }
  for (;;) {
    auto line = TakeLine();
    if (!line.ok()) return Fail(line.message());
    if (line->empty()) {
      auto got = ReadOut();
      if (!got.ok()) return Fail(got.message());
      if (!*got) return Status::Ok();
      continue;
    }
    std::string text = *line;
    rapidjson::Document doc;
    if (!ParseJsonInsitu(&text, &doc).ok() || !doc.IsObject()) {
      LOG_INFO("mcp %s: not JSON-RPC, ignored: %s", config_.name.c_str(), OneLine(*line).c_str());
      continue;
    }
    auto answer_id = doc.FindMember("id");
    const bool answer =
        answer_id != doc.MemberEnd() && answer_id->value.IsInt64() && !doc.HasMember("method");
    auto sent = answer
                    ? std::find(sent_calls_.begin(), sent_calls_.end(), answer_id->value.GetInt64())
                    : sent_calls_.end();
    if (sent == sent_calls_.end()) {
      if (!answer) HandleOther(*line, NowMs() + config_.timeout_ms);
      continue;  // an answer to a cancelled call, or to nothing
    }
    sent_calls_.erase(sent);
    CallAnswer out;
    out.id = answer_id->value.GetInt64();
    out.result = ReadCallResult(ReadAnswer(&doc), max_output_bytes);
    answers->push_back(std::move(out));
  }
}

void McpServer::Cancel(int64_t id) {
  auto sent = std::find(sent_calls_.begin(), sent_calls_.end(), id);
  if (sent == sent_calls_.end() || !running()) return;
  sent_calls_.erase(sent);
  // A short wait at most: the notice is a courtesy, the answer is dropped anyway.
  (void)Send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":)" +
                 std::to_string(id) + "}}",
             NowMs() + 100);
}

Status McpServer::Relist() {
  if (!running()) return Status::Error("not running");
  tools_.clear();
  skipped_.clear();
  tools_changed_ = false;
  return ListTools(NowMs() + config_.timeout_ms);
}

void McpServer::Kill() {
  interrupted_ = true;  // no grace
  Stop();
}

McpServer::Answer McpServer::ReadAnswer(const void* doc_value) {
  const auto& doc = *static_cast<const rapidjson::Value*>(doc_value);
  Answer answer;
  if (const rapidjson::Value* result = OptObject(doc, "result")) {
    answer.ok = true;
    answer.result_json = Compact(*result);
  } else if (const rapidjson::Value* error = OptObject(doc, "error")) {
    answer.error = OneLine(OptString(*error, "message"));
    if (answer.error.empty()) answer.error = "(no message)";
  } else {
    answer.error = "an answer with neither \"result\" nor \"error\"";
  }
  return answer;
}

Result<McpServer::Answer> McpServer::Request(const std::string& method,
                                             const std::string& params_json, int64_t deadline_ms) {
  const int64_t id = next_id_++;
  Status sent = Send(RequestLine(id, method, params_json), deadline_ms);
  if (!sent.ok()) return Status::Error(method + ": " + sent.message());
  for (;;) {
    auto line = ReadLine(deadline_ms);
    if (!line.ok()) return Fail(method + ": " + line.message());
    // Parsed in place: the document's strings point into the line, which outlives it here.
    std::string text = *line;
    rapidjson::Document doc;
    if (!ParseJsonInsitu(&text, &doc).ok() || !doc.IsObject()) {
      LOG_INFO("mcp %s: not JSON-RPC, ignored: %s", config_.name.c_str(), OneLine(*line).c_str());
      continue;
    }
    auto answer_id = doc.FindMember("id");
    const bool is_answer = answer_id != doc.MemberEnd() && answer_id->value.IsInt64() &&
                           answer_id->value.GetInt64() == id && !doc.HasMember("method");
    if (!is_answer) {
      HandleOther(*line, deadline_ms);
      continue;
    }
    return ReadAnswer(&doc);
  }
}

// Notifications, and requests of the server's own: voxterm offers no capability, so only ping
// is answered; anything else is refused, as JSON-RPC asks, so the server is not left waiting.
void McpServer::HandleOther(const std::string& line, int64_t deadline_ms) {
  std::string text = line;
  rapidjson::Document doc;
  if (!ParseJsonInsitu(&text, &doc).ok() || !doc.IsObject()) return;
  const std::string_view method = OptString(doc, "method");
  if (method == "notifications/tools/list_changed") {
    tools_changed_ = true;
    return;
  }
  auto id = doc.FindMember("id");
  if (method.empty() || id == doc.MemberEnd() || !(id->value.IsString() || id->value.IsInt64()))
    return;  // a notification, or an answer nobody waits for
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("jsonrpc");
  w.String("2.0");
  w.Key("id");
  id->value.Accept(w);
  if (method == "ping") {
    w.Key("result");
    w.StartObject();
    w.EndObject();
  } else {
    w.Key("error");
    w.StartObject();
    w.Key("code");
    w.Int(-32601);
    w.Key("message");
    w.String("Method not found");
    w.EndObject();
  }
  w.EndObject();
  (void)Send(buffer.str(), deadline_ms);
}

// Writes one line, waiting for room until deadline_ms: a server that does not read cannot
// block voxterm for longer than a request's time limit.
Status McpServer::Send(const std::string& message, int64_t deadline_ms) {
  const std::string line = message + "\n";
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = write(in_fd_, line.data() + written, line.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      const std::string error = std::string("write: ") + strerror(errno);
      return Fail(GoneReason(error));
    }
    const int ready = WaitFor(in_fd_, POLLOUT, deadline_ms);
    if (ready < 0) return Fail("interrupted");
    if (ready == 0) {
      return Fail("no answer within " + std::to_string(config_.timeout_ms) +
                  " ms (it reads nothing)");
    }
  }
  return Status::Ok();
}

int McpServer::WaitFor(int fd, short events, int64_t deadline_ms) {
  for (;;) {
    pollfd fds[3] = {{fd, events, 0}, {interrupt_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    const int n = poll(fds, 3, RemainingMs(deadline_ms));  // a negative fd is left out
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    if (fds[1].revents) {
      interrupted_ = true;
      return -1;
    }
    if (fds[2].revents) ReadStderr();
    if (fds[0].revents) return fds[0].revents;
  }
}

Result<std::string> McpServer::ReadLine(int64_t deadline_ms) {
  for (;;) {
    auto line = TakeLine();
    if (!line.ok() || !line->empty()) return line;
    // stderr is read as it comes, so that a server that logs a lot never blocks on it.
    pollfd err{err_fd_, POLLIN, 0};
    if (err_fd_ >= 0 && poll(&err, 1, 0) > 0) ReadStderr();
    const int ready = WaitFor(out_fd_, POLLIN, deadline_ms);
    if (ready < 0) return Status::Error("interrupted");
    if (ready == 0) {
      return Status::Error("no answer within " + std::to_string(config_.timeout_ms) + " ms");
    }
    auto got = ReadOut();
    if (!got.ok()) return got.status();
  }
}

Result<std::string> McpServer::TakeLine() {
  for (;;) {
    const size_t newline = out_buffer_.find('\n');
    if (newline == std::string::npos) break;
    std::string line = out_buffer_.substr(0, newline);
    out_buffer_.erase(0, newline + 1);
    if (discarding_line_) {
      discarding_line_ = false;
      return Status::Error("a line longer than " + std::to_string(kMaxLineBytes >> 20) + " MiB");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) return line;
  }
  if (out_buffer_.size() > kMaxLineBytes) {
    out_buffer_.clear();
    discarding_line_ = true;
  }
  return std::string();
}

Result<bool> McpServer::ReadOut() {
  char buffer[65536];
  ssize_t got;
  while ((got = read(out_fd_, buffer, sizeof buffer)) < 0 && errno == EINTR) {
  }
  if (got < 0 && errno == EAGAIN) return false;
  // End of its stdout: it exited, or is about to.
  if (got <= 0) return Status::Error(GoneReason("closed its stdout"));
  if (discarding_line_) {
    const char* end = static_cast<const char*>(memchr(buffer, '\n', static_cast<size_t>(got)));
    if (!end) return true;
    out_buffer_.assign("\n");  // ends the discarded line above
    out_buffer_.append(end + 1, static_cast<size_t>(buffer + got - (end + 1)));
    return true;
  }
  out_buffer_.append(buffer, static_cast<size_t>(got));
  return true;
}

// stderr is a log: each line goes to -v as it comes, and the last few KiB are kept for the
// message of a failure. A line without end is logged in pieces of a few KiB.
void McpServer::ReadStderr() {
  char buffer[16384];
  const ssize_t n = read(err_fd_, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    if (!err_buffer_.empty()) LogStderrLine(err_buffer_);
    err_buffer_.clear();
    Close(&err_fd_);
    return;
  }
  err_buffer_.append(buffer, static_cast<size_t>(n));
  size_t newline;
  while ((newline = err_buffer_.find('\n')) != std::string::npos) {
    LogStderrLine(std::string_view(err_buffer_).substr(0, newline));
    err_buffer_.erase(0, newline + 1);
  }
  if (err_buffer_.size() > kStderrTailBytes) {
    LogStderrLine(err_buffer_);
    err_buffer_.clear();
  }
}

void McpServer::LogStderrLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return;
  LOG_INFO("mcp %s: %s", config_.name.c_str(), OneLine(line, 1000).c_str());
  stderr_tail_ =
      std::string(line.substr(line.size() > kStderrTailBytes ? line.size() - kStderrTailBytes : 0));
}

// The server has closed a pipe: it exited, or is about to. Its last words are on stderr, which
// is read to its end (or for a moment: something it started may hold it open).
std::string McpServer::GoneReason(const std::string& otherwise) {
  const int64_t deadline_ms = NowMs() + kKillGraceMs;
  while (err_fd_ >= 0) {
    pollfd p{err_fd_, POLLIN, 0};
    const int n = poll(&p, 1, RemainingMs(deadline_ms));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    ReadStderr();
  }
  if (pid_fd_ >= 0) WaitForExit(pid_fd_, RemainingMs(deadline_ms));
  const std::string reason = ExitReason();
  return reason.empty() ? otherwise : reason;
}

std::string McpServer::ExitReason() {
  if (pid_ <= 0) return "";
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
      info.si_pid == 0) {
    return "";
  }
  std::string reason = info.si_code == CLD_EXITED
                           ? "exited with " + std::to_string(info.si_status)
                           : "killed by signal " + std::to_string(info.si_status);
  if (!stderr_tail_.empty()) reason += " (stderr: " + OneLine(stderr_tail_) + ")";
  return reason;
}

// A failure of the server ends it: its stream may be out of step, and it gets no second chance
// here (the caller decides about a restart).
Status McpServer::Fail(const std::string& what) {
  Stop();
  return Status::Error(what);
}

void McpServer::Stop() {
  Close(&in_fd_);  // the specification's first step: end of file on its stdin
  if (pid_ > 0) {
    if (interrupted_) {
      kill(-pid_, SIGKILL);
    } else if (pid_fd_ < 0 || !WaitForExit(pid_fd_, kExitGraceMs)) {
      kill(-pid_, SIGTERM);
      kill(-pid_, SIGCONT);
      if (pid_fd_ < 0 || !WaitForExit(pid_fd_, kKillGraceMs)) kill(-pid_, SIGKILL);
    }
    // Whatever it left in its group goes with it; its pid, the group's id, is not reused
    // before it is reaped.
    kill(-pid_, SIGKILL);
    UnregisterChildGroup(pid_);  // before the reaping frees the pid for another process
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
  for (int* fd : {&pid_fd_, &out_fd_, &err_fd_}) Close(fd);
  out_buffer_.clear();
  err_buffer_.clear();
  discarding_line_ = false;
  sent_calls_.clear();
}

}  // namespace voxterm
