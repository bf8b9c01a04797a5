#include "protocol/realtime_client.h"

#include "util/log.h"

namespace voxterm {

void RealtimeClient::ConfigureSession(const SessionSettings& settings) {
  messages_->Send(EncodeSessionUpdate(dialect_, settings));
}

void RealtimeClient::AppendAudio(const int16_t* samples, size_t count) {
  messages_->Send(EncodeAudioAppend(samples, count));
}

void RealtimeClient::CommitAudio() { messages_->Send(EncodeAudioCommit()); }

void RealtimeClient::ClearAudio() { messages_->Send(EncodeAudioClear()); }

void RealtimeClient::AddUserText(std::string_view text, std::string_view event_id,
                                 std::string_view item_id) {
  messages_->Send(EncodeUserText(text, event_id, item_id));
}

void RealtimeClient::AddUserImages(std::string_view text, const std::vector<InputImage>& images,
                                   std::string_view event_id, std::string_view item_id) {
  if (dialect_ == Dialect::kGa) {
    messages_->Send(EncodeUserMessage(text, images, event_id, item_id));
    return;
  }
  LOG_WARN("the beta dialect has no image input: %zu image(s) left out of the turn", images.size());
  messages_->Send(EncodeUserText(text, event_id, item_id));
}

void RealtimeClient::AddAssistantText(std::string_view text, std::string_view item_id,
                                      bool complete) {
  messages_->Send(EncodeAssistantText(dialect_, text, item_id, complete));
}

void RealtimeClient::AddFunctionCall(std::string_view call_id, std::string_view name,
                                     std::string_view arguments_json, std::string_view item_id) {
  messages_->Send(EncodeFunctionCall(call_id, name, arguments_json, item_id));
}

void RealtimeClient::AddToolOutput(std::string_view call_id, std::string_view output,
                                   std::string_view item_id) {
  messages_->Send(EncodeFunctionCallOutput(call_id, output, item_id));
}

void RealtimeClient::AnswerMcpApproval(std::string_view request_id, bool approve,
                                       std::string_view reason, std::string_view item_id) {
  messages_->Send(EncodeMcpApprovalResponse(request_id, approve, reason, item_id));
}

void RealtimeClient::RequestAnswer(std::optional<Modality> output, std::string_view event_id,
                                   std::string_view instructions) {
  messages_->Send(EncodeResponseCreate(dialect_, output, event_id, instructions));
}

void RealtimeClient::CancelAnswer() { messages_->Send(EncodeResponseCancel()); }

void RealtimeClient::TruncateAnswer(std::string_view item_id, int64_t audio_end_ms) {
  messages_->Send(EncodeTruncate(item_id, audio_end_ms));
}

}  // namespace voxterm
