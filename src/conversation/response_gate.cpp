#include "conversation/response_gate.h"

namespace voxterm {

void ResponseGate::Want(std::string instructions) {
  wanted_ = true;
  if (!instructions.empty()) instructions_ = std::move(instructions);
}

bool ResponseGate::SendIfWanted(bool server_free) {
  if (!wanted_ || requested_ || !server_free) return false;
  event_id_ = "voxterm_response_" + std::to_string(++sent_);
  server_->RequestAnswer(output_, event_id_, instructions_);
  sent_instructions_ = std::move(instructions_);
  instructions_.clear();
  wanted_ = false;
  requested_ = true;
  return true;
}

bool ResponseGate::OnCreated() {
  const bool ours = requested_;
  requested_ = false;
  busy_ = 0;
  return ours;
}

ResponseGate::Refusal ResponseGate::OnError(const ErrorInfo& error) {
  if (error.event_id.empty() || error.event_id != event_id_) return Refusal::kNotOurs;
  requested_ = false;  // no response.created will come for it
  if (error.code == "conversation_already_has_active_response" && ++busy_ <= kMaxBusyRefusals) {
    Want(sent_instructions_);
    return Refusal::kBusy;
  }
  busy_ = 0;
  return Refusal::kRefused;
}

void ResponseGate::OnDisconnected() {
  if (requested_) wanted_ = true;
  requested_ = false;
}

}  // namespace voxterm
