#include "conversation/text_chat.h"

#include <string>

#include "util/log.h"

namespace voxterm {

TextChat::TextChat(SessionSettings session, ClientProtocol* server, Sink answers,
                   PlaybackPath* speaker, ToolCalls* tools, History* history)
    : server_(server),
      answers_(std::move(answers)),
      speaker_(speaker),
      tools_(tools),
      // Text, or audio with its transcript for --speak.
      core_(std::move(session), speaker ? Modality::kAudio : Modality::kText, server, tools,
            history),
      answer_text_(this) {
  if (speaker) audio_.emplace(speaker);
}

void TextChat::OnTick() {
  if (speaker_) speaker_->Pump();
}

void TextChat::OnUserLine(std::string line) {
  switch (core_.OnUserLine(&line)) {
    case ConversationCore::Line::kToolAnswer: CheckTools(); return;
    case ConversationCore::Line::kBlank: return;
    case ConversationCore::Line::kTurn: break;
  }
  pending_.push_back(std::move(line));
  MaybeStartTurn();
}

void TextChat::OnInputEnd() {
  input_ended_ = true;
  if (tools_ && tools_->awaiting_answer()) {  // no answer will come: the tool does not run
    tools_->Answer(false);
    CheckTools();
  }
}

// A turn starts when the session is set up and the previous turn has its answer. The event ids
// let an error be matched to the request it refuses.
void TextChat::MaybeStartTurn() {
  if (!core_.ready() || turn_ != Turn::kNone || pending_.empty()) return;
  line_ = std::move(pending_.front());
  pending_.pop_front();
  ++turn_number_;
  item_event_id_ = "voxterm_item_" + std::to_string(turn_number_);
  item_id_ = "voxterm_user_" + std::to_string(turn_number_);
  item_refused_ = false;
  turn_ = Turn::kAnswering;
  server_->AddUserText(line_, item_event_id_, item_id_);
  SendResponseCreate();
}

void TextChat::SendResponseCreate(bool continue_answer) {
  response_id_.clear();
  response_wrote_ = false;
  core_.requests().Want(continue_answer ? ContinuationInstructions(core_.settings().instructions)
                                        : "");
  core_.requests().SendIfWanted(/*server_free=*/core_.ready());
}

void TextChat::OnDisconnected() {
  core_.OnDisconnected();
  response_id_.clear();
  open_responses_.clear();
  if (speaker_) speaker_->SetStreamOpen(false);  // what arrived plays out
}

// After the replay (ConversationCore), the turn in flight goes on. Tool calls that were running
// go on by themselves: their outputs follow the replay, then the follow-up. Otherwise the line
// goes again if the server never had it, and the answer is asked for again; one that was partly
// written is asked to go on instead.
void TextChat::Resume() {
  if (turn_ == Turn::kNone) return;
  if (turn_ == Turn::kRunningTools) {
    CheckTools();
    return;
  }
  if (core_.ResendLine(line_, item_event_id_, item_id_)) item_refused_ = false;
  answer_text_.AdoptOpenLine(/*adopt=*/response_wrote_);
  SendResponseCreate(/*continue_answer=*/response_wrote_);
}

bool TextChat::OnInterrupt() {
  if (!tools_ || !tools_->Interrupt()) return false;
  CheckTools();  // a refused question ends the calls at once; running tools end later
  return true;
}

bool TextChat::OnServerSilent(int seconds) {
  LOG_ERROR("the server sent nothing for %d s while an answer was due: giving up", seconds);
  return true;
}

void TextChat::OnToolsReady() {
  if (!tools_) return;
  tools_->OnRunnerReady();
  CheckTools();
}

void TextChat::CheckTools() {
  if (turn_ != Turn::kRunningTools || !core_.ready()) return;
  if (tools_->TakeFollowUp()) {
    turn_ = Turn::kAnswering;
    SendResponseCreate();  // the answer that uses the outputs, in the same turn
  } else if (!tools_->busy()) {
    // Interrupted, or not run: the turn ends here.
    EndTurn(/*failed=*/false);
  }
}

void TextChat::Words(std::string_view text) {
  answers_(text);
  response_wrote_ = true;
  last_written_ = text.back();
}

// The last character written decides whether the line needs its newline.
void TextChat::EndLine(bool /*interrupted*/) {
  if (last_written_ != '\n') Words("\n");
}

void TextChat::EndTurn(bool failed) {
  answer_text_.EndLine(/*interrupted=*/false);
  last_written_ = '\n';
  turn_ = Turn::kNone;
  line_.clear();
  if (failed) ++failed_turns_;
  MaybeStartTurn();
}

bool TextChat::TakeAnnounced(std::string_view response_id) {
  for (auto it = open_responses_.begin(); it != open_responses_.end(); ++it) {
    if (*it == response_id) {
      open_responses_.erase(it);
      return true;
    }
  }
  LOG_WARN("ignored response.done for response \"%s\", which was never announced",
           Printable(std::string(response_id), 64).c_str());
  return false;
}

void TextChat::OnServerEvent(const ServerEvent& event) {
  // A response.done that ends no announced response is not passed on: nothing ends with it.
  if (event.type == ServerEventType::kResponseDone && !TakeAnnounced(event.response.id)) return;
  // The answer so far ends its line before any tool's line is shown.
  if (event.type == ServerEventType::kResponseDone) answer_text_.EndLine(/*interrupted=*/false);
  core_.Record(event);
  switch (event.type) {
    case ServerEventType::kSessionCreated: OnSessionCreated(); break;
    case ServerEventType::kResponseCreated:
      open_responses_.emplace_back(event.response.id);
      if (open_responses_.size() > kMaxOpenResponses) open_responses_.pop_front();
      // Turns go one at a time, so the first response after our request is the answer.
      if (core_.requests().OnCreated() && turn_ != Turn::kNone && response_id_.empty())
        response_id_ = event.response.id;
      break;
    case ServerEventType::kTextDelta:
    case ServerEventType::kAudioTranscriptDelta:
    case ServerEventType::kTextDone:
    case ServerEventType::kAudioTranscriptDone:
    case ServerEventType::kOutputItemDone: {
      // Only the words of the current turn's response are written.
      const bool ours = turn_ != Turn::kNone && !item_refused_ &&
                        (event.response_id.empty() || event.response_id == response_id_);
      answer_text_.OnEvent(event, /*show=*/ours, /*end_line=*/true);
      break;
    }
    case ServerEventType::kAudioDelta: OnAudioDelta(event); break;
    case ServerEventType::kResponseDone:
      if (speaker_) speaker_->SetStreamOpen(false);
      OnResponseDone(event);
      break;
    case ServerEventType::kError: OnError(event); break;
    default: break;
  }
}

void TextChat::OnSessionCreated() {
  const ConversationCore::Start start = core_.OnSessionCreated();
  if (start == ConversationCore::Start::kAgain) return;
  if (start == ConversationCore::Start::kResumed) Resume();
  MaybeStartTurn();
}

// --speak: the answer's audio to the speaker (a text-only server sends none).
void TextChat::OnAudioDelta(const ServerEvent& event) {
  if (!audio_ || turn_ == Turn::kNone || item_refused_) return;
  audio_->Play(event);
}

// The end of a response ends the turn, unless it was another response that kept ours waiting.
void TextChat::OnResponseDone(const ServerEvent& event) {
  if (turn_ == Turn::kNone) return;
  if (core_.requests().wanted()) {
    // The response that kept ours waiting is over: ask again.
    core_.requests().SendIfWanted(/*server_free=*/core_.ready());
    return;
  }
  if (event.response.id != response_id_) return;  // not the turn's answer
  const std::string_view status = event.response.status;
  if (status == "completed") ++answers_done_;
  bool failed = false;
  if (status == "failed") {
    LOG_ERROR("the answer failed%s", FailureReason(event.response).c_str());
    failed = true;
  } else if (status == "incomplete") {
    LOG_WARN("the answer is incomplete (%s)",
             Printable(std::string(event.response.reason)).c_str());
  } else if (status == "cancelled") {
    LOG_WARN("the answer was cancelled (%s)",
             Printable(std::string(event.response.reason)).c_str());
  }
  if (tools_ && !failed && !item_refused_ && (tools_->busy() || tools_->follow_up_due())) {
    turn_ = Turn::kRunningTools;
    CheckTools();
    return;
  }
  EndTurn(failed || item_refused_);
}

// Most errors do not end the session; they are shown, and matched to the turn by event_id.
void TextChat::OnError(const ServerEvent& event) {
  const ErrorInfo& e = event.error;
  LOG_ERROR("server error%s%s: %s", e.code.empty() ? "" : " ",
            Printable(std::string(e.code)).c_str(), Printable(std::string(e.message)).c_str());
  if (turn_ == Turn::kNone || e.event_id.empty()) return;
  if (e.event_id == item_event_id_) {
    // The line never reached the conversation, but the response.create behind it still answers
    // the old context: wait for that response, show none of it, and count the turn as failed.
    item_refused_ = true;
    return;
  }
  switch (core_.requests().OnError(e)) {
    case ResponseGate::Refusal::kBusy:
      // Another response is active (the one we may have taken for ours): the gate asks again
      // when it is done.
      response_id_.clear();
      break;
    case ResponseGate::Refusal::kRefused: EndTurn(/*failed=*/true); break;  // none will come
    case ResponseGate::Refusal::kNotOurs: break;
  }
}

}  // namespace voxterm
