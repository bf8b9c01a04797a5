// SpokenConversation: what the spoken modes share as the run loop sees them. The
// ConversationEngine holds the conversation's rules; the modes built on this add only where the
// microphone's frames go and when: VoiceSession streams them all (the server's VAD takes the
// turns), PttSession only during a take (a key takes them).
// Thread safety: main thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "audio/audio_engine.h"
#include "audio/capture_ticks.h"
#include "conversation/conversation.h"
#include "conversation/engine.h"

namespace voxterm {

class SpokenConversation : public Conversation {
 public:
  int tick_ms() const override { return kAudioTickMs; }
  // Just after the microphone's next block, so a frame goes out as soon as it is whole.
  int64_t NextTickNs(int64_t now_ns) override {
    const AudioInput* input = audio_->input();
    return ticks_.Next(now_ns, input ? input->delivered_at_ns() : 0, input ? input->block_ns() : 0);
  }
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
  bool muted() const override { return muted_; }
  Status ChangeVoice(std::string voice) override { return engine_.ChangeVoice(std::move(voice)); }
  void ChangeInstructions(std::string text) override {
    engine_.ChangeInstructions(std::move(text));
  }

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

  // What goes on from a microphone frame: the frame, or as many zeros while muted. Silence,
  // not nothing, as echo control does (architecture.md): the server's timeline of the input
  // stays the frames captured, which a barge-in's audio_end_ms and a reconnect's resent audio
  // count in; and its VAD hears the user stop, so a turn open at the mute ends as if they fell
  // silent: what they said before is committed and answered (a clear would drop it, and leave
  // the VAD's speech open with nothing to end it). Silence is not billed: VAD commits speech.
  const int16_t* Microphone(const int16_t* samples, size_t count) {
    if (!muted_) return samples;
    if (zeros_.size() < count) zeros_.assign(count, 0);
    return zeros_.data();
  }

  std::unique_ptr<AudioEngine> audio_;
  ConversationView* const view_;
  ConversationEngine engine_;
  bool failed_ = false;  // the audio input failed: exit code 1
  bool muted_ = false;
  std::vector<int16_t> zeros_;  // a muted frame
  CaptureTicks ticks_{int64_t{kAudioTickMs} * 1'000'000};
};

}  // namespace voxterm
