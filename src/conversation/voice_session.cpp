#include "conversation/voice_session.h"

#include <string>

#include "util/log.h"

namespace voxterm {

VoiceSession::VoiceSession(SessionSettings settings, std::unique_ptr<AudioEngine> audio,
                           ClientProtocol* server, ConversationView* view, const Clock* clock,
                           bool interactive, ToolCalls* tools, History* history,
                           Latencies* latencies)
    : SpokenConversation(std::move(settings), std::move(audio), server, view, tools, history),
      clock_(clock),
      interactive_(interactive),
      continuous_input_(server->continuous_input()),
      silence_(audio_->capture()->frame_samples(), 0),
      latencies_(latencies) {}

VoiceSession::~VoiceSession() {
  audio_->Stop();
  if (uint64_t underruns = audio_->playback()->underruns()) {
    LOG_WARN(
        "playback ran dry %llu times: answers arrived slower than they played (a slow network?)",
        static_cast<unsigned long long>(underruns));
  }
  if (uint64_t overruns = audio_->capture_overruns()) {
    LOG_WARN("%llu microphone samples were lost: voxterm fell behind (a busy machine?)",
             static_cast<unsigned long long>(overruns));
  }
}

void VoiceSession::OnServerEvent(const ServerEvent& event) {
  const uint32_t flushes_before =
      audio_->counters().flushes_requested.load(std::memory_order_relaxed);
  engine_.OnServerEvent(event);
  if (latencies_) MeasureEvent(event, flushes_before);
}

void VoiceSession::MeasureEvent(const ServerEvent& event, uint32_t flushes_before) {
  const PlaybackCounters& counters = audio_->counters();
  if (event.type == ServerEventType::kAudioDelta && event.response_id != audio_response_id_) {
    audio_response_id_ = std::string(event.response_id);
    first_audio_ns_ = event.received_ns;
    starts_before_ = counters.starts.load(std::memory_order_acquire);
  }
  // A barge-in: speech_started while the assistant was audible makes ConversationEngine flush.
  const uint32_t flushes = counters.flushes_requested.load(std::memory_order_relaxed);
  if (event.type == ServerEventType::kSpeechStarted && flushes != flushes_before) {
    speech_started_ns_ = event.received_ns;
    flush_awaited_ = flushes;
  }
}

// The output publishes its times before the counters that say they are new.
void VoiceSession::MeasurePlayback() {
  const PlaybackCounters& counters = audio_->counters();
  if (first_audio_ns_ && counters.starts.load(std::memory_order_acquire) != starts_before_) {
    latencies_->first_audio.Add(counters.started_heard_at_ns.load(std::memory_order_relaxed) -
                                first_audio_ns_);
    first_audio_ns_ = 0;
  }
  if (speech_started_ns_ &&
      counters.flushes_done.load(std::memory_order_acquire) == flush_awaited_) {
    const int64_t silent_ns =
        counters.silent_heard_at_ns.load(std::memory_order_relaxed) - speech_started_ns_;
    latencies_->barge_in.Add(silent_ns);
    latencies_->barge_in_voxterm.Add(silent_ns -
                                     counters.device_ahead_ns.load(std::memory_order_relaxed));
    speech_started_ns_ = 0;
  }
}

void VoiceSession::OnInputEnd() {
  engine_.OnInputEnd();
  // A terminal's Ctrl-D ends the conversation; the end of a pipe or of /dev/null does not.
  if (interactive_) quit_ = true;
}

void VoiceSession::OnTick() {
  CapturePath* capture = audio_->capture();
  audio_->PumpSpeaker();  // first: echo control needs what was played before what was heard
  if (engine_.session_ready() && !input_started_) {
    input_started_ = true;
    Status started = audio_->StartInput();
    if (!started.ok()) {
      view_->Notice(started.message());
      quit_ = true;
      failed_ = true;
    }
  }
  if (input_started_) {
    frames_delivered_at_ns_ = audio_->input()->delivered_at_ns();
    // During an outage ConversationEngine keeps the frames for the next session.
    audio_->PumpMicrophone([this](const int16_t* samples, size_t count) {
      SendFrame(Microphone(samples, count), count);
    });
    view_->SetLevel(muted_ ? 0 : capture->level());
  } else {
    audio_->DiscardMicrophone();
  }
  if (input_started_ && audio_->input()->Finished()) {
    if (input_ended_at_ms_ < 0) {
      // The file's last samples may have arrived after the Pump above, and its last frame is
      // likely partial: both go out before the silence.
      capture->Finish([this](const int16_t* samples, size_t count) {
        SendFrame(Microphone(samples, count), count);
      });
      input_ended_at_ms_ = clock_->NowMs();
    }
    SendTrailingSilence();
    LeaveAnEndlessAnswer();
  }
  engine_.OnTick();
  if (latencies_) MeasurePlayback();
}

Status VoiceSession::SetMuted(bool muted) {
  muted_ = muted;
  view_->SetDetail(muted ? "muted (Ctrl-T or /unmute)" : "");
  return Status::Ok();
}

void VoiceSession::SendFrame(const int16_t* samples, size_t count) {
  engine_.OnCaptureFrame(samples, count);
  if (latencies_ && frames_delivered_at_ns_)
    latencies_->capture_to_send.Add(MonotonicNs() - frames_delivered_at_ns_);
  if (Recorder* recorder = audio_->recorder()) recorder->AddMicrophone(samples, count);
}

// A file run ends when its input has and the last answer is over. An answer of sound without
// words for kWordlessAnswerMs (a server that streams noise for ever) would keep it until
// kEndOfFileGraceMs: it is left at once, with a notice, and the run fails (exit 1). An answer
// that speaks goes on, however long, to its end (or the grace).
void VoiceSession::LeaveAnEndlessAnswer() {
  if (quit_ || clock_->NowMs() - input_ended_at_ms_ < kTrailingSilenceMs) return;
  if (engine_.wordless_answer_ms() < kWordlessAnswerMs) return;
  view_->Notice("the input file has ended and the answer has sounded for " +
                std::to_string(kWordlessAnswerMs / 1000) +
                " s without words: not waiting for its end");
  quit_ = true;
  failed_ = true;
}

void VoiceSession::SendTrailingSilence() {
  // In real time, as a microphone in a quiet room would.
  const int64_t elapsed_ms = clock_->NowMs() - input_ended_at_ms_;
  // GPT-Live's timeline stops with the input: its silence goes on to the end.
  const int64_t due_ms =
      continuous_input_ ? elapsed_ms : std::min<int64_t>(elapsed_ms, kTrailingSilenceMs);
  const size_t due = static_cast<size_t>(due_ms) * kApiSampleRateHz / 1000;
  while (silence_sent_ + silence_.size() <= due) {
    SendFrame(silence_.data(), silence_.size());
    silence_sent_ += silence_.size();
  }
}

bool VoiceSession::Finished() const {
  if (quit_) return true;
  if (input_ended_at_ms_ < 0) return false;
  const int64_t since_end = clock_->NowMs() - input_ended_at_ms_;
  if (since_end < kTrailingSilenceMs) return false;
  if (since_end > kEndOfFileGraceMs) {
    LOG_WARN("the input file ended %d s ago and the conversation is still not idle: leaving",
             static_cast<int>(kEndOfFileGraceMs / 1000));
    return true;
  }
  return engine_.Idle();
}

}  // namespace voxterm
