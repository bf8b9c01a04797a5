// VoiceSession: a spoken conversation as the run loop sees it. Owns the audio engine, the
// conversation logic (ConversationEngine) and the view; on each tick it moves microphone frames to
// the server and the answer along to the speaker. At the end of an input file it sends a little
// silence (so the server's VAD sees the turn end), waits until nothing is going on, and finishes.
// Thread safety: main thread only.
#pragma once

#include <memory>

#include "audio/audio_engine.h"
#include "conversation/spoken_conversation.h"
#include "protocol/client_protocol.h"
#include "util/clock.h"
#include "util/latency.h"

namespace voxterm {

class VoiceSession final : public SpokenConversation {
 public:
  // interactive: stdin is a terminal, so its end (Ctrl-D) ends the conversation. latencies:
  // where --stats' measurements go, or null.
  VoiceSession(SessionSettings settings, std::unique_ptr<AudioEngine> audio, ClientProtocol* server,
               ConversationView* view, const Clock* clock, bool interactive,
               ToolCalls* tools = nullptr, History* history = nullptr,
               Latencies* latencies = nullptr);
  // Says what went wrong with the audio during the conversation, if anything did.
  ~VoiceSession() override;

  void OnServerEvent(const ServerEvent& event) override;
  void OnUserLine(std::string line) override { engine_.OnUserLine(std::move(line)); }
  void AttachToFirstTurn(std::vector<InputImage> images) override {
    engine_.AttachToFirstTurn(std::move(images));
  }
  Status OnUserImage(std::string text, InputImage image) override {
    return engine_.OnUserImage(std::move(text), std::move(image));
  }
  void OnInputEnd() override;
  void OnTick() override;
  bool Quiet() const override { return engine_.Idle(); }
  bool Finished() const override;
  // The microphone's frames go on as silence (SpokenConversation::Microphone says why); the
  // status line's detail says "muted".
  Status SetMuted(bool muted) override;

 private:
  static constexpr int kTrailingSilenceMs = 1500;
  static constexpr int64_t kEndOfFileGraceMs = 120000;  // never wait forever for an answer
  // After the input file, an answer that sounds on this long without words (GPT-Live: the
  // output track is continuous, and the client cannot stop the model) is not waited for.
  static constexpr int64_t kWordlessAnswerMs = 20000;

  void SendTrailingSilence();
  void LeaveAnEndlessAnswer();
  // --stats: what the event and the devices' counters tell.
  void MeasureEvent(const ServerEvent& event, uint32_t flushes_before);
  void MeasurePlayback();
  // A microphone frame to the server (and to the recording).
  void SendFrame(const int16_t* samples, size_t count);

  const Clock* const clock_;
  const bool interactive_;
  const bool continuous_input_;  // the API needs audio to the end (ClientProtocol)
  bool quit_ = false;            // Ctrl-D on the terminal, or the input failed
  bool input_started_ = false;
  int64_t input_ended_at_ms_ = -1;  // when the input file ran out
  size_t silence_sent_ = 0;         // samples of trailing silence sent
  std::vector<int16_t> silence_;

  Latencies* const latencies_;
  int64_t frames_delivered_at_ns_ = 0;  // the input's newest samples, as the Pump began
  std::string audio_response_id_;       // the answer whose audio is arriving
  int64_t first_audio_ns_ = 0;          // its first delta's arrival, until it is heard
  uint32_t starts_before_ = 0;          // the output's starts before that delta
  int64_t speech_started_ns_ = 0;       // a barge-in's arrival, until the output is silent
  uint32_t flush_awaited_ = 0;          // the flush that barge-in requested
};

}  // namespace voxterm
