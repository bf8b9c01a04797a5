// HostedMcp: what a hosted MCP server's items ask of voxterm (docs/config.md, "Hosted MCP
// servers"). The API calls the server itself; voxterm shows its calls and answers its approval
// requests, from the server's events (PROTOCOL.md, GA only):
//
// - mcp_call items (response.output_item.added / .done, response.mcp_call_arguments.done,
//   response.mcp_call.in_progress / completed / failed) are shown as tool calls are: a line when
//   the call starts, one when it ends ("done" or "failed: MESSAGE").
// - mcp_approval_request items (response.output_item.done, conversation.item.added / .done: any
//   of them, the first one counts) get the y/N question of a "confirm" tool. The answer goes
//   back as an mcp_approval_response item; once every request of a response is answered, one
//   response.create is due (the follow-up of conversation/tool_calls.h), so the model goes on.
//   With no terminal to ask on, a request is refused at once, and the reason tells the model.
//   Each request is answered exactly once: ids answered are remembered (kMaxAnsweredIds), and at
//   most kMaxPending wait for the user; more are refused.
// - mcp_list_tools items and events are for -v only; a failed listing is a warning.
//
// Everything comes from the server and is untrusted: names and arguments are shown through
// Printable, cut to a bound, and what voxterm keeps per call is bounded too.
// Thread safety: main thread only.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "conversation/event_log.h"
#include "protocol/client_protocol.h"
#include "protocol/server_events.h"
#include "ui/tool_call_view.h"
#include "util/log.h"

namespace voxterm {

class HostedMcp {
 public:
  static constexpr size_t kMaxPending = 16;
  static constexpr size_t kMaxAnsweredIds = 1024;
  static constexpr size_t kMaxCallsShown = 64;

  // server, view and log must outlive this.
  HostedMcp(ClientProtocol* server, ToolCallView* view, EventLog* log, CanAsk can_ask)
      : server_(server), view_(view), log_(log), can_ask_(can_ask) {}

  void OnServerEvent(const ServerEvent& event);

  // A question of this is on the screen.
  bool asking() const { return asking_; }
  // Shows the next question, if one waits. REQUIRES: no other question is on the screen.
  void AskNext();
  // REQUIRES: asking()
  void Answer(bool yes);
  // Ctrl-C: every request waiting (the one asked included) is refused. False when none waited.
  bool Interrupt();

  // The connection is gone: the requests waiting belonged to its session, which a new one does
  // not continue (the requests are not replayed), so they are dropped unanswered.
  void OnDisconnected();

  // Requests wait for the user.
  bool busy() const { return !pending_.empty(); }
  bool follow_up_due() const { return follow_up_due_; }
  bool TakeFollowUp() { return std::exchange(follow_up_due_, false); }

 private:
  struct Request {
    std::string id, response_id, label, name, arguments;
  };
  struct CallShown {
    std::string label, name, arguments;
    bool started = false;  // its first line is shown
    bool failed = false;   // response.mcp_call.failed came
  };

  void OnRequest(std::string_view response_id, const ItemInfo& item);
  // Sends the answer, forgets the request; the last of its response makes a follow-up due
  // (unless want_follow_up is false: Ctrl-C gives the turn back to the user).
  void Respond(Request request, bool approve, const std::string& reason, const std::string& line,
               bool want_follow_up = true);
  void OnCallItem(const ServerEvent& event);
  CallShown* FindCall(std::string_view item_id);
  void ShowStart(CallShown* call);

  ClientProtocol* const server_;
  ToolCallView* const view_;
  EventLog* const log_;
  const CanAsk can_ask_;

  std::deque<Request> pending_;  // in the order they came; the front is asked when asking_
  bool asking_ = false;
  std::set<std::string> answered_;  // request ids answered (or waiting), so none is answered twice
  std::deque<std::string> answered_order_;  // to forget the oldest
  int next_response_item_ = 1;
  // What a server can repeat at will: requests refused without asking, requests without an id.
  LogThrottle refused_lines_{LogLevel::kWarn, "approval requests refused without asking"};
  LogThrottle no_id_lines_{LogLevel::kWarn, "approval requests without an id"};
  bool follow_up_due_ = false;
  std::map<std::string, CallShown> calls_;  // mcp_call items seen, by item id
  std::deque<std::string> calls_order_;
};

}  // namespace voxterm
