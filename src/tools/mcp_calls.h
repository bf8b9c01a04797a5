// McpCalls: calls of the tools of the config's MCP servers, several at a time, without
// blocking: the conversation's side of tools/mcp_hub.h. Abstract so that the conversation
// logic can be tested without servers (tests/fakes/fake_mcp_calls.h records the calls).
// Thread safety: main thread only. The main loop polls fd() and calls Work() when it is readable.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tools/mcp_server.h"

namespace voxterm {

// A server's tool as the model sees it: a function named SERVER__TOOL.
struct McpFunction {
  std::string name;             // SERVER__TOOL
  std::string server, tool;     // the halves: the config's name, the server's name for the tool
  std::string description;      // the server's
  std::string parameters_json;  // the tool's inputSchema: every call is checked against it
  bool confirm = false;         // ask the user first (the server's "confirm")
  int timeout_ms = 10000;       // the server's time limit
};

struct McpCallOutcome {
  enum class End {
    kAnswered,     // result holds the server's answer (is_error: the tool failed)
    kFailed,       // error says why: the server is not running, exited, or answered nonsense
    kTimedOut,     // no answer within the server's time limit
    kInterrupted,  // the user asked (Ctrl-C); the server was told the call is cancelled
  };
  End end = End::kAnswered;
  McpCallResult result;
  std::string error;
  int64_t duration_ms = 0;
};

class McpCalls {
 public:
  using Id = int;
  virtual ~McpCalls() = default;

  // The tools the model may call now.
  virtual const std::vector<McpFunction>& functions() const = 0;
  // Sends a call of functions()[i].name. It never fails here: a call that cannot be sent
  // finishes at once with kFailed, and is collected by TakeFinished() like any other.
  // REQUIRES: arguments_json is a JSON object that passed the function's schema.
  virtual Id Start(const std::string& function, const std::string& arguments_json) = 0;
  // Readable when Work() has something to do; -1 when there is never anything.
  virtual int fd() const = 0;
  // Reads answers, enforces time limits; never waits for a server.
  virtual void Work() = 0;
  // The calls that have finished since the last call, in the order they finished.
  virtual std::vector<std::pair<Id, McpCallOutcome>> TakeFinished() = 0;
  // Every call in flight finishes as kInterrupted (Ctrl-C).
  virtual void InterruptAll() = 0;
  // functions() changed since the last call (a server's notifications/tools/list_changed, or
  // a restart that listed other tools): the session is to declare them again.
  virtual bool TakeToolsChanged() = 0;
};

}  // namespace voxterm
