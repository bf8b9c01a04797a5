#include "app/voice_chat.h"

#include "audio/pcm.h"
#include "util/log.h"

namespace voxterm {

VoiceChat::VoiceChat(Dialect dialect, SessionSettings session, Transport* transport,
                     PlaybackPath* playback, ConversationView* view, ToolCalls* tools)
    : dialect_(dialect),
      session_(std::move(session)),
      server_interrupts_(session_.turns != SessionSettings::Turns::kOff),
      transport_(transport),
      playback_(playback),
      view_(view),
      tools_(tools),
      tracker_(playback->device_rate_hz()) {}

bool VoiceChat::Idle() const {
  return session_ready_ && !response_active_ && !awaiting_answer_ && !user_speaking_ &&
         !truncate_pending_ && pending_lines_.empty() && !playback_->Audible() && !response_wanted_ &&
         !response_requested_ && !tools_busy();
}

void VoiceChat::OnCaptureFrame(const int16_t* samples, size_t count) {
  // Audio before the session is configured would be heard with the server's defaults.
  if (!session_ready_) return;
  transport_->Send(EncodeAudioAppend(samples, count));
  appended_frames_ += count;
}

void VoiceChat::OnUserLine(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (awaiting_tool_answer()) {
    AnswerTool(ToolCalls::IsYes(line));
    return;
  }
  if (line.find_first_not_of(" \t") == std::string::npos) return;
  // A typed line interrupts the answer like speech would, but the server will not cancel a
  // response for a text turn: voxterm does.
  if (response_active_ || playback_->Audible()) BargeIn(/*server_cancels=*/false);
  pending_lines_.push_back(std::move(line));
  SendPendingLine();
}

void VoiceChat::SendPendingLine() {
  if (!session_ready_ || response_active_ || response_requested_ || pending_lines_.empty()) return;
  const std::string line = std::move(pending_lines_.front());
  pending_lines_.pop_front();
  transport_->Send(EncodeUserText(line));
  RequestResponse();
}

void VoiceChat::RequestResponse() {
  response_wanted_ = true;
  MaybeRequestResponse();
}

void VoiceChat::MaybeRequestResponse() {
  if (!response_wanted_ || !session_ready_ || response_active_ || response_requested_) return;
  // The event id lets an error be matched to the request it refuses.
  request_event_id_ = "voxterm_response_" + std::to_string(++requests_);
  transport_->Send(EncodeResponseCreate(dialect_, Modality::kAudio, request_event_id_));
  response_wanted_ = false;
  response_requested_ = true;
  awaiting_answer_ = true;
  UpdateState();
}

void VoiceChat::OnToolsReady() {
  if (!tools_) return;
  tools_->OnRunnerReady();
  CheckToolFollowUp();
  UpdateState();
}

void VoiceChat::AnswerTool(bool yes) {
  tools_->Answer(yes);
  CheckToolFollowUp();
  UpdateState();
}

void VoiceChat::CheckToolFollowUp() {
  if (!tools_ || !tools_->follow_up_due()) return;
  tools_->FollowUpSent();
  RequestResponse();
}

void VoiceChat::OnServerSilent(int seconds) {
  view_->Notice("the server has sent nothing for " + std::to_string(seconds) + " s; still waiting (Ctrl-C to quit)");
}

void VoiceChat::BargeIn(bool server_cancels) {
  if (playback_->Audible() || truncate_pending_) {
    playback_->Flush();
    truncate_pending_ = true;  // OnTick sends the truncate once the output confirms
  }
  if (response_active_) {
    dropped_response_id_ = response_id_;
    if (!server_cancels) transport_->Send(EncodeResponseCancel());
  }
  if (answer_line_open_) {
    view_->AssistantDone(/*interrupted=*/true);
    answer_line_open_ = false;
  }
}

void VoiceChat::Interrupt() {
  if (response_active_ || playback_->Audible()) BargeIn(/*server_cancels=*/false);
}

void VoiceChat::OnTick() {
  playback_->Pump();
  if (truncate_pending_ && playback_->FlushDone()) {
    truncate_pending_ = false;
    if (auto heard = tracker_.At(playback_->flushed_at())) {
      transport_->Send(EncodeTruncate(heard->item_id, heard->audio_end_ms));
    }
  }
  UpdateState();
}

void VoiceChat::UpdateState() {
  if (!report_state_) return;
  VoiceState state;
  if (!session_ready_) {
    state = VoiceState::kConnecting;
  } else if (user_speaking_) {
    state = VoiceState::kUserSpeaking;
  } else if (playback_->Audible()) {
    state = VoiceState::kAssistantSpeaking;
  } else if (tools_busy()) {
    state = VoiceState::kRunningTool;
  } else if (response_active_ || awaiting_answer_) {
    state = VoiceState::kThinking;
  } else {
    state = VoiceState::kListening;
  }
  if (state != state_) {
    state_ = state;
    view_->SetState(state);
  }
}

void VoiceChat::OnAudioDelta(const ServerEvent& event) {
  if (!event.response_id.empty() && event.response_id == dropped_response_id_) return;
  auto decoded = DecodePcm16(event.delta, &decoded_);
  if (!decoded) {
    LOG_WARN("skipped an audio delta that is not valid base64 (%zu characters)", event.delta.size());
    return;
  }
  const size_t samples = *decoded;
  if (samples == 0) return;
  const std::string item_id(event.item_id);
  if (item_id != tracker_.current_item()) tracker_.BeginItem(item_id, playback_->queued_frames());
  playback_->SetStreamOpen(true);
  const size_t frames = playback_->Write(decoded_.data(), samples);
  tracker_.AddAudio(frames, samples);
}

void VoiceChat::OnResponseDone(const ServerEvent& event) {
  if (const uint64_t underruns = playback_->underruns(); underruns > underruns_reported_) {
    LOG_INFO("playback ran dry %llu times during that answer (audio arrived slower than real time)",
             static_cast<unsigned long long>(underruns - underruns_reported_));
    underruns_reported_ = underruns;
  }
  response_active_ = false;
  awaiting_answer_ = false;
  playback_->SetStreamOpen(false);
  const std::string_view status = event.response.status;
  if (status == "failed") {
    view_->Notice("the answer failed: " + std::string(event.response.error_code) + " " +
                  std::string(event.response.error_message));
  }
  if (answer_line_open_ && event.response.id != dropped_response_id_) {
    view_->AssistantDone(/*interrupted=*/status == "cancelled");
    answer_line_open_ = false;
  }
  CheckToolFollowUp();  // before the typed lines: the model is waiting for those outputs
  MaybeRequestResponse();
  SendPendingLine();
}

void VoiceChat::OnServerEvent(const ServerEvent& event) {
  if (tools_) tools_->OnServerEvent(event);
  switch (event.type) {
    case ServerEventType::kSessionCreated:
      if (!session_ready_) {
        session_ready_ = true;
        transport_->Send(EncodeSessionUpdate(dialect_, session_));
        SendPendingLine();
      }
      break;
    case ServerEventType::kSpeechStarted:
      user_speaking_ = true;
      if (response_active_ || playback_->Audible()) BargeIn(/*server_cancels=*/server_interrupts_);
      break;
    case ServerEventType::kSpeechStopped:
      user_speaking_ = false;
      awaiting_answer_ = true;  // server VAD commits and answers
      break;
    case ServerEventType::kInputTranscriptCompleted:
      if (!event.text.empty()) view_->UserSaid(event.text);
      break;
    case ServerEventType::kInputTranscriptFailed:
      view_->Notice("(your words could not be transcribed)");
      break;
    case ServerEventType::kResponseCreated:
      response_active_ = true;
      response_requested_ = false;
      response_id_ = std::string(event.response.id);
      awaiting_answer_ = false;
      break;
    case ServerEventType::kAudioDelta:
      OnAudioDelta(event);
      break;
    case ServerEventType::kAudioDone:
      playback_->SetStreamOpen(false);
      break;
    case ServerEventType::kAudioTranscriptDelta:
    case ServerEventType::kTextDelta:
      if (event.response_id.empty() || event.response_id != dropped_response_id_) {
        view_->AssistantDelta(event.delta);
        answer_line_open_ = true;
      }
      break;
    case ServerEventType::kResponseDone:
      OnResponseDone(event);
      break;
    case ServerEventType::kError:
      // Harmless ones, like response_cancel_not_active, only with -v.
      if (response_requested_ && event.error.event_id == request_event_id_) {
        // Our response.create was refused: no response.created will come for it.
        response_requested_ = false;
        awaiting_answer_ = false;
      }
      if (event.error.code == "conversation_already_has_active_response" && event.error.event_id == request_event_id_) {
        // A response of the server's own (VAD) won the race: ask again after it.
        response_wanted_ = true;
        LOG_INFO("server: %s", Printable(std::string(event.error.message)).c_str());
      } else if (event.error.code == "response_cancel_not_active") {
        LOG_INFO("server: %s", Printable(std::string(event.error.message)).c_str());
      } else {
        view_->Notice("server error " + std::string(event.error.code) + ": " +
                      Printable(std::string(event.error.message)));
      }
      break;
    default:
      break;
  }
  UpdateState();
}

}  // namespace voxterm
