#include "audio/audio_engine.h"

#include <cmath>

#include "util/log.h"

namespace voxterm {

EchoMode EffectiveEchoMode(const AudioConfig& config) {
  const bool asked = config.echo && *config.echo != EchoMode::kOff;
  if (!config.input_file.empty() || !config.output_file.empty()) {
    if (asked) {
      LOG_WARN("--echo %s does nothing with --%s: there is no room between them",
               EchoModeName(*config.echo),
               config.input_file.empty() ? "output-file" : "input-file");
    }
    return EchoMode::kOff;
  }
  if (config.echo) return *config.echo;
  return config.headphones ? EchoMode::kOff : EchoMode::kAec;
}

Result<std::unique_ptr<AudioEngine>> AudioEngine::Open(const AudioConfig& config,
                                                       WantInput want_input) {
  return Open(config, ChooseBackends(config, want_input));
}

Result<std::unique_ptr<AudioEngine>> AudioEngine::Open(const AudioConfig& config,
                                                       AudioBackends backends) {
  auto setup = OpenAudio(config, backends);
  if (!setup.ok()) return setup.status();
  const WantInput want_input = setup->input ? WantInput::kYes : WantInput::kNo;
  std::unique_ptr<Recorder> recorder;
  if (!config.record.empty()) {
    auto created = Recorder::Create(config.record, setup->output->sample_rate_hz(),
                                    want_input == WantInput::kYes);
    if (!created.ok()) return created.status();
    recorder = std::move(*created);
  }
  const EchoMode echo = want_input == WantInput::kYes ? EffectiveEchoMode(config) : EchoMode::kOff;
  if (want_input == WantInput::kYes) {
    LOG_INFO("echo control: %s%s", EchoModeName(echo),
             IsAec(echo) ? (echo == EchoMode::kAec ? " (webrtc, delay-agnostic)"
                                                   : " (speexdsp, 300 ms tail)")
                         : "");
  }
  return std::unique_ptr<AudioEngine>(
      new AudioEngine(std::move(*setup), config, std::move(recorder), echo));
}

AudioEngine::AudioEngine(AudioSetup setup, const AudioConfig& config,
                         std::unique_ptr<Recorder> recorder, EchoMode echo)
    : setup_(std::move(setup)),
      capture_ring_(
          RingSamplesForMs(setup_.input ? setup_.input->sample_rate_hz() : kApiSampleRateHz, 1000)),
      playback_ring_(RingSamplesForMs(setup_.output->sample_rate_hz(), 2000)),
      monitor_ring_(RingSamplesForMs(setup_.output->sample_rate_hz(),
                                     recorder || echo != EchoMode::kOff ? 2000 : 0)),
      recorder_(std::move(recorder)),
      echo_resampler_(setup_.output->sample_rate_hz(), kApiSampleRateHz),
      monitor_chunk_(4096) {
  if (echo != EchoMode::kOff) echo_ = std::make_unique<EchoControl>(echo);
  if (setup_.input) {
    capture_ = std::make_unique<CapturePath>(setup_.input->sample_rate_hz(), &capture_ring_,
                                             config.frame_ms, echo_.get());
  }
  playback_ =
      std::make_unique<PlaybackPath>(setup_.output->sample_rate_hz(), &playback_ring_, &counters_);
  playback_->SetPrebufferMs(config.prebuffer_ms);
  // A file is written as audio comes, on this thread; what it played goes on to the recorder
  // at once, so that the monitor never holds the writer back.
  if (setup_.output->untimed()) {
    playback_->SetPull([this] {
      const size_t taken = setup_.output->Pull();
      PumpSpeaker();
      return taken;
    });
  }
}

AudioEngine::~AudioEngine() {
  Stop();
  PumpSpeaker();  // the last of what was played
  if (echo_ && echo_->blocks()) {
    const double muted =
        100.0 * static_cast<double>(echo_->muted_blocks()) / static_cast<double>(echo_->blocks());
    // The canceller runs only while something played can be heard.
    const double ran = 100.0 * static_cast<double>(echo_->canceller_blocks()) /
                       static_cast<double>(echo_->blocks());
    if (IsAec(echo_->mode()) && echo_->cancelled_db() == 0) {
      LOG_INFO(
          "echo control: aec heard no echo to cancel; %.0f%% of the microphone sent as silence; "
          "the canceller ran for %.0f%% of it",
          muted, ran);
    } else if (IsAec(echo_->mode())) {
      LOG_INFO(
          "echo control: aec took the microphone %.0f dB down while the assistant spoke; %.0f%% of "
          "it sent as silence; the canceller ran for %.0f%% of it",
          echo_->cancelled_db(), muted, ran);
    } else {
      LOG_INFO("echo control: %s, %.0f%% of the microphone sent as silence",
               EchoModeName(echo_->mode()), muted);
    }
  }
}

void AudioEngine::PumpSpeaker() {
  if (!recorder_ && !echo_) return;
  for (size_t got; (got = monitor_ring_.Read(monitor_chunk_.data(), monitor_chunk_.size())) > 0;) {
    if (recorder_) recorder_->AddSpeaker(monitor_chunk_.data(), got);
    if (echo_) {
      speaker_24k_.clear();
      echo_resampler_.Process(monitor_chunk_.data(), got, &speaker_24k_);
      echo_->AddPlayback(speaker_24k_.data(), speaker_24k_.size());
    }
  }
  // Frames the monitor had no room for were played all the same: both timelines move on.
  const uint64_t dropped = counters_.monitor_dropped.load(std::memory_order_relaxed);
  if (dropped != monitor_dropped_) {
    const uint64_t count = dropped - monitor_dropped_;
    monitor_dropped_ = dropped;
    LOG_WARN("%llu played samples missed the recording and echo control: voxterm fell behind",
             static_cast<unsigned long long>(count));
    if (recorder_) {
      std::vector<int16_t> silence(count, 0);
      recorder_->AddSpeaker(silence.data(), count);
    }
    if (echo_)
      echo_->SkipPlayback(count * kApiSampleRateHz /
                          static_cast<uint64_t>(setup_.output->sample_rate_hz()));
  }
  // The device played silence of its own: the echo moved under the canceller.
  const uint64_t device_underruns = setup_.output->device_underruns();
  if (echo_ && device_underruns != device_underruns_) echo_->OutputUnderran();
  device_underruns_ = device_underruns;
  if (echo_) AlignEcho();
}

void AudioEngine::AlignEcho() {
  const int64_t played_origin = counters_.monitor_origin_ns.load(std::memory_order_relaxed);
  const int64_t captured_origin = setup_.input ? setup_.input->capture_origin_ns() : 0;
  if (!played_origin || !captured_origin) return;
  // The playback sample sounding when the microphone's sample 0 was captured. Each callback
  // reports its own timing, a little jittery, the first ones more: the mean of the first 20
  // ticks, then smoothed over about 200 ms. The canceller follows a few ms of drift by itself
  // and has to learn again when the line-up moves, so it moves only by 5 ms or more.
  const double measured =
      static_cast<double>(captured_origin - played_origin) * kApiSampleRateHz / 1e9;
  ++delay_measurements_;
  delay_estimate_ += delay_measurements_ <= kDelayWarmup
                         ? (measured - delay_estimate_) / delay_measurements_
                         : (measured - delay_estimate_) / 20;
  if (delay_measurements_ < kDelayWarmup) return;
  const int64_t delay = std::llround(delay_estimate_);
  if (delay_measurements_ > kDelayWarmup &&
      std::abs(delay - echo_->delay()) < kApiSampleRateHz / 200)
    return;
  LOG_DEBUG(
      "echo control: the microphone's sample n is captured as the speaker plays sample n + %lld "
      "(%.1f ms)",
      static_cast<long long>(delay), static_cast<double>(delay) * 1000 / kApiSampleRateHz);
  echo_->SetDelay(delay);
}

void AudioEngine::PumpMicrophone(const CapturePath::FrameSink& sink) {
  capture_->Pump(sink);
  // Samples the ring had no room for were captured all the same: the timeline moves on.
  const uint64_t overruns =
      capture_overruns() * kApiSampleRateHz / static_cast<uint64_t>(setup_.input->sample_rate_hz());
  if (echo_ && overruns != overruns_seen_) echo_->SkipCapture(overruns - overruns_seen_);
  overruns_seen_ = overruns;
}

void AudioEngine::DiscardMicrophone() { capture_->Discard(); }

Status AudioEngine::Start() {
  Status s = setup_.output->Start(&playback_ring_, &counters_,
                                  recorder_ || echo_ ? &monitor_ring_ : nullptr);
  if (s.ok()) started_ = true;
  return s;
}

Status AudioEngine::StartInput() {
  if (!setup_.input || input_started_) return Status::Ok();
  Status s = setup_.input->Start(&capture_ring_);
  if (s.ok()) input_started_ = true;
  return s;
}

void AudioEngine::Stop() {
  if (input_started_) setup_.input->Stop();
  input_started_ = false;
  if (started_) setup_.output->Stop();
  started_ = false;
}

}  // namespace voxterm
