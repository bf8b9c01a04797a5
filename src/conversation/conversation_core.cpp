#include "conversation/conversation_core.h"

namespace voxterm {

ConversationCore::Start ConversationCore::OnSessionCreated() {
  if (ready_) return Start::kAgain;
  ready_ = true;
  voice_locked_ = false;  // a new session: no audio yet
  voice_before_.reset();  // an error about an earlier session's change will not come
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
  if (event.type == ServerEventType::kAudioDelta && ready_) voice_locked_ = true;
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

bool ConversationCore::ResendLine(std::string_view line, const std::vector<InputImage>& images,
                                  std::string_view event_id, std::string_view item_id) {
  if (history_ && history_->Has(item_id)) return false;
  if (images.empty()) {
    server_->AddUserText(line, event_id, item_id);
  } else {
    server_->AddUserImages(line, images, event_id, item_id);
  }
  return true;
}

namespace {
// What voice a session has, in words.
std::string VoiceName(const std::string& voice) {
  return voice.empty() ? "the server's default voice" : voice;
}
}  // namespace

Status ConversationCore::ChangeVoice(std::string voice) {
  if (ready_ && voice_locked_) {
    return Status::Error("voice: still " + VoiceName(settings_.voice) +
                         ": the API keeps a session's voice once the model has answered with "
                         "audio, and this session's has");
  }
  if (!ready_) {  // the next session.created sends it
    settings_.voice = std::move(voice);
    return Status::Ok();
  }
  voice_before_ = std::move(settings_.voice);
  settings_.voice = std::move(voice);
  // Only the voice (and the fields the dialect's session.update cannot go without, which stay
  // as they are: the output modality, the audio formats).
  SessionSettings update;
  update.output = settings_.output;
  update.voice = settings_.voice;
  server_->ConfigureSession(update);
  return Status::Ok();
}

void ConversationCore::ChangeInstructions(std::string instructions) {
  settings_.instructions = std::move(instructions);
  if (!ready_) return;  // the next session.created sends them
  SessionSettings update;
  update.output = settings_.output;
  update.instructions = settings_.instructions;
  server_->ConfigureSession(update);
}

void ConversationCore::ChangeTools(std::vector<ToolSpec> tools) {
  settings_.tools = std::move(tools);
  if (!ready_) return;  // the next session.created sends them
  SessionSettings update;
  update.output = settings_.output;
  update.tools = settings_.tools;
  update.hosted_mcp = settings_.hosted_mcp;  // "tools" replaces the whole list
  update.tools_changed = true;
  server_->ConfigureSession(update);
}

std::string ConversationCore::OnVoiceRefused(const ErrorInfo& error) {
  const bool locked = error.code == "cannot_update_voice";
  const std::string_view param = error.param;
  const bool about_voice =
      locked || (param.size() >= 5 && param.compare(param.size() - 5, 5, "voice") == 0);
  if (!about_voice || !voice_before_) return {};
  if (locked) voice_locked_ = true;
  const std::string refused = VoiceName(settings_.voice);
  settings_.voice = std::move(*voice_before_);
  voice_before_.reset();
  return "voice: the server refused " + refused +
         (locked ? " (it keeps a session's voice once the model has answered with audio)" : "") +
         "; still " + VoiceName(settings_.voice);
}

}  // namespace voxterm
