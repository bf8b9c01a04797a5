#include "conversation/live_answers.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "audio/pcm.h"
#include "util/log.h"
#include "util/secret_mask.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

constexpr int64_t kSamplesPerMs = 24;
// A user turn's words kept for its line and the history; beyond, the start is kept.
constexpr size_t kMaxUserTextBytes = 16 * 1024;

ServerEvent Synthetic(ServerEventType type, std::string_view type_name) {
  ServerEvent event;
  event.type = type;
  event.type_name = type_name;
  return event;
}

}  // namespace

bool LiveAnswers::Groups(ServerEventType type) {
  switch (type) {
    case ServerEventType::kLiveOutputAudio:
    case ServerEventType::kLiveOutputTranscript:
    case ServerEventType::kLiveInputTranscript:
    case ServerEventType::kSessionClosed: return true;
    default: return false;
  }
}

std::string_view LiveAnswers::Keep(std::string text) {
  kept_.push_back(std::move(text));
  return kept_.back();
}

void LiveAnswers::Translate(const ServerEvent& event, std::vector<ServerEvent>* out) {
  kept_.clear();
  switch (event.type) {
    case ServerEventType::kLiveOutputAudio: OnOutputAudio(event, out); break;
    case ServerEventType::kLiveOutputTranscript: OnOutputWords(event, out); break;
    case ServerEventType::kLiveInputTranscript: OnInputWords(event, out); break;
    case ServerEventType::kSessionClosed:
      // What was said so far is whole: the history a renewal passes on has it.
      if (user_open_) CloseUserTurn(out);
      if (answer_open_) CloseAnswer("completed", out);
      StartTimeline();
      break;
    default: break;
  }
}

void LiveAnswers::OnDisconnected() {
  answer_open_ = false;
  StartTimeline();
}

// A delegation's tasks end with their connection: the answer to their outputs will not come.
void LiveAnswers::StartTimeline() {
  timeline_ms_ = last_input_ms_ = silent_run_ms_ = 0;
  awaiting_since_ms_ = tool_answer_since_ms_ = -1;
}

void LiveAnswers::OpenAnswer(std::vector<ServerEvent>* out) {
  if (user_open_) CloseUserTurn(out);  // a speaker change ends the user's turn
  awaiting_since_ms_ = -1;
  ++answers_;
  answer_open_ = true;
  sentence_ended_ = false;
  user_spoke_in_answer_ = false;
  silent_run_ms_ = wordless_ms_ = 0;
  answer_id_ = "live_answer_" + std::to_string(answers_);
  item_id_ = "live_item_" + std::to_string(answers_);
  ServerEvent created = Synthetic(ServerEventType::kResponseCreated, "response.created");
  created.response.id = Keep(answer_id_);
  created.response.status = "in_progress";
  out->push_back(created);
  ServerEvent added = Synthetic(ServerEventType::kOutputItemAdded, "response.output_item.added");
  added.response_id = created.response.id;
  added.item_id = added.item.id = Keep(item_id_);
  added.item.type = "message";
  added.item.role = "assistant";
  out->push_back(added);
}

void LiveAnswers::CloseAnswer(const char* status, std::vector<ServerEvent>* out) {
  answer_open_ = false;
  const std::string_view response_id = Keep(answer_id_), item_id = Keep(item_id_);
  ServerEvent item = Synthetic(ServerEventType::kOutputItemDone, "response.output_item.done");
  item.response_id = response_id;
  item.item_id = item.item.id = item_id;
  item.item.type = "message";
  item.item.role = "assistant";
  item.item.status = "completed";
  out->push_back(item);
  ServerEvent done = Synthetic(ServerEventType::kResponseDone, "response.done");
  done.response.id = response_id;
  done.response.status = status;
  out->push_back(done);
}

void LiveAnswers::OnTypedLine(std::string_view item_id, std::string_view text,
                              std::vector<ServerEvent>* out) {
  kept_.clear();
  if (user_open_) CloseUserTurn(out);  // what they said before they typed
  ServerEvent added = Synthetic(ServerEventType::kItemAdded, "conversation.item.added");
  added.item_id = added.item.id = item_id;
  added.item.type = "message";
  added.item.role = "user";
  added.item.text = text;
  out->push_back(added);
  AwaitAnswer();
}

void LiveAnswers::AwaitAnswer() {
  if (!answer_open_ && !user_open_) awaiting_since_ms_ = timeline_ms_;
}

void LiveAnswers::OnDelegation(std::vector<ServerEvent>* out) {
  kept_.clear();
  if (user_open_) CloseUserTurn(out);
}

void LiveAnswers::CloseUserTurn(std::vector<ServerEvent>* out) {
  user_open_ = false;
  if (!answer_open_) awaiting_since_ms_ = timeline_ms_;
  out->push_back(Synthetic(ServerEventType::kSpeechStopped, "input_audio_buffer.speech_stopped"));
  ServerEvent done = Synthetic(ServerEventType::kInputTranscriptCompleted,
                               "conversation.item.input_audio_transcription.completed");
  done.item_id = Keep(user_item_id_);
  // Put together from deltas: a key the server sent in pieces is whole here.
  ProcessSecretMask().Mask(&user_text_);
  done.text = Keep(std::move(user_text_));
  user_text_.clear();
  out->push_back(done);
}

void LiveAnswers::Advance(int64_t at_ms, std::vector<ServerEvent>* out) {
  timeline_ms_ = std::max(timeline_ms_, at_ms);
  if (user_open_ && timeline_ms_ - last_input_ms_ >= kUserEndMs) CloseUserTurn(out);
  if (awaiting_since_ms_ >= 0 && !user_open_ && timeline_ms_ - awaiting_since_ms_ >= kNoAnswerMs) {
    // The model let the turn pass: an empty answer, with no item, ends the wait.
    awaiting_since_ms_ = -1;
    ++answers_;
    answer_id_ = "live_answer_" + std::to_string(answers_);
    ServerEvent created = Synthetic(ServerEventType::kResponseCreated, "response.created");
    created.response.id = Keep(answer_id_);
    created.response.status = "in_progress";
    out->push_back(created);
    ServerEvent done = Synthetic(ServerEventType::kResponseDone, "response.done");
    done.response.id = created.response.id;
    done.response.status = "completed";
    out->push_back(done);
  }
  if (tool_answer_since_ms_ >= 0 && timeline_ms_ - tool_answer_since_ms_ >= kToolAnswerMs) {
    tool_answer_since_ms_ = -1;
    LOG_WARN(
        "the voice said nothing for %d s after the tool results went back: not waiting for "
        "its answer to them",
        static_cast<int>(kToolAnswerMs / 1000));
  }
}

// The audio's own length moves the timeline on, silence included.
void LiveAnswers::OnOutputAudio(const ServerEvent& event, std::vector<ServerEvent>* out) {
  const auto samples = DecodePcm16(event.delta, &decoded_);
  if (!samples || *samples == 0) {  // AnswerAudio would skip it too; let it say so
    if (answer_open_) {
      ServerEvent audio = event;
      audio.type = ServerEventType::kAudioDelta;
      audio.response_id = Keep(answer_id_);
      audio.item_id = Keep(item_id_);
      out->push_back(audio);
    }
    return;
  }
  const int64_t ms = static_cast<int64_t>(*samples) / kSamplesPerMs;
  const bool silent = std::all_of(decoded_.begin(), decoded_.begin() + *samples,
                                  [](int16_t s) { return std::abs(int{s}) < kSilencePeak; });
  // Timed deltas (MS-REF: gaps between them are omitted silence, LIVE.md 9.3): a gap is heard
  // as silence. A start behind the timeline (or none, OpenAI's WebSocket) changes nothing.
  if (event.audio_start_ms > timeline_ms_) {
    const int64_t gap_ms = event.audio_start_ms - timeline_ms_;
    Advance(event.audio_start_ms, out);
    if (answer_open_) silent_run_ms_ += gap_ms;
    if (answer_open_ && silent_run_ms_ >= kAnswerEndSilenceMs) CloseAnswer("completed", out);
  }
  Advance(timeline_ms_ + ms, out);
  if (!answer_open_) {
    if (silent) return;
    OpenAnswer(out);
  }
  silent_run_ms_ = silent ? silent_run_ms_ + ms : 0;
  wordless_ms_ += ms;
  if (silent && user_spoke_in_answer_ && silent_run_ms_ >= kBargeInSilenceMs) {
    // The model stopped for the user: what is queued would be stale words.
    out->push_back(Synthetic(ServerEventType::kSpeechStarted, "input_audio_buffer.speech_started"));
    // A turn already over (its words ended while the model still spoke) ends here too.
    if (!user_open_) {
      out->push_back(
          Synthetic(ServerEventType::kSpeechStopped, "input_audio_buffer.speech_stopped"));
    }
    CloseAnswer("cancelled", out);
    return;
  }
  ServerEvent audio = event;
  audio.type = ServerEventType::kAudioDelta;
  audio.response_id = Keep(answer_id_);
  audio.item_id = Keep(item_id_);
  out->push_back(audio);
  if (silent_run_ms_ >= kAnswerEndSilenceMs) CloseAnswer("completed", out);
}

void LiveAnswers::OnOutputWords(const ServerEvent& event, std::vector<ServerEvent>* out) {
  Advance(event.audio_end_ms, out);
  if (event.delta.empty()) return;
  if (!answer_open_) OpenAnswer(out);
  silent_run_ms_ = wordless_ms_ = 0;  // words are being said
  tool_answer_since_ms_ = -1;         // an answer to the tool outputs, if one was due
  ServerEvent words = event;
  // One answer can be several utterances (a spoken "Let me check." and, later, the result),
  // and the next may begin without the space that parts them.
  const char first = event.delta.front();
  if (sentence_ended_ && first != ' ' && first != '\n')
    words.delta = Keep(" " + std::string(event.delta));
  sentence_ended_ = std::strchr(".!?", event.delta.back()) != nullptr;
  words.type = ServerEventType::kAudioTranscriptDelta;
  words.response_id = Keep(answer_id_);
  words.item_id = Keep(item_id_);
  out->push_back(words);
}

void LiveAnswers::OnInputWords(const ServerEvent& event, std::vector<ServerEvent>* out) {
  Advance(event.audio_end_ms, out);
  if (event.delta.empty()) return;
  last_input_ms_ = std::max(timeline_ms_, event.audio_end_ms);
  if (answer_open_) user_spoke_in_answer_ = true;
  if (!user_open_) {
    ++user_turns_;
    user_open_ = true;
    user_item_id_ = "live_user_" + std::to_string(user_turns_);
    ServerEvent added = Synthetic(ServerEventType::kItemAdded, "conversation.item.added");
    added.item_id = added.item.id = Keep(user_item_id_);
    added.item.type = "message";
    added.item.role = "user";
    out->push_back(added);
    // During an answer the model decides whether to stop: the engine hears of the user's
    // speech only when it does (OnOutputAudio), or a flush would cut the model off here.
    if (!answer_open_) {
      out->push_back(
          Synthetic(ServerEventType::kSpeechStarted, "input_audio_buffer.speech_started"));
    }
  }
  // Cut between characters: a half at the cap would be replaced, with a warning, when the text
  // goes back to the server.
  user_text_.append(
      Utf8Head(event.delta, kMaxUserTextBytes - std::min(kMaxUserTextBytes, user_text_.size())));
  ServerEvent words = event;
  words.type = ServerEventType::kInputTranscriptDelta;
  words.item_id = Keep(user_item_id_);
  out->push_back(words);
}

}  // namespace voxterm
