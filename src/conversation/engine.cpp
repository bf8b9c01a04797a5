#include "conversation/engine.h"

#include <algorithm>
#include <utility>

#include "audio/pcm.h"
#include "util/log.h"
#include "util/secret_mask.h"

namespace voxterm {

ConversationEngine::ConversationEngine(SessionSettings session, ClientProtocol* server,
                                       PlaybackPath* playback, ConversationView* view,
                                       ToolCalls* tools, History* history, LinePolicy lines)
    : core_(std::move(session), playback ? Modality::kAudio : Modality::kText, server, tools,
            history),
      delegations_(server, tools),
      server_interrupts_(core_.settings().turns == SessionSettings::Turns::kDetect),
      line_policy_(lines),
      server_(server),
      playback_(playback),
      view_(view),
      tools_(tools),
      history_(history),
      answer_text_(this) {
  if (playback) audio_.emplace(playback);
}

std::deque<ConversationEngine::Response>::iterator ConversationEngine::Open(
    std::string_view response_id) {
  return std::find_if(responses_.begin(), responses_.end(),
                      [&](const Response& r) { return r.id == response_id; });
}

ConversationEngine::Response* ConversationEngine::Find(std::string_view response_id) {
  const auto open = Open(response_id);
  return open == responses_.end() ? nullptr : &*open;
}

ConversationEngine::Response* ConversationEngine::Of(std::string_view response_id) {
  return response_id.empty() ? Newest() : Find(response_id);
}

bool ConversationEngine::OursOpen() const {
  return std::any_of(responses_.begin(), responses_.end(),
                     [](const Response& r) { return r.ours; });
}

// A response nobody asked for (without VAD, a confused or hostile server's) keeps nothing
// waiting but the request it stands in the way of: a script still ends, or the watchdog tells.
bool ConversationEngine::AwaitingServer() const {
  const ResponseGate& requests = core_.requests();
  return core_.ready() && !tools_busy() &&
         (OursOpen() || requests.requested() || awaiting_answer_ || live_.tool_answer_due() ||
          (line_ && requests.wanted()));
}

bool ConversationEngine::Idle() const {
  return core_.ready() && !OursOpen() && !awaiting_answer_ && !user_speaking_ &&
         !truncate_pending_ && pending_lines_.empty() && !line_ && !Audible() &&
         !(pacer_ && pacer_->holding()) && !core_.requests().wanted() &&
         !core_.requests().requested() && !tools_busy() && !live_.tool_answer_due();
}

void ConversationEngine::OnCaptureFrame(const int16_t* samples, size_t count) {
  // Audio before the first session is configured would be heard with the server's defaults;
  // audio during an outage is kept for the next session.
  if (!core_.ready() && !core_.resumed()) return;
  if (recent_.empty()) recent_.resize(kRecentSamples);  // a text chat has no microphone
  for (size_t i = 0; i < count; ++i) recent_[(captured_ + i) % kRecentSamples] = samples[i];
  captured_ += count;
  if (!core_.ready()) return;
  server_->AppendAudio(samples, count);
  appended_frames_ += count;
}

void ConversationEngine::ResendAudio(uint64_t from) {
  const uint64_t oldest = captured_ > kRecentSamples ? captured_ - kRecentSamples : 0;
  if (from < oldest) {
    LOG_WARN("the connection was down longer than voxterm keeps audio: the first %.1f s are lost",
             static_cast<double>(oldest - from) / kApiSampleRateHz);
    from = oldest;
  }
  session_base_ = from;
  constexpr uint64_t kChunk = kApiSampleRateHz / 10;  // 100 ms an append
  std::vector<int16_t> chunk;
  for (uint64_t at = from; at < captured_;) {
    const uint64_t n = std::min(kChunk, captured_ - at);
    chunk.resize(n);
    for (uint64_t i = 0; i < n; ++i) chunk[i] = recent_[(at + i) % kRecentSamples];
    server_->AppendAudio(chunk.data(), chunk.size());
    appended_frames_ += n;
    at += n;
  }
}

// Between takes the model does not hear the microphone: where the API hears a stream (GPT-Live)
// the input is muted around each take, and no answer is asked for there (LiveAnswers waits).
void ConversationEngine::BeginTake() {
  ClearCaptions();
  server_->ClearAudio();
  server_->MuteInput(false);
  turn_ = UserTurn{captured_, {}, /*committed=*/false};
}

void ConversationEngine::DropTake() {
  server_->ClearAudio();
  server_->MuteInput(true);
  turn_.reset();
}

void ConversationEngine::CommitTake() {
  if (turn_) turn_->committed = true;
  if (core_.ready()) server_->CommitAudio();
  server_->MuteInput(true);
  if (!server_->takes_answer_requests()) live_.AwaitAnswer();
  // Never a response.create while a response is active: the interrupted one ends first.
  RequestResponse();
}

void ConversationEngine::OnDisconnected() {
  if (!core_.OnDisconnected()) return;
  delegations_.OnDisconnected();
  const Response* cut = nullptr;  // the answer that was streaming
  for (const Response& response : responses_) {
    if (response.shown && response.id != dropped_response_id_) cut = &response;
  }
  // The rest of the cut answer is asked for in the next session, and a request that was out is
  // made again, unless the user's own turn, sent again, will make it; where the API takes
  // requests.
  const bool asks = server_->takes_answer_requests();
  continue_answer_ = asks && cut && cut->delivered;
  if (asks && cut && !cut->delivered && !turn_) core_.requests().Want();
  responses_.clear();
  live_.OnDisconnected();  // GPT-Live's answer, dropped with them, is not closed again
  awaiting_answer_ = user_speaking_ = false;
  outage_start_ = captured_;
  if (playback_) playback_->SetStreamOpen(false);  // what arrived plays out
  ClearCaptions();                                 // their transcripts will not come
  UpdateState();
}

// The order matters: the session's settings and the conversation so far (ConversationCore),
// then the typed line the server never had and the user's audio, then the requests. A line the
// server began to answer it had, even if History never heard it echoed.
void ConversationEngine::Resume() {
  if (line_ && line_->response_id.empty() &&
      core_.ResendLine(line_->text, line_->images, line_->event_id, line_->item_id)) {
    line_->refused = false;
  }
  const bool turn_open = turn_.has_value();
  const bool words_known =
      turn_ && !turn_->item_id.empty() && history_ && history_->HasText(turn_->item_id);
  if (turn_open && !words_known) {
    ResendAudio(turn_->start_frame);
  } else if (server_interrupts_) {
    ResendAudio(outage_start_);
  } else {
    session_base_ = captured_;
  }
  // The rest of a cut answer goes on its line; an answer asked for afresh starts its own.
  answer_text_.AdoptOpenLine(/*adopt=*/continue_answer_);
  if (continue_answer_) {
    continue_answer_ = false;
    core_.requests().Want(ContinuationInstructions(core_.settings().instructions));
  } else if (turn_open && server_->takes_answer_requests() &&
             (words_known || (!server_interrupts_ && turn_->committed))) {
    if (!words_known) server_->CommitAudio();
    core_.requests().Want();  // server VAD answers only speech it heard itself
  }
  CheckToolFollowUp();  // the tool outputs the new session was given
  MaybeRequestResponse();
  // A line whose answer was whole, and whose follow-up died with the connection (approval
  // requests are not carried over), has nothing left to wait for: the next lines may go.
  MaybeEndLineTurn();
}

void ConversationEngine::OnUserLine(std::string line) {
  switch (core_.OnUserLine(&line)) {
    case ConversationCore::Line::kToolAnswer:
      AfterToolProgress();
      UpdateState();
      return;
    case ConversationCore::Line::kBlank: return;
    case ConversationCore::Line::kTurn: break;
  }
  QueueLine({std::move(line), std::move(first_images_)});
  first_images_.clear();  // moved from: valid, and now surely empty
}

void ConversationEngine::OnInputEnd() {
  if (first_images_.empty()) return;
  LOG_WARN("--image: no turn came to send the images with; they were not sent");
  std::vector<InputImage>().swap(first_images_);  // the memory back
}

Status ConversationEngine::OnUserImage(std::string text, InputImage image) {
  if (awaiting_tool_answer()) {
    return Status::Error("/image: not sent; first answer the tool's question (y or n)");
  }
  if (!text.empty() && text.back() == '\r') text.pop_back();
  PendingLine line{std::move(text), {}};
  line.images.push_back(std::move(image));
  QueueLine(std::move(line));
  return Status::Ok();
}

void ConversationEngine::QueueLine(PendingLine line) {
  // A typed line interrupts the answer like speech would, but the server will not cancel a
  // response for a text turn: voxterm does, where the API lets it (GPT-Live's model stops only
  // by itself: the line waits for the answer's end).
  if (line_policy_ == LinePolicy::kInterrupt && server_->takes_answer_requests() &&
      (!responses_.empty() || Audible())) {
    BargeIn(/*server_cancels=*/false);
  }
  pending_lines_.push_back(std::move(line));
  SendPendingLine();
}

// The event ids let an error be matched to the item it refuses. A response nobody asked for
// holds back only the line's response.create (MaybeRequestResponse), not the line.
void ConversationEngine::SendPendingLine() {
  if (!core_.ready() || OursOpen() || core_.requests().requested() || pending_lines_.empty()) {
    return;
  }
  if (line_policy_ == LinePolicy::kWait && line_) return;  // the turn before is not over
  ++lines_sent_;
  line_.emplace();
  line_->text = std::move(pending_lines_.front().text);
  line_->images = std::move(pending_lines_.front().images);
  line_->item_id = "voxterm_user_" + std::to_string(lines_sent_);
  line_->event_id = "voxterm_item_" + std::to_string(lines_sent_);
  pending_lines_.pop_front();
  if (line_->images.empty()) {
    server_->AddUserText(line_->text, line_->event_id, line_->item_id);
  } else {
    server_->AddUserImages(line_->text, line_->images, line_->event_id, line_->item_id);
  }
  if (!server_->takes_answer_requests()) {  // GPT-Live: the line as its turn (LiveAnswers)
    std::vector<ServerEvent> typed;
    live_.OnTypedLine(line_->item_id, line_->text, &typed);
    for (const ServerEvent& e : typed) OnServerEvent(e);
  }
  view_->UserTyped(ShownLine(line_->text, line_->images));
  RequestResponse();
}

// A line as the views show it (you: ..., the transcript): its images by name, after the text.
std::string ConversationEngine::ShownLine(const std::string& text,
                                          const std::vector<InputImage>& images) {
  std::string shown = text;
  for (const InputImage& image : images) {
    shown += (shown.empty() ? "[image " : " [image ") + image.name + ", " +
             std::to_string(image.bytes) + " bytes]";
  }
  return shown;
}

void ConversationEngine::RequestResponse() {
  core_.requests().Want();
  MaybeRequestResponse();
}

void ConversationEngine::MaybeRequestResponse() {
  if (!core_.requests().SendIfWanted(core_.ready() && responses_.empty())) return;
  awaiting_answer_ = true;
  UpdateState();
}

void ConversationEngine::OnToolsReady() {
  if (!tools_) return;
  tools_->OnRunnerReady();
  if (tools_->TakeToolsChanged()) core_.ChangeTools(tools_->Declared());
  AfterToolProgress();
  UpdateState();
}

void ConversationEngine::AnswerTool(bool yes) {
  tools_->Answer(yes);
  AfterToolProgress();
  UpdateState();
}

bool ConversationEngine::InterruptTools() {
  if (!tools_ || !tools_->Interrupt()) return false;
  AfterToolProgress();  // a refused question ends the calls at once; running tools end later
  UpdateState();
  return true;
}

void ConversationEngine::AfterToolProgress() {
  CheckToolFollowUp();
  MaybeEndLineTurn();
}

// A delegation backend goes on by itself once asked, and the voice then says what it made of
// the outputs: that answer is awaited (a file run ends after it), as a Realtime follow-up is.
void ConversationEngine::CheckToolFollowUp() {
  if (!core_.ready() || !tools_ || !tools_->TakeFollowUp()) return;
  if (server_->tools_delegated()) {
    server_->ContinueDelegation();
    live_.AwaitToolAnswer();
  } else {
    RequestResponse();
  }
}

void ConversationEngine::MaybeEndLineTurn() {
  if (!line_ || OursOpen() || core_.requests().requested() || core_.requests().wanted() ||
      tools_busy() || (tools_ && tools_->follow_up_due())) {
    return;
  }
  if (line_->refused || line_->answer_failed) ++failed_turns_;
  line_.reset();
  SendPendingLine();
}

void ConversationEngine::BargeIn(bool server_cancels) {
  if (Audible() || truncate_pending_) {
    playback_->Flush();
    truncate_pending_ = true;  // OnTick sends the truncate once the output confirms
  }
  if (const Response* streaming = Newest()) {
    dropped_response_id_ = streaming->id;
    if (!server_cancels) server_->CancelAnswer();
  }
  if (pacer_) {  // what was heard stays on the screen; the rest never shows
    pacer_->Heard(audio_->tracker().At(playback_->position()));
    pacer_->Cut();
  }
  answer_text_.EndLine(/*interrupted=*/true);
}

void ConversationEngine::Interrupt() {
  if (!responses_.empty() || Audible()) {
    BargeIn(/*server_cancels=*/false);
  } else if (core_.requests().requested() || core_.requests().wanted()) {
    cancel_when_created_ = true;
  }
}

void ConversationEngine::OnTick() {
  if (!playback_) return;
  playback_->Pump();
  if (pacer_) {
    pacer_->Heard(audio_->tracker().At(playback_->position()));
    if (!OursOpen() && !Audible()) pacer_->Flush();  // nothing more to hear: the rest goes out
  }
  if (truncate_pending_ && playback_->FlushDone()) {
    truncate_pending_ = false;
    // The item belonged to a lost session: the replay already has it, whole.
    if (auto heard = audio_->tracker().At(playback_->flushed_at()); heard && core_.ready()) {
      server_->TruncateAnswer(heard->item_id, heard->audio_end_ms);
    }
    // Items queued behind it (the answer after a preamble) were never heard: the model should
    // not take them as said.
    if (core_.ready()) {
      for (const std::string& item_id : audio_->tracker().Unheard(playback_->flushed_at())) {
        server_->TruncateAnswer(item_id, 0);
      }
    }
  }
  UpdateState();
}

void ConversationEngine::UpdateState() {
  if (!report_state_) return;
  VoiceState state;
  if (!core_.ready()) {
    state = core_.resumed() ? VoiceState::kReconnecting : VoiceState::kConnecting;
  } else if (user_speaking_) {
    state = VoiceState::kUserSpeaking;
  } else if (Audible()) {
    state = VoiceState::kAssistantSpeaking;
  } else if (tools_busy()) {
    state = VoiceState::kRunningTool;
  } else if (OursOpen() || awaiting_answer_) {
    state = VoiceState::kThinking;
  } else {
    state = VoiceState::kListening;
  }
  if (state != state_) {
    state_ = state;
    view_->SetState(state);
  }
}

void ConversationEngine::Words(std::string_view item_id, std::string_view text) {
  if (pacer_) {
    pacer_->Words(item_id, text);
  } else {
    view_->AssistantDelta(text);
  }
}

void ConversationEngine::EndLine(bool interrupted) {
  if (pacer_) {
    pacer_->EndLine(interrupted);
  } else {
    view_->AssistantDone(interrupted);
  }
}

bool ConversationEngine::Transcribed(std::string_view item_id, bool record) {
  if (std::find(transcribed_.begin(), transcribed_.end(), item_id) != transcribed_.end())
    return true;
  if (record) {
    transcribed_.emplace_back(item_id);
    if (transcribed_.size() > kMaxRecentItems) transcribed_.pop_front();
  }
  return false;
}

void ConversationEngine::ClearCaptions() {
  if (captions_.empty()) return;
  captions_.clear();
  view_->UserCaption({});
}

void ConversationEngine::Caption(std::string_view item_id, std::string_view text) {
  auto it = std::find_if(captions_.begin(), captions_.end(),
                         [&](const auto& c) { return c.first == item_id; });
  std::pair<std::string, std::string> caption{std::string(item_id), std::string()};
  if (it != captions_.end()) {
    caption = std::move(*it);
    captions_.erase(it);
  }
  // Beyond the limit a caption shows its start; the final line has the whole text.
  caption.second.append(
      text.substr(0, kMaxCaptionBytes - std::min(kMaxCaptionBytes, caption.second.size())));
  captions_.push_back(std::move(caption));
  if (captions_.size() > kMaxCaptions) captions_.pop_front();
  // Masked whole each time: a key the server sends in pieces meets itself here.
  view_->UserCaption(ProcessSecretMask().Masked(captions_.back().second));
}

// The caption shown is then the one updated last, if any is left.
void ConversationEngine::Uncaption(std::string_view item_id) {
  auto it = std::find_if(captions_.begin(), captions_.end(),
                         [&](const auto& c) { return c.first == item_id; });
  if (it == captions_.end()) return;
  captions_.erase(it);
  view_->UserCaption(captions_.empty() ? std::string_view()
                                       : std::string_view(captions_.back().second));
}

bool ConversationEngine::Shows(std::string_view response_id) {
  if (!response_id.empty() && response_id == dropped_response_id_) return false;
  const Response* response = Of(response_id);
  return response && response->shown;
}

void ConversationEngine::OnAudioDelta(const ServerEvent& event) {
  if (!audio_ || !Shows(event.response_id)) return;
  if (const size_t samples = audio_->Play(event); samples > 0) {
    if (pacer_) pacer_->AudioArrived(event.item_id, samples);
    Of(event.response_id)->delivered = true;
    turn_.reset();  // the spoken turn has its answer: nothing to send again
  }
}

// The answer's words. Those of a response that was interrupted, or not shown, are dropped; the
// first shown mean the user's spoken turn has its answer.
void ConversationEngine::OnAnswerText(const ServerEvent& event) {
  const bool end_line = event.response_id != dropped_response_id_;
  if (answer_text_.OnEvent(event, /*show=*/Shows(event.response_id), end_line)) {
    Of(event.response_id)->delivered = true;
    turn_.reset();
  }
}

// Responses go one at a time: the one that follows our request answers it; one the server's
// VAD started is the user's answer too. Any other is nobody's, and is not shown.
// A typed line's answer is the first response asked for after it; a later one (a tool's
// follow-up) answers the outputs, and is shown even when the line was refused.
void ConversationEngine::OnResponseCreated(const ServerEvent& event) {
  if (Find(event.response.id)) return;  // announced twice: nothing new
  const bool asked = core_.requests().OnCreated();
  const bool answers_line = asked && line_ && line_->response_id.empty();
  if (answers_line) line_->response_id = std::string(event.response.id);
  const bool ours = asked || server_interrupts_;
  responses_.push_back(Response{std::string(event.response.id), ours,
                                /*shown=*/ours && !(answers_line && line_->refused),
                                /*delivered=*/false});
  if (responses_.size() > kMaxOpenResponses) responses_.pop_front();
  awaiting_answer_ = false;
  if (asked && std::exchange(cancel_when_created_, false)) {  // interrupted before it began
    dropped_response_id_ = std::string(event.response.id);
    server_->CancelAnswer();
  }
}

void ConversationEngine::OnResponseDone(const ServerEvent& event) {
  if (playback_) {
    if (const uint64_t underruns = playback_->underruns(); underruns > underruns_reported_) {
      LOG_INFO(
          "playback ran dry %llu times during that answer (audio arrived slower than real time)",
          static_cast<unsigned long long>(underruns - underruns_reported_));
      underruns_reported_ = underruns;
    }
    playback_->SetStreamOpen(false);
  }
  ++responses_done_;
  const auto done = Open(event.response.id);  // OnServerEvent made sure it is open
  const bool shown = done != responses_.end() && done->shown;
  if (done != responses_.end()) {
    if (std::next(done) == responses_.end()) awaiting_answer_ = false;  // the newest
    responses_.erase(done);
  }
  const std::string_view status = event.response.status;
  // " (reason)", when the server gave one.
  const std::string reason = event.response.reason.empty()
                                 ? std::string()
                                 : " (" + Printable(std::string(event.response.reason)) + ")";
  if (shown && status == "completed") {
    ++answers_;
    turn_.reset();  // even if all it did was call tools
  } else if (shown && status == "failed") {
    if (line_) line_->answer_failed = true;
    view_->Notice("the answer failed" + FailureReason(event.response));
  } else if (shown && status == "incomplete") {
    view_->Warning("the answer is incomplete" + reason);
  } else if (shown && status == "cancelled" && event.response.id != dropped_response_id_) {
    view_->Warning("the answer was cancelled" + reason);
  }
  CheckToolFollowUp();  // before the typed lines: the model is waiting for those outputs
  MaybeRequestResponse();
  MaybeEndLineTurn();
  SendPendingLine();
}

// A response.done that is not of an open response (never announced, or already done) ends
// nothing, and is not passed on (false). The answer so far ends its line before any tool's
// line is shown, unless the line may be a newer response's, shown, that overlapped this one.
bool ConversationEngine::BeforeResponseDone(const ServerEvent& event) {
  const auto done = Open(event.response.id);
  if (done == responses_.end()) {
    if (ignored_done_lines_.Admit(event.received_ns / 1000000)) {
      LOG_WARN("ignored response.done for response \"%s\": none is open by that id",
               Printable(std::string(event.response.id), 64).c_str());
    }
    return false;
  }
  const bool newer_shown =
      std::any_of(std::next(done), responses_.end(), [](const Response& r) { return r.shown; });
  if (!newer_shown && event.response.id != dropped_response_id_) {
    answer_text_.EndLine(/*interrupted=*/event.response.status == "cancelled");
  }
  return true;
}

void ConversationEngine::OnServerEvent(const ServerEvent& event) {
  if (LiveAnswers::Groups(event.type)) {  // GPT-Live: its streams as answers and turns
    std::vector<ServerEvent> grouped;
    live_.Translate(event, &grouped);
    for (const ServerEvent& e : grouped) OnServerEvent(e);
    return;
  }
  if (event.type == ServerEventType::kResponseDone && !BeforeResponseDone(event)) return;
  core_.Record(event);
  switch (event.type) {
    case ServerEventType::kSessionCreated: OnSessionCreated(); break;
    case ServerEventType::kSpeechStarted: OnSpeechStarted(event); break;
    case ServerEventType::kSpeechStopped:
      user_speaking_ = false;
      awaiting_answer_ = true;  // server VAD commits and answers
      break;
    case ServerEventType::kBufferTimeout:
      // Server VAD's idle_timeout_ms: the server commits the silence and answers by itself.
      awaiting_answer_ = true;
      break;
    case ServerEventType::kInputTranscriptDelta:
    case ServerEventType::kInputTranscriptCompleted:
    case ServerEventType::kInputTranscriptFailed: OnInputTranscript(event); break;
    case ServerEventType::kResponseCreated: OnResponseCreated(event); break;
    case ServerEventType::kAudioDelta: OnAudioDelta(event); break;
    case ServerEventType::kAudioDone:
      if (playback_) playback_->SetStreamOpen(false);
      break;
    case ServerEventType::kBufferCommitted:
      if (turn_ && !event.item_id.empty()) turn_->item_id = std::string(event.item_id);
      break;
    case ServerEventType::kAudioTranscriptDelta:
    case ServerEventType::kTextDelta:
    case ServerEventType::kAudioTranscriptDone:
    case ServerEventType::kTextDone:
    case ServerEventType::kOutputItemDone: OnAnswerText(event); break;
    case ServerEventType::kResponseDone: OnResponseDone(event); break;
    case ServerEventType::kError: OnError(event); break;
    case ServerEventType::kDelegationCreated:
    case ServerEventType::kBackendEvent: OnDelegation(event); break;
    default: break;
  }
  UpdateState();
}

// GPT-Live's delegation, or its backend's events.
void ConversationEngine::OnDelegation(const ServerEvent& event) {
  if (event.type == ServerEventType::kBackendEvent) {
    // The backend at work on the outputs: the voice's answer to them is due from here.
    if (live_.tool_answer_due()) live_.AwaitToolAnswer();
    delegations_.OnBackendEvent(event);
    AfterToolProgress();  // calls refused at once may have made the follow-up due
    return;
  }
  std::vector<ServerEvent> ended;  // the user's turn, which the delegation ends
  live_.OnDelegation(&ended);
  for (const ServerEvent& e : ended) OnServerEvent(e);
  delegations_.OnDelegation(event);
}

void ConversationEngine::OnSessionCreated() {
  const ConversationCore::Start start = core_.OnSessionCreated();
  if (start == ConversationCore::Start::kAgain) return;
  if (start == ConversationCore::Start::kResumed) {
    Resume();
  } else {
    session_base_ = captured_;
  }
  SendPendingLine();
}

void ConversationEngine::OnSpeechStarted(const ServerEvent& event) {
  user_speaking_ = true;
  if (!turn_) {
    const uint64_t at =
        event.audio_start_ms >= 0
            ? session_base_ + static_cast<uint64_t>(event.audio_start_ms) * kApiSampleRateHz / 1000
            : captured_;
    turn_ = UserTurn{std::min(at, captured_), {}, /*committed=*/false};
  }
  turn_->item_id = std::string(event.item_id);
  ClearCaptions();
  if (!responses_.empty() || Audible()) BargeIn(/*server_cancels=*/server_interrupts_);
}

void ConversationEngine::OnInputTranscript(const ServerEvent& event) {
  if (event.type == ServerEventType::kInputTranscriptDelta) {
    if (!Transcribed(event.item_id, /*record=*/false)) Caption(event.item_id, event.delta);
    return;
  }
  if (Transcribed(event.item_id, /*record=*/true)) return;
  if (event.type == ServerEventType::kInputTranscriptCompleted) {
    if (!event.text.empty()) view_->UserSaid(event.text);  // in place of the caption
    Uncaption(event.item_id);
  } else {
    Uncaption(event.item_id);
    view_->Notice("(your words could not be transcribed)");
  }
}

// Most errors do not end the session: they are shown, and matched to a request by event_id.
// A server can send errors without end: a few are shown, then counted (LogThrottle).
void ConversationEngine::OnError(const ServerEvent& event) {
  const ErrorInfo& e = event.error;
  const bool shown = error_lines_.Admit(event.received_ns / 1000000);
  auto notice = [&](const std::string& text) {
    if (shown) view_->Notice(text);
  };
  const std::string words = "server error" +
                            (e.code.empty() ? "" : " " + Printable(std::string(e.code))) + ": " +
                            Printable(std::string(e.message));
  if (line_ && !e.event_id.empty() && e.event_id == line_->event_id) {
    // The line never reached the conversation, but the response.create behind it still answers
    // the old context: it is not shown, and the turn counts as failed.
    line_->refused = true;
    if (Response* answer = Find(line_->response_id)) answer->shown = false;
    notice(words);
    return;
  }
  if (std::string voice = core_.OnVoiceRefused(e); !voice.empty()) {
    notice(voice);
    // The server's own words follow where they say more (the voices it knows).
    if (e.code == "cannot_update_voice") return;
  }
  switch (core_.requests().OnError(e)) {
    case ResponseGate::Refusal::kBusy:
      // Another response is active: the gate asks again when it is done. Without VAD it is
      // nobody's (the one that seemed to answer us), and is not shown.
      awaiting_answer_ = false;
      if (Response* other = Newest(); other && !server_interrupts_) {
        other->ours = other->shown = false;
        if (line_ && line_->response_id == other->id) line_->response_id.clear();
      }
      if (shown) LOG_INFO("server: %s", Printable(std::string(e.message)).c_str());
      return;
    case ResponseGate::Refusal::kRefused:  // no answer will come
      awaiting_answer_ = false;
      cancel_when_created_ = false;
      if (line_) line_->answer_failed = true;
      notice(words);
      MaybeEndLineTurn();
      return;
    case ResponseGate::Refusal::kNotOurs: break;
  }
  if (e.code == "response_cancel_not_active") {  // harmless: only with -v
    if (shown) LOG_INFO("server: %s", Printable(std::string(e.message)).c_str());
  } else {
    notice(words);
  }
}

}  // namespace voxterm
