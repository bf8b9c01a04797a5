// TextChat: the conversation logic of --text mode, with no I/O of its own.
// Each input line is one user turn: conversation.item.create with input_text, then
// response.create. Turns go one at a time, so answers come back in order and no response.create
// is ever sent while a response is active. Text deltas (or audio transcript deltas, from a server
// that answers with audio anyway) go to the answer sink as they arrive, a line per message
// (AnswerText); each answer ends with a newline. With tools, a turn whose
// response calls them goes on: the calls run (ToolCalls), and the follow-up response.create asks
// for the answer that uses their outputs.
//
// After a lost connection, the new session gets the conversation so far (History) and the turn
// in flight goes on: its line is sent again unless the server had it, and its answer is asked
// for again, or, if part of it was already written, asked to go on from there, so nothing is
// written twice.
// Thread safety: main thread only.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audio/playback_path.h"
#include "conversation/answer_audio.h"
#include "conversation/answer_text.h"
#include "conversation/conversation.h"
#include "conversation/conversation_core.h"
#include "conversation/tool_calls.h"
#include "protocol/client_protocol.h"
#include "protocol/server_events.h"

namespace voxterm {

class TextChat final : public Conversation, private AnswerText::Lines {
 public:
  using Sink = std::function<void(std::string_view)>;

  // server: where requests go. answers: stdout in production. speaker: with --speak,
  // where the spoken answers go (the transcript still goes to answers); null for text only.
  // tools: the declared tools' calls; null without tools. history: kept for reconnects; null
  // keeps none.
  TextChat(SessionSettings session, ClientProtocol* server, Sink answers,
           PlaybackPath* speaker = nullptr, ToolCalls* tools = nullptr, History* history = nullptr);

  void OnServerEvent(const ServerEvent& event) override;
  void OnUserLine(std::string line) override;
  void OnInputEnd() override;
  void OnTick() override;
  int tick_ms() const override { return speaker_ ? kAudioTickMs : 0; }
  bool OnInterrupt() override;
  void OnToolsReady() override;
  bool AwaitingServer() const override { return turn_ == Turn::kAnswering; }
  bool OnServerSilent(int seconds) override;
  void OnDisconnected() override;
  bool Quiet() const override { return Idle() && !(speaker_ && speaker_->Audible()); }
  // Lines wait in the pipe rather than in memory once this many are queued.
  bool WantsInput() const override { return pending_.size() < kMaxPendingLines; }

  // No turn in flight and none waiting: ready for the next line (the prompt may show).
  bool Idle() const { return turn_ == Turn::kNone && pending_.empty(); }
  // The session was set up, the input has ended, every turn has been answered (and heard).
  bool Finished() const override {
    return input_ended_ && core_.ready() && Idle() && !(speaker_ && speaker_->Audible());
  }
  bool WantsPrompt() const override { return core_.ready() && Idle() && !input_ended_; }
  bool session_ready() const override { return core_.ready(); }
  int failed_turns() const override { return failed_turns_; }
  uint64_t answers() const override { return answers_done_; }

 private:
  static constexpr size_t kMaxPendingLines = 64;

  void MaybeStartTurn();
  void EndTurn(bool failed);
  // AnswerText::Lines: the answer's words to stdout.
  void Words(std::string_view text) override;
  void EndLine(bool interrupted) override;
  void OnSessionCreated();
  void OnAudioDelta(const ServerEvent& event);
  void OnError(const ServerEvent& event);
  void OnResponseDone(const ServerEvent& event);
  // Whether a response.done ends a response that response.created announced (and forgets it).
  bool TakeAnnounced(std::string_view response_id);
  // The turn waits for its tool calls: asks for the follow-up, or ends the turn.
  void CheckTools();
  // continue_answer: the answer was cut off by a lost connection; ask for the rest of it.
  void SendResponseCreate(bool continue_answer = false);
  // A new session after a lost connection: the conversation so far, then the turn in flight.
  void Resume();

  ClientProtocol* const server_;
  const Sink answers_;
  PlaybackPath* const speaker_;
  ToolCalls* const tools_;
  ConversationCore core_;             // the session's set-up, replay and response.create
  std::optional<AnswerAudio> audio_;  // --speak

  bool input_ended_ = false;
  std::deque<std::string> pending_;  // lines waiting for their turn
  // The turn in flight: none, its answer due or streaming, or its tool calls running (the
  // follow-up comes next).
  enum class Turn { kNone, kAnswering, kRunningTools };
  Turn turn_ = Turn::kNone;
  int turn_number_ = 0;
  std::string line_;           // the current turn's line, until its answer is done
  std::string item_id_;        // the id of its item: the server has it once History does
  std::string item_event_id_;  // of the current turn's conversation.item.create
  std::string response_id_;    // of the current turn's response, once created
  // Announced by response.created and not yet done: a response.done for any other response is
  // the server's mistake (or worse), and ends nothing. A few at most; the oldest go first.
  static constexpr size_t kMaxOpenResponses = 8;
  std::deque<std::string> open_responses_;
  bool item_refused_ = false;    // the server refused the turn's line
  bool response_wrote_ = false;  // the current response wrote some of the answer
  AnswerText answer_text_;
  char last_written_ = '\n';
  int failed_turns_ = 0;
  uint64_t answers_done_ = 0;  // completed answers to our turns
};

}  // namespace voxterm
