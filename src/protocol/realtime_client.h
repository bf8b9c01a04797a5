// RealtimeClient: ClientProtocol for the Realtime API, GA or beta (protocol/dialect.h), with the
// encoders of protocol/client_events.h. Each request is one client event, sent as it is made.
// Thread safety: main thread only.
#pragma once

#include "protocol/client_protocol.h"
#include "protocol/dialect.h"
#include "util/message_sink.h"

namespace voxterm {

class RealtimeClient final : public ClientProtocol {
 public:
  // messages must outlive this.
  RealtimeClient(Dialect dialect, MessageSink* messages) : dialect_(dialect), messages_(messages) {}

  void ConfigureSession(const SessionSettings& settings) override;
  void AppendAudio(const int16_t* samples, size_t count) override;
  void CommitAudio() override;
  void ClearAudio() override;
  void AddUserText(std::string_view text, std::string_view event_id,
                   std::string_view item_id) override;
  // The beta dialect has no input_image: its images are left out, with a warning.
  void AddUserImages(std::string_view text, const std::vector<InputImage>& images,
                     std::string_view event_id, std::string_view item_id) override;
  void AddAssistantText(std::string_view text, std::string_view item_id, bool complete) override;
  void AddFunctionCall(std::string_view call_id, std::string_view name,
                       std::string_view arguments_json, std::string_view item_id) override;
  void AddToolOutput(std::string_view call_id, std::string_view output,
                     std::string_view item_id) override;
  void AnswerMcpApproval(std::string_view request_id, bool approve, std::string_view reason,
                         std::string_view item_id) override;
  void RequestAnswer(std::optional<Modality> output, std::string_view event_id,
                     std::string_view instructions) override;
  void CancelAnswer() override;
  void TruncateAnswer(std::string_view item_id, int64_t audio_end_ms) override;
  // The Realtime API has no delegation: nothing to answer.
  void AnswerDelegation(std::string_view, std::string_view) override {}

 private:
  const Dialect dialect_;
  MessageSink* const messages_;
};

}  // namespace voxterm
