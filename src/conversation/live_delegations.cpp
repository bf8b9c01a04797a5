#include "conversation/live_delegations.h"

#include <algorithm>

#include "conversation/tool_calls.h"
#include "util/log.h"

namespace voxterm {

void LiveDelegations::OnDelegation(const ServerEvent& event) {
  const std::string id(event.item_id);
  if (event.name == "responses") {
    LOG_INFO("the model handed a task to the backend (%s)", Printable(id, 64).c_str());
    return;
  }
  if (std::find(answered_.begin(), answered_.end(), id) != answered_.end()) {
    LOG_DEBUG("delegation %s announced again: answered already", Printable(id, 64).c_str());
    return;
  }
  answered_.push_back(id);
  if (answered_.size() > kRemembered) answered_.pop_front();
  LOG_INFO("the model delegated a task (%s); without tools voxterm cannot carry it out",
           Printable(id, 64).c_str());
  server_->AnswerDelegation(event.item_id, kRefusal);
}

// A backend voxterm did not ask for (no tools, so client delegation) has no calls of voxterm's
// to make: what it sends is not acted on, so nothing waits for outputs that cannot go.
void LiveDelegations::OnBackendEvent(const ServerEvent& event) {
  if (!tools_ || event.backend_type == ServerEventType::kUnknown) return;
  if (!server_->tools_delegated()) {
    if (!warned_unasked_) {
      LOG_WARN("the server sent a delegation backend's events, but the session has none: ignored");
    }
    warned_unasked_ = true;
    return;
  }
  const std::string delegation(event.delegation_id);
  auto current = std::find_if(streaming_.begin(), streaming_.end(),
                              [&](const auto& entry) { return entry.first == delegation; });
  ServerEvent backend = event;
  backend.type = event.backend_type;
  if (backend.type == ServerEventType::kResponseCreated) {
    if (current != streaming_.end()) streaming_.erase(current);
    streaming_.emplace_back(delegation, std::string(event.response.id));
    if (streaming_.size() > kRemembered) streaming_.pop_front();
  } else if (backend.response_id.empty() && current != streaming_.end()) {
    backend.response_id = current->second;
    if (backend.type == ServerEventType::kResponseDone) backend.response.id = current->second;
  }
  tools_->OnServerEvent(backend);
}

void LiveDelegations::OnDisconnected() {
  answered_.clear();
  streaming_.clear();
}

}  // namespace voxterm
