#include "conversation/conversation_core.h"

namespace voxterm {

ConversationCore::Start ConversationCore::OnSessionCreated() {
  if (ready_) return Start::kAgain;
  ready_ = true;
  server_->ConfigureSession(settings_);
  if (!resumed_) return Start::kFirst;
  // Tool outputs after the replay: their calls must come first.
  if (history_) history_->Replay(server_);
  if (tools_) tools_->OnSessionReady();
  return Start::kResumed;
}

bool ConversationCore::OnDisconnected() {
  if (!ready_) return false;
  ready_ = false;
  resumed_ = true;
  if (history_) history_->OnDisconnected();
  if (tools_) tools_->OnDisconnected();
  requests_.OnDisconnected();
  return true;
}

void ConversationCore::Record(const ServerEvent& event) {
  if (history_) history_->OnServerEvent(event);
  if (tools_) tools_->OnServerEvent(event);
}

ConversationCore::Line ConversationCore::OnUserLine(std::string* line) {
  if (!line->empty() && line->back() == '\r') line->pop_back();
  if (tools_ && tools_->awaiting_answer()) {  // the line answers "run ...? [y/N]"
    tools_->Answer(ToolCalls::IsYes(*line));
    return Line::kToolAnswer;
  }
  if (line->find_first_not_of(" \t") == std::string::npos) return Line::kBlank;
  return Line::kTurn;
}

bool ConversationCore::ResendLine(std::string_view line, std::string_view event_id,
                                  std::string_view item_id) {
  if (history_ && history_->Has(item_id)) return false;
  server_->AddUserText(line, event_id, item_id);
  return true;
}

}  // namespace voxterm
