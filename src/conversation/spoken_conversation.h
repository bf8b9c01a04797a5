// SpokenConversation: what the spoken modes share as the run loop sees them. The
// ConversationEngine holds the conversation's rules; the modes built on this add only where the
// microphone's frames go and when: VoiceSession streams them all (the server's VAD takes the
// turns), PttSession only during a take (a key takes them).
// Thread safety: main thread only.
#pragma once

#include <memory>
#include <string>

#include "audio/audio_engine.h"
#include "conversation/conversation.h"
#include "conversation/engine.h"

namespace voxterm {

class SpokenConversation : public Conversation {
 public:
  int tick_ms() const override { return kAudioTickMs; }
  // Ctrl-C stops a running tool; otherwise the loop ends the session.
  bool OnInterrupt() override { return engine_.InterruptTools(); }
  void OnToolsReady() override { engine_.OnToolsReady(); }
  void OnDisconnected() override { engine_.OnDisconnected(); }
  bool AwaitingServer() const override { return engine_.AwaitingServer(); }
  // The user is told, and the conversation waits: a person can decide to leave.
  bool OnServerSilent(int seconds) override {
    view_->Notice("the server has sent nothing for " + std::to_string(seconds) +
                  " s; still waiting (Ctrl-C to quit)");
    return false;
  }
  bool session_ready() const override { return engine_.session_ready(); }
  bool WantsPrompt() const override { return false; }  // the status line says it all
  int failed_turns() const override { return failed_ ? 1 : 0; }
  uint64_t answers() const override { return engine_.answers(); }

 protected:
  // The engine's output carries the answers; it is stopped by the mode's destructor.
  SpokenConversation(SessionSettings settings, std::unique_ptr<AudioEngine> audio,
                     ClientProtocol* server, ConversationView* view, ToolCalls* tools,
                     History* history)
      : audio_(std::move(audio)),
        view_(view),
        engine_(std::move(settings), server, audio_->playback(), view, tools, history) {
    engine_.set_pace_words(true);
  }

  std::unique_ptr<AudioEngine> audio_;
  ConversationView* const view_;
  ConversationEngine engine_;
  bool failed_ = false;  // the audio input failed: exit code 1
};

}  // namespace voxterm
