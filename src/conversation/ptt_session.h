// PttSession: push-to-talk (--ptt) as the run loop sees it. Turn detection is off; the
// microphone goes to the server only during a take (PttController); keys come raw from the
// terminal (RawTerminal), which is put back on every way out.
//   space (or --ptt-key): start a take, again to send; Escape: drop it; q, Ctrl-C, Ctrl-D: quit;
//   Ctrl-Z: suspend, with the terminal put back; Ctrl-T: mute; "/" or a paste: type a line (a
//   command, or with the "/" taken back, a turn), whose keys go to the KeyTyping until it is
//   sent or dropped. While a tool runs, Ctrl-C stops the tool
//   instead; while a tool's question waits, y runs it and any other key declines.
// Thread safety: main thread only.
#pragma once

#include <memory>
#include <vector>

#include "audio/audio_engine.h"
#include "conversation/ptt_controller.h"
#include "conversation/spoken_conversation.h"
#include "ui/keys.h"
#include "ui/raw_terminal.h"
#include "ui/terminal_input.h"
#include "util/clock.h"

namespace voxterm {

class PttSession final : public SpokenConversation, private PttController::Actions {
 public:
  PttSession(SessionSettings settings, std::unique_ptr<AudioEngine> audio, ClientProtocol* server,
             ConversationView* view, const Clock* clock, std::unique_ptr<RawTerminal> terminal,
             Key key, ToolCalls* tools = nullptr, History* history = nullptr);
  ~PttSession() override;

  void OnServerEvent(const ServerEvent& event) override;
  // A line typed (after "/" or a paste): a turn, as in the other modes.
  void OnUserLine(std::string line) override { engine_.OnUserLine(std::move(line)); }
  void AttachToFirstTurn(std::vector<InputImage> images) override {
    engine_.AttachToFirstTurn(std::move(images));
  }
  Status OnUserImage(std::string text, InputImage image) override {
    return engine_.OnUserImage(std::move(text), std::move(image));
  }
  void OnInputEnd() override {
    engine_.OnInputEnd();
    quit_ = true;
  }
  bool WantsRawInput() const override { return true; }
  void OnInputBytes(std::string_view bytes) override;
  void SetTyping(KeyTyping* typing) override { typing_ = typing; }
  void OnTick() override;
  void OnToolsReady() override;
  void OnDisconnected() override {
    engine_.OnDisconnected();
    UpdateView();
  }
  bool Quiet() const override {
    return engine_.Idle() && ptt_.state() == PttController::State::kIdle;
  }
  bool Finished() const override { return quit_; }
  bool Interrupted() const override { return interrupted_; }
  // While muted a take cannot start (the key says so), and one under way goes on as silence
  // (SpokenConversation::Microphone), until the key ends it or Escape drops it as usual.
  Status SetMuted(bool muted) override {
    muted_ = muted;
    UpdateView();
    return Status::Ok();
  }

 private:
  // PttController::Actions
  void Interrupt() override { engine_.Interrupt(); }
  void ClearInput() override;
  void DropInput() override;
  void SendAudio(const int16_t* samples, size_t count) override;
  void CommitAndRespond() override;
  void Notice(std::string_view text) override { view_->Notice(text); }

  bool Taking() const {
    return ptt_.state() == PttController::State::kRecording ||
           ptt_.state() == PttController::State::kTail;
  }
  void UpdateView();
  bool TypeKey(const Key& key);
  void OnKeys(const std::vector<Key>& keys);

  const Clock* const clock_;
  PttController ptt_;
  KeyDecoder keys_;
  int64_t escape_since_ms_ = 0;  // when keys_ began holding a lone ESC
  KeyTyping* typing_ = nullptr;
  std::unique_ptr<RawTerminal> terminal_;
  bool input_started_ = false;
  const bool continuous_input_;  // the API needs a stream between takes too (ClientProtocol)
  bool quit_ = false;
  bool interrupted_ = false;
};

}  // namespace voxterm
