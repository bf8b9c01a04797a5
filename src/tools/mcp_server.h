// McpServer: a local MCP server (docs/config.md, "MCP servers"), as a child process that speaks
// the MCP stdio transport: one JSON-RPC 2.0 message per line on its stdin and stdout, protocol
// version 2025-11-25, its stderr a log. Start() runs the child and the handshake (initialize,
// notifications/initialized) and lists its tools (tools/list); CallTool() calls one
// (tools/call). Each request has the server's time limit (timeout_ms).
//
// Everything the server sends is untrusted: a line is at most kMaxLineBytes, a message is
// parsed with bounded depth and size (protocol/json_parse.h), at most kMaxTools tools are kept,
// each with a name the API takes as part of SERVER__TOOL and an object inputSchema that voxterm
// can enforce on every call (tools/tool_schema.h, as for a config tool's parameters); a tool
// that breaks a rule is left out, with a note (skipped()). Lines that are not JSON-RPC are logged
// and ignored; requests from the server are answered (ping) or refused (anything else), never
// followed.
//
// The child runs in a process group of its own (tools/process_spawn.h) with the environment
// given (the caller's base, without secrets, plus the config's env). Its stderr goes to the -v
// log as "mcp NAME: line"; the last few KiB are kept for a failure's message. Stop(), and the
// destructor, close its stdin, then SIGTERM its group, then SIGKILL: nothing it started outlives
// the McpServer.
//
// Start() and CallTool() block, each at most the time limit: `voxterm mcp` and the tests call
// them directly. A conversation's main loop must not wait that long: it sends a call with
// SendCall() and, whenever out_fd() or err_fd() is readable, collects the answers with Pump(),
// without ever blocking (tools/mcp_hub.h).
// Thread safety: one thread. REQUIRES: SIGPIPE ignored (voxterm's signal watch does it), so that
// a server that closed its stdin is an error, not the end of voxterm.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/mcp_config.h"
#include "util/status.h"

namespace voxterm {

constexpr const char* kMcpProtocolVersion = "2025-11-25";

struct McpTool {
  std::string name;               // as the server names it; [A-Za-z0-9_-]{1,64 - len(SERVER__)}
  std::string description;        // empty when the server gave none
  std::string input_schema_json;  // an object schema, as compact JSON text
};

// What a tools/call came back with.
struct McpCallResult {
  bool is_error = false;  // the result's isError: the tool ran and failed
  std::string text;       // the text content items, joined by newlines, valid UTF-8
  std::vector<std::string> other_content;  // the types of the content items that are not text
  bool truncated = false;                  // text was cut to max_output_bytes
};

class McpServer {
 public:
  static constexpr size_t kMaxLineBytes = 4u << 20;
  static constexpr size_t kMaxTools = 256;
  static constexpr size_t kMaxDescriptionBytes = 4096;
  static constexpr size_t kStderrTailBytes = 2048;

  // base_env: "NAME=value" entries, the environment before the config's env is added
  // (tools/tool_command.h, ToolBaseEnvironment, leaves the API keys out).
  McpServer(McpServerConfig config, std::vector<std::string> base_env);
  ~McpServer();
  McpServer(const McpServer&) = delete;
  McpServer& operator=(const McpServer&) = delete;

  // Starts the child, shakes hands and lists the tools. The error says what failed, with the
  // last line of the server's stderr when it exited: "exited with 3 (stderr: ...)". A failed
  // start leaves no process behind.
  Status Start();

  // Calls a tool by the server's name for it. arguments_json must be a JSON object (the caller
  // checks it against the tool's schema). An error is a failure of the server (it exited,
  // answered too late, or answered with an error or nonsense), not of the tool: that is
  // McpCallResult::is_error. After a time-out or an exit the server is stopped.
  // REQUIRES: running().
  Result<McpCallResult> CallTool(const std::string& tool, std::string_view arguments_json,
                                 size_t max_output_bytes);

  // The non-blocking half. SendCall() writes a tools/call (waiting only while the server's
  // stdin pipe is full, at most the time limit) and returns the request's id; Pump() reads what
  // the server wrote so far and adds the answers to requests of SendCall() to *answers. An error
  // from either is the server's failure (it exited, or sent nonsense too long to be a line):
  // the server is stopped then, and every call sent is lost.
  struct CallAnswer {
    int64_t id = 0;
    Result<McpCallResult> result = Status::Error("no answer");
  };
  Result<int64_t> SendCall(const std::string& tool, std::string_view arguments_json);
  Status Pump(size_t max_output_bytes, std::vector<CallAnswer>* answers);
  // Tells the server a call is no longer awaited (notifications/cancelled); its answer, if
  // any, is dropped by Pump().
  void Cancel(int64_t id);
  // Lists the tools again (after notifications/tools/list_changed): blocks, at most the time
  // limit. REQUIRES: running(), and no call sent and unanswered (its answer would be lost).
  Status Relist();
  bool calls_in_flight() const { return !sent_calls_.empty(); }
  // Ends the server at once (SIGKILL to its group): after a time-out, it gets no grace.
  void Kill();
  int out_fd() const { return out_fd_; }
  int err_fd() const { return err_fd_; }

  // Closes stdin, then SIGTERM to the group, SIGKILL 500 ms later, and reaps the child; after
  // an interrupt, SIGKILL at once.
  void Stop();

  // A descriptor that becomes readable when the user wants to stop (voxterm's signal watch):
  // polled, never read, during every wait. Once it is readable, the request fails at once with
  // "interrupted" and the server is killed without grace, so Ctrl-C ends voxterm in time and no
  // server is left behind. -1: none.
  void SetInterruptFd(int fd) { interrupt_fd_ = fd; }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const McpServerConfig& config() const { return config_; }
  const std::vector<McpTool>& tools() const { return tools_; }
  // Tools the server listed that were left out, and why: "tool \"a b\": the name ...".
  const std::vector<std::string>& skipped() const { return skipped_; }
  // The server sent notifications/tools/list_changed since the last Start().
  bool tools_changed() const { return tools_changed_; }

 private:
  // A JSON-RPC answer: the result as compact JSON, or the error's message.
  struct Answer {
    bool ok = false;
    std::string result_json;
    std::string error;
  };
  static Result<std::string> CallParams(const std::string& tool, std::string_view arguments_json);
  static std::string RequestLine(int64_t id, const std::string& method,
                                 const std::string& params_json);
  Status Spawn();
  Status Handshake(int64_t deadline_ms);
  Status ListTools(int64_t deadline_ms);
  // Sends a request and waits for its answer until deadline_ms (CLOCK_MONOTONIC).
  Result<Answer> Request(const std::string& method, const std::string& params_json,
                         int64_t deadline_ms);
  Status Send(const std::string& line, int64_t deadline_ms);
  // Waits until fd has events, the interrupt fd is readable, or deadline_ms. Returns fd's
  // revents (0 at the deadline), or -1 when interrupted (interrupted_ is set then).
  int WaitFor(int fd, short events, int64_t deadline_ms);
  // Reads what the server wrote until a complete line is there or deadline_ms; stderr lines go
  // to the log on the way.
  Result<std::string> ReadLine(int64_t deadline_ms);
  void ReadStderr();
  void LogStderrLine(std::string_view line);
  // Handles a message that is not the answer awaited: a notification or a server's request.
  void HandleOther(const std::string& line, int64_t deadline_ms);
  // Why the child closed a pipe: ExitReason() once it has exited, else otherwise.
  std::string GoneReason(const std::string& otherwise);
  // Why the child is gone, when it has exited ("exited with 3 (stderr: ...)"); "" otherwise.
  std::string ExitReason();
  Status Fail(const std::string& what);
  // Moves what stdout has ready into out_buffer_: true when something was read, false when
  // nothing is there yet; an error when stdout ended.
  Result<bool> ReadOut();
  // A complete line from out_buffer_, or "" when none is complete yet.
  Result<std::string> TakeLine();
  static Result<McpCallResult> ReadCallResult(const Answer& answer, size_t max_output_bytes);
  static Answer ReadAnswer(const void* doc_value);
  void AddTool(const void* tool_value);

  const McpServerConfig config_;
  const std::vector<std::string> base_env_;
  pid_t pid_ = -1;
  int pid_fd_ = -1, in_fd_ = -1, out_fd_ = -1, err_fd_ = -1;
  std::string out_buffer_, err_buffer_;  // bytes read, up to the next newline
  bool discarding_line_ = false;         // past kMaxLineBytes of one line: dropped to its end
  std::string stderr_tail_;              // the last kStderrTailBytes of stderr
  int64_t next_id_ = 1;
  std::vector<int64_t> sent_calls_;  // ids of SendCall() not answered nor cancelled yet
  std::vector<McpTool> tools_;
  std::vector<std::string> skipped_;
  bool tools_changed_ = false;
  int interrupt_fd_ = -1;
  bool interrupted_ = false;  // the interrupt fd was readable: Stop() gives no grace
};

}  // namespace voxterm
