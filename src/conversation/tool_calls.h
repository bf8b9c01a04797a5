// ToolCalls: the model's function calls, from the server's events to commands and back.
//
// Calls are collected from response.output_item.added/done,
// response.function_call_arguments.done and the function_call items response.done lists, keyed
// by call_id (a second item with a call_id already taken, in this response or an earlier one, is
// refused with a warning: it could not be answered apart from the first). A response that makes
// more calls than voxterm keeps (kMaxCollectedCalls) runs none of them: it is answered as one that
// did not complete. They run in the response's order. A call completed only
// after its response.done joins that response's calls still running, or is answered as not run. A
// response may hold several calls (parallel_tool_calls) and messages besides them (a reasoning
// model's preamble): each call is an item of its own, and only function_call items are calls. When
// the response that made them is done and completed, each is prepared (arguments the tool refuses
// never run, nor are asked about) and runs (after a y/N question for "confirm" tools, which shows
// the command exactly as it will run), several at once; each gets exactly one function_call_output,
// whatever happens: an unknown tool, bad arguments, a refusal, a command that cannot start or runs
// out of time. Once every call of a response has its output, a follow-up is due: the conversation
// sends one response.create as soon as no response is active (PROTOCOL.md §f). Calls of a response
// that was cancelled, failed or cut short are not run; they are answered as such, and no follow-up
// is asked for. Ctrl-C kills the running commands and returns control to the user, again without a
// follow-up.
//
// Across a lost connection, commands go on running. Each output is kept until the server
// announces it (its item id is voxterm's); outputs the server never announced, and those that
// finish while the connection is down, are sent once the new session has had its replay.
//
// Calls from a delegation backend (GPT-Live, ClientProtocol::tools_delegated) differ in five
// ways. A call belongs to its connection: an output that comes after that connection is lost is
// not sent (the task died with it), and none is kept for a replay. Calls of a backend response
// that did not complete are not run and get no output (the service refuses outputs for them).
// Ctrl-C does not cancel the follow-up: the backend waits for every output, interrupted or
// not, before it can end its task. For the same reason every call of a completed response gets
// an output: one announced and never completed is answered with an error, and so is each call
// over the delegation's limit (CallLimit: per response, in place of kMaxCollectedCalls), each
// kind under one warning.
//
// Tools of MCP servers (tools/mcp_calls.h) are called by the same rules: a call of SERVER__TOOL
// has its arguments checked against the tool's inputSchema before anything is sent, is asked
// about when the server's "confirm" says so, and gets exactly one output: the answer's text, an
// error output for isError, a time-out, a server that failed or a call the user interrupted.
//
// A hosted MCP server's items (the API calls it) are HostedMcp's: its approval questions share
// the one question line with the calls' (one at a time, in the order they came), and its
// follow-up is this one.
//
// Thread safety: main thread only.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conversation/call_limit.h"
#include "conversation/event_log.h"
#include "conversation/hosted_mcp.h"
#include "protocol/client_protocol.h"
#include "protocol/server_events.h"
#include "tools/mcp_calls.h"
#include "tools/tool_config.h"
#include "tools/tool_runner.h"
#include "ui/tool_call_view.h"
#include "util/log.h"

namespace voxterm {

// The tools as the session declares them to the model.
std::vector<ToolSpec> ToolSpecs(const std::vector<ToolConfig>& tools);
// The MCP servers' tools as the session declares them, after the config's.
std::vector<ToolSpec> McpToolSpecs(const std::vector<McpFunction>& functions);

class ToolCalls {
 public:
  // Calls of one response that are not run get a line each up to this many, then one line for
  // the rest (each still gets its output).
  static constexpr size_t kNotRunLines = 8;

  // tools, runner, server, view, log and mcp must outlive this. base_env: what commands inherit
  // (ToolBaseEnvironment). mcp: the MCP servers' tools, or null without any.
  ToolCalls(const std::vector<ToolConfig>* tools, ToolRunner* runner, ClientProtocol* server,
            ToolCallView* view, EventLog* log, CanAsk can_ask, std::vector<std::string> base_env,
            McpCalls* mcp = nullptr);

  // Every server event, before the conversation handles it.
  void OnServerEvent(const ServerEvent& event);
  // The connection is gone: outputs wait; calls of responses that never finished are dropped.
  void OnDisconnected();
  // A new session has the conversation so far: the outputs it lacks are sent.
  void OnSessionReady();
  // The runner's fd (or the MCP calls' fd) was readable: collects what finished.
  void OnRunnerReady();

  // The tools the session declares: the config's, then the MCP servers' (as they are now).
  std::vector<ToolSpec> Declared() const;
  // The MCP servers' tools changed: the session is to declare Declared() again.
  bool TakeToolsChanged() { return mcp_ && mcp_->TakeToolsChanged(); }

  // A question is waiting for the user's answer.
  bool awaiting_answer() const { return asking_ >= 0 || hosted_.asking(); }
  // REQUIRES: awaiting_answer()
  void Answer(bool yes);
  // A typed line as an answer: "y" or "yes", in any case, says yes; anything else says no.
  static bool IsYes(std::string_view line);
  // Ctrl-C: kills what runs and refuses what waits. False when there was nothing to stop.
  bool Interrupt();

  // Calls of a finished response are still waiting for their outputs.
  bool busy() const { return !calls_.empty() || hosted_.busy(); }
  // Every call of a response has its output (or every approval request its answer): time for
  // one response.create.
  bool follow_up_due() const { return follow_up_due_ || hosted_.follow_up_due(); }
  // Whether the follow-up is due; the caller asks for it, so it is due no longer.
  bool TakeFollowUp() {
    const bool hosted = hosted_.TakeFollowUp();
    return std::exchange(follow_up_due_, false) || hosted;
  }

 private:
  struct Call {
    std::string response_id, item_id, call_id, name, arguments;
    bool complete = false;              // its arguments have all arrived
    bool arguments_not_string = false;  // a server's mistake: refused, never read as "{}"
    uint64_t arrival = 0;               // the order calls were announced in
    const ToolConfig* tool = nullptr;   // the declared tool, once dispatched (null: unknown)
    ToolCommand command;                // prepared when dispatched, until it starts
    bool mcp = false;                   // an MCP server's tool (name is SERVER__TOOL)
    int connection = 0;                 // the connection it came on (connections_ then)
  };

  // A response.done seen, with the calls it dispatched (call_id, item id).
  struct Finished {
    std::string response_id;
    std::vector<std::pair<std::string, std::string>> calls;
  };

  void Collect(std::string_view response_id, std::string_view item_id, std::string_view call_id,
               std::string_view name, std::string_view arguments, bool arguments_complete,
               bool arguments_not_string = false);
  // Whether a call not seen before is kept to run (else it is refused, or kept to be answered).
  bool Admit(std::string_view response_id, std::string_view call_id);
  // Whether call_id belongs to a call already dispatched (a later event of it is ignored; another
  // item with it is refused).
  bool AlreadyUsed(std::string_view call_id, std::string_view item_id);
  // A response's calls that will not run: answered as such (Realtime), or shown only (a backend
  // takes no outputs for them); no follow-up.
  void NotRun(std::vector<Call> made, const std::string& why);
  void OnResponseDone(const ServerEvent& event);
  static void InResponseOrder(std::vector<Call>* made, const std::vector<ItemInfo>& listed);
  void Remember(const std::string& response_id, const std::vector<Call>& made,
                const std::vector<Call>& unfinished, const std::vector<std::string>& over);
  // A delegation's completed response: the calls it never completed, and those over its limit,
  // each answered with an error.
  void AnswerUnfinished(const std::string& response_id, std::vector<Call> unfinished);
  void AnswerOverLimit(const std::string& response_id, const CallLimit::Over& over);
  Finished* FindFinished(std::string_view response_id);
  // A call completed after its response was done: it joins the response's calls still
  // running, or, with none left, is answered as not run.
  void OnLateCall(std::map<std::string, Call>::iterator it);
  // A second item with a call_id already taken: warned about once, never run, no output.
  void RefuseDuplicate(std::string_view call_id, std::string_view item_id,
                       std::string_view first_item_id);
  void Dispatch(int serial);
  void Run(int serial);
  // A call of an MCP server's tool: checked, asked about, sent.
  void RunOrAsk(int serial, bool confirm);
  void DispatchMcp(int serial, const McpFunction& function);
  const McpFunction* FindMcp(std::string_view name) const;
  void AskNext();
  void Collected();
  // Sends the call's output and forgets the call; the last of a response makes a follow-up due.
  // An empty summary shows no line (one line speaks for many calls).
  void Answered(int serial, const std::string& output, std::string_view summary);
  const ToolConfig* Find(std::string_view name) const;

  const std::vector<ToolConfig>* const tools_;
  ToolRunner* const runner_;
  ClientProtocol* const server_;
  ToolCallView* const view_;
  EventLog* const log_;
  const CanAsk can_ask_;
  const std::vector<std::string> base_env_;
  McpCalls* const mcp_;
  HostedMcp hosted_;

  bool connected_ = true;
  int connections_ = 0;  // connections lost so far
  // Outputs sent but not yet seen as items: a new session is given them again.
  struct Output {
    std::string item_id, call_id, text;
  };
  std::map<int, Output> unconfirmed_;  // by serial

  std::map<std::string, Call> collecting_;   // by call_id, until their response is done
  std::map<int, Call> calls_;                // by serial: dispatched, without an output yet
  std::map<ToolRunner::Id, int> running_;    // runner id -> serial
  std::map<McpCalls::Id, int> mcp_running_;  // MCP call id -> serial
  std::deque<int> to_ask_;                   // serials of confirm calls, in order
  int asking_ = -1;                          // the serial whose question is shown
  int next_serial_ = 1;
  uint64_t next_arrival_ = 0;
  std::deque<Finished> finished_;    // the last few responses done, newest at the back
  std::deque<std::string> refused_;  // item ids refused as duplicates (warned about once)
  // The call_ids of calls dispatched, with their item ids, and in the order they came (to forget
  // the oldest): a call_id comes once in a conversation.
  std::map<std::string, std::string, std::less<>> used_;
  std::deque<std::string> used_order_;
  std::set<std::string> overflowed_;  // responses that made more calls than are kept
  CallLimit limit_;                   // a delegation's calls, per response
  LogThrottle delegation_lines_{LogLevel::kWarn, "warnings about delegations' calls"};
  LogThrottle no_call_id_lines_{LogLevel::kWarn, "function calls without a call_id"};
  std::map<std::string, bool> follow_up_wanted_;  // by response_id: false once interrupted
  bool follow_up_due_ = false;
  bool warned_too_many_ = false;
};

}  // namespace voxterm
