// McpHub: the config's MCP servers during a conversation (docs/config.md, "MCP servers"), the
// real McpCalls. StartAll() starts each server when the session starts (each handshake blocks
// at most the server's time limit, before the conversation begins); a server that does not
// start is reported once, on one line, and the conversation goes on without its tools.
//
// Calls then never block the main loop: a call is written to the server's stdin (SendCall) and
// its answer collected when the server's stdout is readable (Pump). An epoll set holds each
// server's stdout and stderr and one timerfd for the time limits, so the loop polls one fd(),
// as SpawnToolRunner's. A call without an answer at the time limit is answered as timed out,
// and its server, hung, is killed; a server that exits fails its calls in flight with the
// reason. Either way it is reported once and started again once; a second failure leaves it
// stopped, and its later calls fail with the reason.
//
// The destructor stops every server (closes stdin, SIGTERM, SIGKILL: McpServer::Stop), so none
// outlives voxterm, whichever way the conversation ends.
// Thread safety: main thread only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tools/mcp_calls.h"
#include "tools/mcp_config.h"
#include "tools/mcp_server.h"
#include "util/status.h"

namespace voxterm {

class McpHub final : public McpCalls {
 public:
  // The text of an answer is cut to this many bytes, as a tool's output is by default.
  static constexpr size_t kMaxOutputBytes = 16384;

  // base_env: what servers inherit (ToolBaseEnvironment). interrupt_fd: the signal watch's,
  // so that Ctrl-C during a start ends it at once (-1: none).
  static Result<std::unique_ptr<McpHub>> Create(std::vector<McpServerConfig> configs,
                                                std::vector<std::string> base_env,
                                                int interrupt_fd);
  ~McpHub() override;

  // Starts every server, one after the other; reports each that fails.
  void StartAll();

  const std::vector<McpFunction>& functions() const override { return functions_; }
  Id Start(const std::string& function, const std::string& arguments_json) override;
  int fd() const override { return epoll_fd_; }
  void Work() override;
  std::vector<std::pair<Id, McpCallOutcome>> TakeFinished() override;
  void InterruptAll() override;
  bool TakeToolsChanged() override { return std::exchange(tools_changed_, false); }

 private:
  struct Server {
    std::unique_ptr<McpServer> server;
    int failures = 0;  // starts and crashes so far: the second leaves it stopped
    std::string gone;  // why it is stopped for good; empty while it may run
  };
  struct Pending {
    size_t server = 0;
    int64_t request = 0;  // the JSON-RPC id
    int64_t started_ms = 0, deadline_ms = 0;
  };

  McpHub(int epoll_fd, int timer_fd, std::vector<McpServerConfig> configs,
         std::vector<std::string> base_env, int interrupt_fd);
  // Starts servers_[i]; false when it failed (reported).
  bool StartServer(size_t i);
  void Watch(size_t i);
  void Pump(size_t i);
  // servers_[i] failed: its calls in flight fail with why; it is restarted once.
  void ServerFailed(size_t i, const std::string& why);
  void EnforceTimeLimits();
  void ArmTimer();
  // Rebuilds functions_ from the servers' lists; notes whether they changed.
  void ListFunctions();
  // A server that said its list changed is asked again, once no call of it is in flight (its
  // answers would be lost in a blocking tools/list).
  void RelistIfChanged(size_t i);
  void Finish(Id id, McpCallOutcome outcome);

  const int epoll_fd_;
  const int timer_fd_;
  const std::vector<std::string> base_env_;
  const int interrupt_fd_;
  std::vector<Server> servers_;
  std::vector<McpFunction> functions_;
  std::map<Id, Pending> pending_;
  std::vector<std::pair<Id, McpCallOutcome>> finished_;
  Id next_id_ = 1;
  bool tools_changed_ = false;
};

}  // namespace voxterm
