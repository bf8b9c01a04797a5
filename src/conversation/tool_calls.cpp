#include "conversation/tool_calls.h"

#include <algorithm>
#include <cctype>

#include "protocol/json_write.h"
#include "tools/tool_command.h"
#include "tools/tool_schema.h"
#include "ui/shell_quote.h"
#include "util/clock.h"
#include "util/log.h"

namespace voxterm {
namespace {

// A hostile server could announce calls without end; a real response makes a handful, and
// the runner runs a few at a time however many there are.
constexpr size_t kMaxCollectedCalls = 1024;
// Outputs kept until the server announces them, for a reconnect.
constexpr size_t kMaxUnconfirmedOutputs = 64;
// Responses remembered once done, for the calls a server announces late; and duplicate items.
constexpr size_t kMaxFinishedResponses = 8;
constexpr size_t kMaxRefusedItems = 16;
// call_ids remembered, so that none runs twice: thousands of calls, a few hundred KB at most.
constexpr size_t kMaxUsedCallIds = 4096;
// Responses remembered as having made too many calls (a hostile server's, each).
constexpr size_t kMaxOverflowed = 64;
// How much of the arguments a line shows. (A question shows everything: the user decides on it.)
constexpr size_t kShortArguments = 80;

// The arguments on one line: whitespace runs become one space; cut with an ellipsis.
std::string Shorten(std::string_view arguments, size_t limit) {
  std::string line;
  for (char c : ValidUtf8(arguments)) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space && (line.empty() || line.back() == ' ')) continue;
    line += space ? ' ' : c;
  }
  if (line.size() <= limit) return line;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return line.substr(0, cut) + "\u2026";
}

// The command as it will run, each word quoted so that what the terminal shows is what runs,
// then the arguments it gets only through its environment and stdin.
std::string CommandLine(const ToolConfig& tool, const ToolCommand& command) {
  std::string line;
  for (const std::string& word : command.argv) line += (line.empty() ? "" : " ") + ShellQuote(word);
  const char* separator = ", with ";
  for (const auto& [name, value] : ArgumentsBesideArgv(tool, command)) {
    line += separator + ShellQuote(name) + "=" + ShellQuote(value);
    separator = ", ";
  }
  return line;
}

// A name the server gave, for a line on the terminal: a declared tool's name is plain, but a
// call may name anything, escape sequences included.
std::string Shown(const std::string& name) { return Printable(name, 64); }

std::string Summary(const std::string& name, const ToolResult& r, int timeout_ms) {
  const std::string took = " (" + std::to_string(r.duration_ms) + " ms)";
  std::string s;
  switch (r.end) {
    case ToolResult::End::kExited: s = name + ": exit " + std::to_string(r.exit_code) + took; break;
    case ToolResult::End::kSignaled:
      s = name + ": killed by signal " + std::to_string(r.exit_code - 128) + took;
      break;
    case ToolResult::End::kTimedOut:
      s = name + ": timed out after " + std::to_string(timeout_ms) + " ms";
      break;
    case ToolResult::End::kInterrupted: s = name + ": interrupted" + took; break;
    case ToolResult::End::kFailedToStart: return name + ": could not start: " + r.error;
  }
  return r.truncated ? s + ", output cut to the limit" : s;
}

// What the model gets of an MCP call: the answer's text as it is (an error output for
// isError), with a note for what it cannot be given; every failure an error output.
std::string McpOutput(const McpCallOutcome& outcome) {
  using End = McpCallOutcome::End;
  switch (outcome.end) {
    case End::kFailed: return FormatToolError(outcome.error);
    case End::kTimedOut: return FormatToolError("timed out: " + outcome.error);
    case End::kInterrupted: return FormatToolError("interrupted by the user");
    case End::kAnswered: break;
  }
  const McpCallResult& r = outcome.result;
  std::string text = r.text;
  if (r.truncated) text += "\n[voxterm: the text was cut to its size limit]";
  if (!r.other_content.empty()) {
    std::string types;
    for (const std::string& type : r.other_content) types += (types.empty() ? "" : ", ") + type;
    text += std::string(text.empty() ? "" : "\n") +
            "[voxterm: content of other types is not passed on: " + types + "]";
  }
  return r.is_error ? FormatToolError(text) : text;
}

std::string McpSummary(const std::string& name, const McpCallOutcome& outcome) {
  using End = McpCallOutcome::End;
  const std::string took = " (" + std::to_string(outcome.duration_ms) + " ms)";
  switch (outcome.end) {
    case End::kFailed: return Shown(name) + ": failed: " + outcome.error;
    case End::kTimedOut: return Shown(name) + ": timed out: " + outcome.error;
    case End::kInterrupted: return Shown(name) + ": interrupted" + took;
    case End::kAnswered: break;
  }
  std::string s = Shown(name) + (outcome.result.is_error ? ": error" : ": done") + took;
  return outcome.result.truncated ? s + ", output cut to the limit" : s;
}

}  // namespace

std::vector<ToolSpec> ToolSpecs(const std::vector<ToolConfig>& tools) {
  std::vector<ToolSpec> specs;
  for (const ToolConfig& tool : tools)
    specs.push_back({tool.name, tool.description, tool.parameters_json});
  return specs;
}

std::vector<ToolSpec> McpToolSpecs(const std::vector<McpFunction>& functions) {
  std::vector<ToolSpec> specs;
  for (const McpFunction& f : functions)
    specs.push_back({f.name, f.description, f.parameters_json});
  return specs;
}

ToolCalls::ToolCalls(const std::vector<ToolConfig>* tools, ToolRunner* runner,
                     ClientProtocol* server, ToolCallView* view, EventLog* log, CanAsk can_ask,
                     std::vector<std::string> base_env, McpCalls* mcp)
    : tools_(tools),
      runner_(runner),
      server_(server),
      view_(view),
      log_(log),
      can_ask_(can_ask),
      base_env_(std::move(base_env)),
      mcp_(mcp),
      hosted_(server, view, log, can_ask) {}

// A call is announced by response.output_item.added, completed by .function_call_arguments.done
// and by response.output_item.done. Either completion may be all a server sends, and beta's
// arguments event has no name, so both feed the same record, keyed by call_id.
void ToolCalls::OnServerEvent(const ServerEvent& event) {
  hosted_.OnServerEvent(event);
  if (asking_ < 0) hosted_.AskNext();
  switch (event.type) {
    case ServerEventType::kOutputItemAdded:
    case ServerEventType::kOutputItemDone:
      if (event.item.type == "function_call") {
        Collect(event.response_id, event.item.id, event.item.call_id, event.item.name,
                event.item.arguments, event.type == ServerEventType::kOutputItemDone,
                event.item.arguments_not_string);
      }
      break;
    case ServerEventType::kFunctionArgsDone:
      // GA names the function here; beta only in the output item.
      Collect(event.response_id, event.item_id, event.call_id, event.name, event.text,
              /*arguments_complete=*/true);
      break;
    case ServerEventType::kResponseDone: OnResponseDone(event); break;
    default: break;
  }
  if (event.type == ServerEventType::kItemAdded && !event.item.id.empty() &&
      !unconfirmed_.empty()) {
    for (auto it = unconfirmed_.begin(); it != unconfirmed_.end(); ++it) {
      if (it->second.item_id == event.item.id) {
        unconfirmed_.erase(it);
        break;
      }
    }
  }
}

// A backend's calls die with their connection: what waits is refused, what runs is stopped
// (its output could go nowhere), so that nothing starts for a task known to be dead.
void ToolCalls::OnDisconnected() {
  connected_ = false;
  hosted_.OnDisconnected();
  ++connections_;
  collecting_.clear();
  limit_.Clear();
  if (server_->tools_delegated() && !calls_.empty()) {
    LOG_WARN("the connection was lost: the tool calls it asked for are stopped");
    Interrupt();
  }
}

void ToolCalls::OnSessionReady() {
  connected_ = true;
  for (const auto& [serial, output] : unconfirmed_) {
    server_->AddToolOutput(output.call_id, output.text, output.item_id);
  }
}

// A call_id names one call: a function_call_output is keyed by it, so a second item with the
// same call_id in the conversation could not be answered apart from the first. The first runs;
// the second is refused with a warning and gets no output.
void ToolCalls::Collect(std::string_view response_id, std::string_view item_id,
                        std::string_view call_id, std::string_view name, std::string_view arguments,
                        bool arguments_complete, bool arguments_not_string) {
  if (call_id.empty()) {
    if (no_call_id_lines_.Admit(MonotonicNs() / 1000000)) {
      LOG_WARN("skipped a function call without a call_id: it could not be answered");
    }
    return;
  }
  if (AlreadyUsed(call_id, item_id)) return;
  auto it = collecting_.find(std::string(call_id));
  if (it == collecting_.end()) {
    if (!Admit(response_id, call_id)) return;
    it = collecting_.emplace(std::string(call_id), Call{}).first;
    it->second.call_id = std::string(call_id);
    it->second.arrival = next_arrival_++;
  } else if (!item_id.empty() && !it->second.item_id.empty() && item_id != it->second.item_id) {
    RefuseDuplicate(call_id, item_id, it->second.item_id);
    return;
  }
  Call& call = it->second;
  if (call.item_id.empty()) call.item_id = std::string(item_id);
  if (!response_id.empty()) call.response_id = std::string(response_id);
  if (!name.empty()) call.name = std::string(name);
  if (arguments_complete) {
    call.arguments = std::string(arguments);
    call.arguments_not_string = arguments_not_string;
    call.complete = true;
  }
  if (call.complete && !call.response_id.empty() && FindFinished(call.response_id)) OnLateCall(it);
}

// Whether a call not seen before is collected. Realtime: up to kMaxCollectedCalls at once,
// beyond which its whole response runs none. A delegation: CallLimit's per response, the others
// kept to be answered with an error when it completes.
bool ToolCalls::Admit(std::string_view response_id, std::string_view call_id) {
  const bool room = collecting_.size() < kMaxCollectedCalls;
  if (server_->tools_delegated()) {
    const CallLimit::Admission admission = limit_.Admit(response_id, call_id, room);
    if (admission == CallLimit::Admission::kLost && !warned_too_many_) {
      LOG_WARN(
          "the delegation backend made more function calls than voxterm can keep: those past "
          "them get no output, and their delegations cannot go on");
      warned_too_many_ = true;
    }
    return admission == CallLimit::Admission::kRun;
  }
  if (room) return true;
  if (!warned_too_many_) {
    LOG_WARN("a response made more than %zu function calls: none of them runs", kMaxCollectedCalls);
  }
  warned_too_many_ = true;
  if (overflowed_.size() >= kMaxOverflowed) overflowed_.clear();
  overflowed_.emplace(response_id);
  return false;
}

void ToolCalls::RefuseDuplicate(std::string_view call_id, std::string_view item_id,
                                std::string_view first_item_id) {
  if (std::find(refused_.begin(), refused_.end(), item_id) != refused_.end()) return;
  refused_.emplace_back(item_id);
  if (refused_.size() > kMaxRefusedItems) refused_.pop_front();
  LOG_WARN(
      "function call item \"%s\" reuses call_id \"%s\" of item \"%s\": not run, and not answered "
      "(an output for that call_id answers the first)",
      Printable(std::string(item_id), 64).c_str(), Printable(std::string(call_id), 64).c_str(),
      Printable(std::string(first_item_id), 64).c_str());
}

// A late event of a call that already has its output is ignored; another item is a duplicate.
bool ToolCalls::AlreadyUsed(std::string_view call_id, std::string_view item_id) {
  auto used = used_.find(call_id);
  if (used == used_.end()) return false;
  if (!item_id.empty() && !used->second.empty() && item_id != used->second) {
    RefuseDuplicate(call_id, item_id, used->second);
  }
  return true;
}

ToolCalls::Finished* ToolCalls::FindFinished(std::string_view response_id) {
  for (Finished& finished : finished_) {
    if (finished.response_id == response_id) return &finished;
  }
  return nullptr;
}

// Calls run only once their response is done: the follow-up response.create cannot be sent
// before then anyway, and a response cut short (the user spoke over it) should not act. Calls
// whose arguments never completed are not in a Realtime conversation, so they get no output;
// a delegation backend waits for an output for every call it announced, so there each gets an
// error, as does each call over its limit (CallLimit).
// response.done's output lists the response's items: a call listed there completes its record,
// or is one the server announced nowhere else. They run in the response's order: the list's,
// then (for calls it lacks) the order they were announced in.
void ToolCalls::OnResponseDone(const ServerEvent& event) {
  const std::string response_id(event.response.id);
  // Done twice: its calls are already dispatched. (Responses without an id cannot be told apart.)
  if (!response_id.empty() && FindFinished(response_id)) return;
  for (const ItemInfo& item : event.response.calls) {
    const bool complete = item.status.empty() || item.status == "completed";
    Collect(response_id, item.id, item.call_id, item.name, item.arguments, complete,
            item.arguments_not_string);
  }
  std::vector<Call> made, unfinished;
  for (auto it = collecting_.begin(); it != collecting_.end();) {
    if (it->second.response_id == response_id || it->second.response_id.empty()) {
      (it->second.complete ? made : unfinished).push_back(std::move(it->second));
      it = collecting_.erase(it);
    } else {
      ++it;
    }
  }
  const bool delegated = server_->tools_delegated();
  if (!delegated) unfinished.clear();
  const CallLimit::Over over = delegated ? limit_.Take(response_id) : CallLimit::Over{};
  InResponseOrder(&made, event.response.calls);
  Remember(response_id, made, unfinished, over.call_ids);
  if (overflowed_.erase(response_id) > 0) {
    return NotRun(std::move(made),
                  "made more than " + std::to_string(kMaxCollectedCalls) + " calls");
  }
  if (made.empty() && unfinished.empty() && over.call_ids.empty() && over.lost == 0) return;
  // "failed" is said as a verb; "cancelled", "incomplete" and the like as a state.
  const std::string status =
      event.response.status.empty() ? "ended" : Printable(std::string(event.response.status), 30);
  const std::string verb = status == "failed" || status == "ended" ? status : "was " + status;
  if (event.response.status != "completed") {
    if (const size_t n = over.call_ids.size() + over.lost; n > 0) {
      view_->ToolActivity(std::to_string(n) + " more calls not run (the response " + verb + ")");
    }
    for (Call& call : unfinished) made.push_back(std::move(call));
    return NotRun(std::move(made), verb);
  }
  follow_up_wanted_[response_id] = true;
  std::vector<int> serials;
  for (Call& call : made) {
    call.response_id = response_id;
    call.connection = connections_;
    serials.push_back(next_serial_);
    calls_.emplace(next_serial_++, std::move(call));
  }
  // Answered before those run, and after they are counted: the follow-up waits for them all.
  AnswerUnfinished(response_id, std::move(unfinished));
  AnswerOverLimit(response_id, over);
  for (int serial : serials) Dispatch(serial);
}

void ToolCalls::InResponseOrder(std::vector<Call>* made, const std::vector<ItemInfo>& listed) {
  auto rank = [&](const Call& call) {
    for (size_t i = 0; i < listed.size(); ++i) {
      if (listed[i].call_id == call.call_id) return std::pair<size_t, uint64_t>(i, 0);
    }
    return std::pair<size_t, uint64_t>(listed.size(), call.arrival);
  };
  std::stable_sort(made->begin(), made->end(),
                   [&](const Call& a, const Call& b) { return rank(a) < rank(b); });
}

// A response done, and the call_ids it used: a later event of one is ignored.
void ToolCalls::Remember(const std::string& response_id, const std::vector<Call>& made,
                         const std::vector<Call>& unfinished,
                         const std::vector<std::string>& over) {
  if (!response_id.empty()) {
    Finished& finished = finished_.emplace_back();
    finished.response_id = response_id;
    for (const Call& call : made) finished.calls.emplace_back(call.call_id, call.item_id);
    while (finished_.size() > kMaxFinishedResponses) finished_.pop_front();
  }
  auto use = [&](const std::string& call_id, const std::string& item_id) {
    used_order_.push_back(call_id);
    used_.emplace(call_id, item_id);
  };
  for (const Call& call : made) use(call.call_id, call.item_id);
  for (const Call& call : unfinished) use(call.call_id, call.item_id);
  for (const std::string& call_id : over) use(call_id, "");
  while (used_order_.size() > kMaxUsedCallIds) {
    used_.erase(used_order_.front());
    used_order_.pop_front();
  }
}

// Calls a delegation's completed response announced and never completed: not run, and each
// answered with an error, since the backend waits for them too; one warning for them all.
void ToolCalls::AnswerUnfinished(const std::string& response_id, std::vector<Call> unfinished) {
  if (unfinished.empty()) return;
  if (delegation_lines_.Admit(MonotonicNs() / 1000000)) {
    LOG_WARN(
        "the delegation backend's response \"%s\" announced %zu function call(s) and never "
        "completed them: each is answered with an error",
        Printable(response_id, 64).c_str(), unfinished.size());
  }
  for (Call& call : unfinished) {
    call.response_id = response_id;
    call.connection = connections_;
    const std::string line = Shown(call.name) + ": not run (it never completed)";
    const int serial = next_serial_++;
    calls_.emplace(serial, std::move(call));
    Answered(serial,
             FormatToolError("not run: the call was announced, but its arguments never came "
                             "before its response ended"),
             line);
  }
}

// A delegation's calls over its limit: each answered with an error (its backend cannot go on
// without), under one line and one warning rather than one each.
void ToolCalls::AnswerOverLimit(const std::string& response_id, const CallLimit::Over& over) {
  if (over.call_ids.empty() && over.lost == 0) return;
  const std::string limit = std::to_string(CallLimit::kMaxRun);
  const std::string output = FormatToolError(
      "not run: the delegation made more than " + limit +
      " function calls in one response, and voxterm runs at most " + limit + " for a delegation");
  for (const std::string& call_id : over.call_ids) {
    Call call;
    call.call_id = call_id;
    call.response_id = response_id;
    call.connection = connections_;
    const int serial = next_serial_++;
    calls_.emplace(serial, std::move(call));
    Answered(serial, output, /*summary=*/"");
  }
  view_->ToolActivity(std::to_string(over.call_ids.size() + over.lost) +
                      " calls not run (a delegation runs at most " + limit + ")");
  if (!delegation_lines_.Admit(MonotonicNs() / 1000000)) return;
  const std::string lost =
      over.lost == 0 ? ""
                     : "; " + std::to_string(over.lost) +
                           " more could not be kept and got no output, so that delegation "
                           "cannot go on";
  LOG_WARN(
      "the delegation backend made %zu function calls in one response (\"%s\"): voxterm runs at "
      "most %zu for a delegation, and answered the other %zu with an error%s",
      over.made, Printable(response_id, 64).c_str(), CallLimit::kMaxRun, over.call_ids.size(),
      lost.c_str());
}

void ToolCalls::NotRun(std::vector<Call> made, const std::string& why) {
  size_t shown = 0;
  for (Call& call : made) {
    const std::string line =
        shown++ < kNotRunLines ? Shown(call.name) + ": not run (the response " + why + ")" : "";
    if (server_->tools_delegated()) {
      if (!line.empty()) view_->ToolActivity(line);
      continue;
    }
    const int serial = next_serial_++;
    call.connection = connections_;
    calls_.emplace(serial, std::move(call));
    Answered(serial, FormatToolError("not run: the response that made this call " + why), line);
  }
  if (made.size() > kNotRunLines) {
    view_->ToolActivity(std::to_string(made.size() - kNotRunLines) + " more calls not run (the " +
                        "response " + why + ")");
  }
}

// A completed response whose calls still run takes the late one in: the follow-up waits for
// its output too. Otherwise the follow-up is sent or not wanted, and the call is refused.
void ToolCalls::OnLateCall(std::map<std::string, Call>::iterator it) {
  Call call = std::move(it->second);
  collecting_.erase(it);
  FindFinished(call.response_id)->calls.emplace_back(call.call_id, call.item_id);
  used_order_.push_back(call.call_id);
  used_.emplace(call.call_id, call.item_id);
  const auto wanted = follow_up_wanted_.find(call.response_id);
  const bool joins = wanted != follow_up_wanted_.end() && wanted->second;
  LOG_WARN("function call \"%s\" was announced after its response ended: %s",
           Printable(call.call_id, 64).c_str(),
           joins ? "it runs with that response's calls" : "not run");
  const int serial = next_serial_++;
  const std::string name = call.name;
  calls_.emplace(serial, std::move(call));
  if (joins) {
    Dispatch(serial);
  } else if (server_->tools_delegated()) {
    // A backend's response that ended takes no more outputs: the line only.
    calls_.erase(serial);
    view_->ToolActivity(Shown(name) + ": not run (it came after its response ended)");
  } else {
    Answered(serial,
             FormatToolError("not run: the call came after the response that made it had ended"),
             Shown(name) + ": not run (it came after its response ended)");
  }
}

const ToolConfig* ToolCalls::Find(std::string_view name) const {
  for (const ToolConfig& tool : *tools_) {
    if (tool.name == name) return &tool;
  }
  return nullptr;
}

// An unknown name is answered with the declared ones, so the model can correct itself.
void ToolCalls::Dispatch(int serial) {
  Call& call = calls_[serial];
  const ToolConfig* tool = call.tool = Find(call.name);
  const McpFunction* function = tool ? nullptr : FindMcp(call.name);
  if (function && !call.arguments_not_string) return DispatchMcp(serial, *function);
  if (!tool && !function) {
    std::string names;
    for (const ToolConfig& t : *tools_) names += (names.empty() ? "" : ", ") + t.name;
    if (mcp_) {
      for (const McpFunction& f : mcp_->functions()) names += (names.empty() ? "" : ", ") + f.name;
    }
    names = names.empty() ? "no tools are declared" : "the tools are: " + names;
    Answered(serial, FormatToolError("there is no tool named \"" + call.name + "\"; " + names),
             Shown(call.name) + ": not a declared tool");
    return;
  }
  if (call.arguments_not_string) {
    Answered(
        serial,
        FormatToolError("not run: the arguments were not a JSON string, as the API sends them"),
        Shown(call.name) + ": not run (its arguments were not a string)");
    return;
  }
  // Prepared before any question: arguments that cannot run are refused without asking, and
  // the question shows the very command that runs.
  auto command = PrepareCommand(*tool, call.arguments, base_env_);
  if (!command.ok()) {
    Answered(serial, FormatToolError("not run: " + command.message()),
             call.name + ": not run: " + command.message());
    return;
  }
  call.command = std::move(*command);
  RunOrAsk(serial, tool->confirm);
}

// A call checked and ready: it runs, or waits for the user's yes (refused with no terminal).
void ToolCalls::RunOrAsk(int serial, bool confirm) {
  if (!confirm) {
    Run(serial);
  } else if (can_ask_ == CanAsk::kNo) {
    Answered(serial,
             FormatToolError("not run: this tool needs the user's confirmation, and there is no "
                             "terminal to ask on"),
             calls_[serial].name + ": not run (it needs confirmation, and there is no terminal)");
  } else {
    to_ask_.push_back(serial);
    AskNext();
  }
}

std::vector<ToolSpec> ToolCalls::Declared() const {
  std::vector<ToolSpec> specs = ToolSpecs(*tools_);
  if (mcp_) {
    for (ToolSpec& spec : McpToolSpecs(mcp_->functions())) specs.push_back(std::move(spec));
  }
  return specs;
}

const McpFunction* ToolCalls::FindMcp(std::string_view name) const {
  if (!mcp_) return nullptr;
  for (const McpFunction& f : mcp_->functions()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The schema is the server's inputSchema, checked as a config tool's parameters are: arguments
// it refuses never reach the server, nor are asked about.
void ToolCalls::DispatchMcp(int serial, const McpFunction& function) {
  Call& call = calls_[serial];
  rapidjson::Document arguments;
  const std::string& text = call.arguments.empty() ? std::string("{}") : call.arguments;
  arguments.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  Status valid = arguments.HasParseError() || !arguments.IsObject()
                     ? Status::Error("the arguments are not a JSON object")
                     : ValidateArguments(function.parameters_json, arguments);
  if (!valid.ok()) {
    Answered(serial, FormatToolError("not run: " + valid.message()),
             call.name + ": not run: " + valid.message());
    return;
  }
  call.mcp = true;
  RunOrAsk(serial, function.confirm);
}

void ToolCalls::Run(int serial) {
  Call& call = calls_[serial];
  view_->ToolActivity(call.name + " " + Shorten(call.arguments, kShortArguments));
  if (call.mcp) {
    mcp_running_[mcp_->Start(call.name, call.arguments.empty() ? "{}" : call.arguments)] = serial;
    Collected();
    return;
  }
  running_[runner_->Start(call.command)] = serial;
  call.command = ToolCommand();  // the runner has its copy
  Collected();                   // a command that could not start is already finished
}

// One question at a time: the next line (or key) answers the one on the screen.
void ToolCalls::AskNext() {
  if (asking_ >= 0 || hosted_.asking()) return;
  if (to_ask_.empty()) return hosted_.AskNext();
  asking_ = to_ask_.front();
  to_ask_.pop_front();
  const Call& call = calls_[asking_];
  if (call.mcp) {
    view_->AskToRun("call " + call.name + " " + Shorten(call.arguments, 4096) + "? [y/N] ");
    return;
  }
  view_->AskToRun("run " + call.name + ": " + CommandLine(*call.tool, call.command) + "? [y/N] ");
}

void ToolCalls::Answer(bool yes) {
  if (hosted_.asking()) {
    hosted_.Answer(yes);
    return AskNext();
  }
  const int serial = asking_;
  asking_ = -1;
  if (yes) {
    Run(serial);
  } else {
    const std::string name = calls_[serial].name;
    Answered(serial, FormatToolError("not run: the user declined"), name + ": declined");
  }
  AskNext();
}

bool ToolCalls::IsYes(std::string_view line) {
  std::string word(line.substr(0, line.find_last_not_of(" \t\r") + 1));
  for (char& c : word) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return word == "y" || word == "yes";
}

void ToolCalls::OnRunnerReady() {
  runner_->Work();
  if (mcp_) mcp_->Work();
  Collected();
}

// Commands finish in any order; each output is capped by its own tool's limit.
void ToolCalls::Collected() {
  for (auto& [id, result] : runner_->TakeFinished()) {
    auto it = running_.find(id);
    if (it == running_.end()) continue;
    const int serial = it->second;
    running_.erase(it);
    const Call& call = calls_[serial];
    Answered(serial, FormatToolOutput(result, call.tool->max_output_bytes),
             Summary(call.name, result, call.tool->timeout_ms));
  }
  if (!mcp_) return;
  for (auto& [id, outcome] : mcp_->TakeFinished()) {
    auto it = mcp_running_.find(id);
    if (it == mcp_running_.end()) continue;
    const int serial = it->second;
    mcp_running_.erase(it);
    const std::string name = calls_[serial].name;
    Answered(serial, McpOutput(outcome), McpSummary(name, outcome));
  }
}

// The follow-ups are cancelled first, so that answering the refused questions below does not
// make one due: after Ctrl-C the next turn is the user's.
bool ToolCalls::Interrupt() {
  const bool approvals = hosted_.Interrupt();
  if (calls_.empty()) return approvals;
  if (!server_->tools_delegated()) {
    for (const auto& [serial, call] : calls_) follow_up_wanted_[call.response_id] = false;
  }
  std::vector<int> waiting(to_ask_.begin(), to_ask_.end());
  if (asking_ >= 0) waiting.insert(waiting.begin(), asking_);
  to_ask_.clear();
  asking_ = -1;
  for (int serial : waiting) {
    const std::string name = calls_[serial].name;
    Answered(serial, FormatToolError("not run: the user interrupted"),
             name + ": not run (interrupted)");
  }
  runner_->InterruptAll();  // their results come through OnRunnerReady, marked interrupted
  if (mcp_) {
    mcp_->InterruptAll();
    Collected();
  }
  return true;
}

// Every call ends here, exactly once: its output goes to the server, its line to the view and
// the event log. The last call of a response makes its one follow-up due.
void ToolCalls::Answered(int serial, const std::string& output, std::string_view summary) {
  auto it = calls_.find(serial);
  const Call call = std::move(it->second);
  calls_.erase(it);
  const std::string item_id = "voxterm_output_" + std::to_string(serial);
  const bool delegated = server_->tools_delegated();
  if (!delegated) unconfirmed_[serial] = {item_id, call.call_id, output};
  const bool orphan = delegated && call.connection != connections_;
  if (connected_ && !orphan) server_->AddToolOutput(call.call_id, output, item_id);
  // A server that never announces items would otherwise have them kept for ever.
  while (unconfirmed_.size() > kMaxUnconfirmedOutputs) unconfirmed_.erase(unconfirmed_.begin());
  if (!summary.empty()) {  // none: a line for many calls says it
    view_->ToolActivity(orphan ? std::string(summary) +
                                     ": not sent (the connection it was asked on was lost)"
                               : std::string(summary));
  }
  if (log_->enabled()) {
    JsonBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("type");
    w.String("voxterm.tool_call");
    for (const auto& [key, value] :
         {std::pair<const char*, const std::string*>{"call_id", &call.call_id},
          {"name", &call.name},
          {"arguments", &call.arguments},
          {"output", &output}}) {
      const std::string text = ValidUtf8(*value);
      w.Key(key);
      w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
    w.EndObject();
    log_->Local(std::string_view(buffer.GetString(), buffer.GetSize()));
  }
  const bool response_answered = std::none_of(calls_.begin(), calls_.end(), [&](const auto& entry) {
    return entry.second.response_id == call.response_id;
  });
  if (response_answered) {
    if (follow_up_wanted_[call.response_id] && !orphan) follow_up_due_ = true;
    follow_up_wanted_.erase(call.response_id);
  }
}

}  // namespace voxterm
