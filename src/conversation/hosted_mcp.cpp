#include "conversation/hosted_mcp.h"

#include <algorithm>

#include "protocol/json_write.h"
#include "tools/tool_command.h"
#include "util/clock.h"
#include "util/log.h"

namespace voxterm {
namespace {

// How much of the arguments a line shows, and a question (the user decides on all of it).
constexpr size_t kShortArguments = 80;
constexpr size_t kAskedArguments = 4096;

// The tool as the user knows a local MCP server's: SERVER__TOOL.
std::string Shown(std::string_view label, std::string_view name) {
  return Printable(std::string(label), 64) + "__" + Printable(std::string(name), 64);
}

// Why a refusal happened, for the model: it should say so rather than try again.
constexpr const char* kNoTerminal =
    "The user could not be asked (voxterm has no terminal to ask on), so the call was not "
    "approved.";

}  // namespace

void HostedMcp::OnServerEvent(const ServerEvent& event) {
  using Type = ServerEventType;
  const bool item_event = event.type == Type::kOutputItemAdded ||
                          event.type == Type::kOutputItemDone || event.type == Type::kItemAdded ||
                          event.type == Type::kItemDone;
  if (item_event && event.item.type == "mcp_approval_request") {
    return OnRequest(event.response_id, event.item);
  }
  if (item_event && event.item.type == "mcp_list_tools" && event.type == Type::kItemDone) {
    LOG_DEBUG("hosted MCP server %s: %lld tools listed",
              Printable(std::string(event.item.server_label), 64).c_str(),
              static_cast<long long>(event.item.tool_count));
    return;
  }
  if ((event.type == Type::kOutputItemAdded || event.type == Type::kOutputItemDone) &&
      event.item.type == "mcp_call") {
    return OnCallItem(event);
  }
  CallShown* call = FindCall(event.item_id);
  switch (event.type) {
    case Type::kMcpCallArgsDone:
      if (call) call->arguments = std::string(event.text.substr(0, kAskedArguments));
      break;
    case Type::kMcpCallInProgress:
      if (call) ShowStart(call);
      break;
    case Type::kMcpCallFailed:
      if (call) call->failed = true;
      break;
    case Type::kMcpListTools:
      if (event.type_name == "mcp_list_tools.failed") {
        LOG_WARN(
            "a hosted MCP server could not list its tools (item %s): its tools are not "
            "available to the model",
            Printable(std::string(event.item_id), 64).c_str());
      } else {
        LOG_DEBUG("%s (item %s)", Printable(std::string(event.type_name), 64).c_str(),
                  Printable(std::string(event.item_id), 64).c_str());
      }
      break;
    default: break;
  }
}

HostedMcp::CallShown* HostedMcp::FindCall(std::string_view item_id) {
  if (item_id.empty()) return nullptr;
  auto it = calls_.find(std::string(item_id));
  return it == calls_.end() ? nullptr : &it->second;
}

void HostedMcp::ShowStart(CallShown* call) {
  if (call->started) return;
  call->started = true;
  view_->ToolActivity(Shown(call->label, call->name) + " " +
                      Printable(call->arguments, kShortArguments) + " (called by the API)");
}

// The call is announced by output_item.added and ends with output_item.done, whose item has
// its output or its error. A done without an added (or one forgotten) is shown whole.
void HostedMcp::OnCallItem(const ServerEvent& event) {
  const std::string id(event.item.id);
  CallShown* call = FindCall(id);
  if (!call) {
    if (id.empty()) return;
    if (calls_order_.size() >= kMaxCallsShown) {
      calls_.erase(calls_order_.front());
      calls_order_.pop_front();
    }
    calls_order_.push_back(id);
    call = &calls_[id];
  }
  if (!event.item.server_label.empty()) call->label = std::string(event.item.server_label);
  if (!event.item.name.empty()) call->name = std::string(event.item.name.substr(0, 256));
  if (!event.item.arguments.empty()) {
    call->arguments = std::string(event.item.arguments.substr(0, kAskedArguments));
  }
  if (event.type != ServerEventType::kOutputItemDone) return;
  ShowStart(call);
  const ItemInfo& item = event.item;
  const bool failed = call->failed || !item.error_type.empty() || !item.error_message.empty() ||
                      item.status == "failed" || item.status == "incomplete";
  std::string line = Shown(call->label, call->name);
  if (failed) {
    std::string why(item.error_message.empty() ? item.error_type : item.error_message);
    line += ": failed" + (why.empty() ? "" : ": " + Printable(why, 200));
  } else {
    line += ": done, " + std::to_string(item.output.size()) + " bytes of output";
  }
  view_->ToolActivity(line);
  calls_.erase(id);
  calls_order_.erase(std::find(calls_order_.begin(), calls_order_.end(), id));
}

void HostedMcp::OnRequest(std::string_view response_id, const ItemInfo& item) {
  if (item.id.empty()) {
    if (no_id_lines_.Admit(MonotonicNs() / 1000000)) {
      LOG_WARN("skipped an MCP approval request without an id: it could not be answered");
    }
    return;
  }
  Request request{std::string(item.id), std::string(response_id),
                  std::string(item.server_label.substr(0, 256)),
                  std::string(item.name.substr(0, 256)),
                  std::string(item.arguments.substr(0, kAskedArguments))};
  if (!answered_.insert(request.id).second) return;  // announced again, or answered already
  answered_order_.push_back(request.id);
  while (answered_order_.size() > kMaxAnsweredIds) {
    answered_.erase(answered_order_.front());
    answered_order_.pop_front();
  }
  if (can_ask_ == CanAsk::kNo || pending_.size() >= kMaxPending) {
    const bool no_terminal = can_ask_ == CanAsk::kNo;
    // A line for each up to the throttle's few, then a count: a server can send them at will.
    const std::string line =
        !refused_lines_.Admit(MonotonicNs() / 1000000)
            ? std::string()
            : Shown(request.label, request.name) +
                  (no_terminal ? ": not approved (it needs approval, and there is no terminal)"
                               : ": not approved (too many requests at once)");
    return Respond(std::move(request), false,
                   no_terminal ? kNoTerminal
                               : "Too many approval requests at once: this one was refused "
                                 "without asking.",
                   line);
  }
  pending_.push_back(std::move(request));
}

void HostedMcp::AskNext() {
  if (asking_ || pending_.empty()) return;
  asking_ = true;
  const Request& request = pending_.front();
  view_->AskToRun("allow the API to call " + Shown(request.label, request.name) + " " +
                  Printable(request.arguments, kAskedArguments) + "? [y/N] ");
}

void HostedMcp::Answer(bool yes) {
  asking_ = false;
  Request request = std::move(pending_.front());
  pending_.pop_front();
  const std::string tool = Shown(request.label, request.name);
  if (yes) {
    Respond(std::move(request), true, "", tool + ": approved");
  } else {
    Respond(std::move(request), false, "The user declined this call.", tool + ": declined");
  }
}

bool HostedMcp::Interrupt() {
  if (pending_.empty()) return false;
  asking_ = false;
  std::deque<Request> waiting = std::move(pending_);
  pending_.clear();
  for (Request& request : waiting) {
    const std::string line = Shown(request.label, request.name) + ": not approved (interrupted)";
    Respond(std::move(request), false, "The user interrupted: the call was not approved.", line,
            /*want_follow_up=*/false);
  }
  return true;
}

void HostedMcp::OnDisconnected() {
  asking_ = false;
  for (const Request& request : pending_) {
    view_->ToolActivity(Shown(request.label, request.name) +
                        ": not answered (the connection was lost)");
  }
  pending_.clear();
  follow_up_due_ = false;
}

void HostedMcp::Respond(Request request, bool approve, const std::string& reason,
                        const std::string& line, bool want_follow_up) {
  const std::string item_id = "voxterm_approval_" + std::to_string(next_response_item_++);
  server_->AnswerMcpApproval(request.id, approve, reason, item_id);
  if (!line.empty()) view_->ToolActivity(line);  // none: past the throttle's lines
  if (log_->enabled()) {
    JsonBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"type", nullptr},
                                     {"approval_request_id", &request.id},
                                     {"server_label", &request.label},
                                     {"name", &request.name}}) {
      const std::string text = value ? ValidUtf8(*value) : "voxterm.mcp_approval";
      w.Key(key);
      w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
    w.Key("approve");
    w.Bool(approve);
    w.EndObject();
    log_->Local(buffer.str());
  }
  const bool others = std::any_of(pending_.begin(), pending_.end(), [&](const Request& r) {
    return r.response_id == request.response_id;
  });
  if (want_follow_up && !others) follow_up_due_ = true;
}

}  // namespace voxterm
