// LiveAnswers: GPT-Live's continuous streams, grouped into the turns and answers the engine
// knows. GPT-Live has no response, no turn event and no done event (LIVE.md sections 4 and 5):
// one output audio track for the whole session, silent between replies, and transcript deltas
// of both sides. The engine's view of a conversation is Realtime's (responses that start and
// end, user turns that are transcribed), so this one small unit decides where they are, and the
// modes stay as they are. Its rules, after OpenAI's TranscriptGrouper and LiveKit:
//
// - An answer begins at the first output that is heard: audio that is not silence, or words.
//   Silent output between answers is not played (the speaker plays silence anyway, and the
//   queue stays short). It ends after kAnswerEndSilenceMs of silent output (the grouper's
//   2,000 ms), or when the session closes.
// - The user's turn begins at their first transcribed words and ends when the model starts an
//   answer (a speaker change) or after kUserEndMs of session timeline without new words (LK-PY's
//   800 ms). Its words go to the engine as one transcription (caption, then the line).
// - Barge-in is the model's: when the user spoke during an answer and the output then turns
//   silent for kBargeInSilenceMs, the model has stopped for them. The engine then hears of the
//   user's speech (a flush: no stale words play) and the answer ends, cancelled.
// - The model may let a turn pass (a "mhm"): kNoAnswerMs of timeline after the user's turn
//   without an answer ends it as an empty answer, so that nothing waits for one.
// - After a delegation's tool outputs go back, the backend goes on and the voice says what it
//   made of them: that answer is due (AwaitToolAnswer) until the voice's next words, or until
//   kToolAnswerMs of timeline pass without them or any word from the backend, when a warning
//   says it is no longer waited for.
//
// The session timeline is counted in output audio (24 kHz PCM16), and moved on by the
// transcripts' end_ms where they are later.
//
// Translate() appends what the engine is to see: synthetic Realtime-shaped events (response
// and item ids of voxterm's own, "live_answer_N", "live_item_N", "live_user_N", unique over the
// run so History never merges two sessions' items). Their views point into the event given and
// into this object, valid until the next call.
// Thread safety: main thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "protocol/server_events.h"

namespace voxterm {

class LiveAnswers {
 public:
  static constexpr int64_t kAnswerEndSilenceMs = 2000;
  static constexpr int64_t kUserEndMs = 800;
  static constexpr int64_t kBargeInSilenceMs = 200;
  static constexpr int64_t kNoAnswerMs = 6000;
  // The answer to tool outputs waits for the backend model first: as long as the answer
  // timeout's default (answer_timeout_ms) lets a Realtime answer be silent.
  static constexpr int64_t kToolAnswerMs = 30000;
  // Output audio whose peak stays below this is silence (about -54 dBFS).
  static constexpr int kSilencePeak = 64;

  // The GPT-Live events this groups: the three streams, and a session's start and close.
  static bool Groups(ServerEventType type);
  void Translate(const ServerEvent& event, std::vector<ServerEvent>* out);
  // The connection is gone without session.closed: the engine has dropped the answer that was
  // open (its words stay as they came), so it is not closed again later; the next session's
  // timeline starts at 0. The user's turn stays open: its words are theirs.
  void OnDisconnected();

  // A delegation: the model took the user's request, so their turn is over (as LK-PY closes
  // the pending transcript with it). Appends what the engine is to see, as Translate does.
  void OnDelegation(std::vector<ServerEvent>* out);

  // A line the user typed went to the model: the user's item (GPT-Live keeps none voxterm
  // would hear of, and the History needs it for a renewal), and a turn that, like a spoken one,
  // ends as an empty answer if the model lets it pass. item_id and text must outlive *out's use.
  void OnTypedLine(std::string_view item_id, std::string_view text, std::vector<ServerEvent>* out);

  // A turn was given to the model another way (a push-to-talk take ended): if no answer opens
  // and the user's words do not come, it ends as an empty answer as a spoken turn would.
  void AwaitAnswer();

  // A delegation's tool outputs went back (or its backend is still at work on them): the
  // voice's answer to them is due, from now on the timeline.
  void AwaitToolAnswer() { tool_answer_since_ms_ = timeline_ms_; }
  bool tool_answer_due() const { return tool_answer_since_ms_ >= 0; }

  bool answer_open() const { return answer_open_; }
  // The open answer's output audio, silence included, since its last words (or its start): an
  // answer that sounds on without words is not one that will end (a file run leaves it).
  int64_t wordless_ms() const { return answer_open_ ? wordless_ms_ : 0; }
  bool user_open() const { return user_open_; }
  int64_t timeline_ms() const { return timeline_ms_; }

 private:
  void OnOutputAudio(const ServerEvent& event, std::vector<ServerEvent>* out);
  void OnOutputWords(const ServerEvent& event, std::vector<ServerEvent>* out);
  void OnInputWords(const ServerEvent& event, std::vector<ServerEvent>* out);
  void OpenAnswer(std::vector<ServerEvent>* out);
  // status: "completed", or "cancelled" when the model stopped for the user.
  void CloseAnswer(const char* status, std::vector<ServerEvent>* out);
  void CloseUserTurn(std::vector<ServerEvent>* out);
  // The session timeline reached at_ms: a user turn may be over.
  void Advance(int64_t at_ms, std::vector<ServerEvent>* out);
  // The next session's timeline starts at 0, with nothing awaited.
  void StartTimeline();
  // A copy that lives until the next Translate.
  std::string_view Keep(std::string text);

  bool answer_open_ = false;
  bool user_open_ = false;
  bool user_spoke_in_answer_ = false;  // since the answer began
  bool sentence_ended_ = false;        // the answer's words so far end in . ! or ?
  int64_t awaiting_since_ms_ = -1;     // a user's turn ended with no answer open: when
  int64_t tool_answer_since_ms_ = -1;  // tool outputs went back, no words since: when
  uint64_t answers_ = 0, user_turns_ = 0;
  std::string answer_id_, item_id_, user_item_id_;
  std::string user_text_;
  int64_t timeline_ms_ = 0;    // output audio so far, or a later transcript end_ms
  int64_t last_input_ms_ = 0;  // where the user's last words were heard
  int64_t silent_run_ms_ = 0;  // output silence since the last sound, within an answer
  int64_t wordless_ms_ = 0;    // output audio since the last words, within an answer
  std::vector<int16_t> decoded_;
  std::deque<std::string> kept_;  // ids and texts the events given out point into
};

}  // namespace voxterm
