// TextChat: --text mode as the run loop sees it: typed lines in, the answers' words out to a
// sink (stdout), with the conversation logic in the ConversationEngine. No I/O of its own.
//
// Each input line is one user turn. Turns go one at a time (LinePolicy::kWait): a line waits
// until the turn before it is over, its tool calls and their follow-up included, so a script's
// answers come back whole and in order. Each message of an answer is a line; each answer ends
// with a newline. With --speak the answers' audio goes to the speaker as well. Errors go to
// stderr; a failed turn makes the exit code 1 at the end.
//
// After a lost connection the engine resumes: the conversation so far, then the turn in flight
// goes on, written where it stopped, so nothing is written twice.
// Thread safety: main thread only.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "audio/playback_path.h"
#include "conversation/conversation.h"
#include "conversation/engine.h"
#include "conversation/history.h"
#include "conversation/tool_calls.h"
#include "protocol/client_protocol.h"
#include "protocol/server_events.h"
#include "ui/conversation_view.h"

namespace voxterm {

class TextChat final : public Conversation, private ConversationView {
 public:
  using Sink = std::function<void(std::string_view)>;

  // server: where requests go. answers: stdout in production. speaker: with --speak,
  // where the spoken answers go (the transcript still goes to answers); null for text only.
  // tools: the declared tools' calls; null without tools. history: kept for reconnects; null
  // keeps none. interactive: stdin is a terminal, where Ctrl-C stops an answer rather than
  // the session. transcript: --transcript's file, which gets the turns too; null for none.
  TextChat(SessionSettings session, ClientProtocol* server, Sink answers,
           PlaybackPath* speaker = nullptr, ToolCalls* tools = nullptr, History* history = nullptr,
           bool interactive = false, ConversationView* transcript = nullptr);

  void OnServerEvent(const ServerEvent& event) override { engine_.OnServerEvent(event); }
  void OnUserLine(std::string line) override {
    stop_asked_ = false;
    engine_.OnUserLine(std::move(line));
  }
  void AttachToFirstTurn(std::vector<InputImage> images) override {
    engine_.AttachToFirstTurn(std::move(images));
  }
  Status OnUserImage(std::string text, InputImage image) override {
    stop_asked_ = false;
    return engine_.OnUserImage(std::move(text), std::move(image));
  }
  void OnInputEnd() override;
  void OnTick() override { engine_.OnTick(); }
  int tick_ms() const override { return speaker_ ? kAudioTickMs : 0; }
  // Ctrl-C stops a running tool, or on a terminal the answer (the prompt comes back); a
  // second one while that answer has not stopped, or one with nothing to stop, is false: the
  // loop ends the session.
  bool OnInterrupt() override;
  void OnToolsReady() override { engine_.OnToolsReady(); }
  bool AwaitingServer() const override { return engine_.AwaitingServer(); }
  // A script must not hang: the session ends as failed.
  bool OnServerSilent(int seconds) override;
  void OnDisconnected() override { engine_.OnDisconnected(); }
  bool Quiet() const override { return engine_.Idle(); }
  // Lines wait in the pipe rather than in memory once this many are queued.
  bool WantsInput() const override { return engine_.lines_waiting() < kMaxPendingLines; }

  // No turn in flight, none waiting, nothing playing: ready for the next line.
  bool Idle() const { return engine_.Idle(); }
  // The input has ended, and every turn has been answered (and heard).
  bool Finished() const override { return input_ended_ && engine_.Idle(); }
  bool WantsPrompt() const override { return engine_.Idle() && !input_ended_; }
  bool session_ready() const override { return engine_.session_ready(); }
  int failed_turns() const override { return engine_.failed_turns(); }
  uint64_t answers() const override { return engine_.answers(); }
  Status ChangeVoice(std::string voice) override { return engine_.ChangeVoice(std::move(voice)); }
  void ChangeInstructions(std::string text) override {
    engine_.ChangeInstructions(std::move(text));
  }

 private:
  static constexpr size_t kMaxPendingLines = 64;

  // ConversationView: the answers' words to the sink, problems to stderr; the rest is the
  // spoken modes'.
  void AssistantDelta(std::string_view text) override;
  void AssistantDone(bool interrupted) override;
  void Notice(std::string_view text) override;
  void Warning(std::string_view text) override;
  void UserSaid(std::string_view) override {}
  void UserTyped(std::string_view text) override;
  void UserCaption(std::string_view) override {}
  void SetState(VoiceState) override {}
  void SetLevel(float) override {}
  void SetDetail(std::string_view) override {}

  const Sink answers_;
  PlaybackPath* const speaker_;
  const bool interactive_;
  bool stop_asked_ = false;  // Ctrl-C asked the answer to stop; a new line clears it
  ConversationView* const transcript_;
  ConversationEngine engine_;
  bool input_ended_ = false;
  char last_written_ = '\n';
};

}  // namespace voxterm
