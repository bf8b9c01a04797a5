#include "app/audio_engine.h"

namespace voxterm {

Result<std::unique_ptr<AudioEngine>> AudioEngine::Open(const Config& config, WantInput want_input) {
  auto setup = OpenAudio(config, want_input);
  if (!setup.ok()) return setup.status();
  std::unique_ptr<Recorder> recorder;
  if (!config.record.empty()) {
    auto created = Recorder::Create(config.record, setup->output->sample_rate_hz(), want_input == WantInput::kYes);
    if (!created.ok()) return created.status();
    recorder = std::move(*created);
  }
  return std::unique_ptr<AudioEngine>(new AudioEngine(std::move(*setup), config, std::move(recorder)));
}

AudioEngine::AudioEngine(AudioSetup setup, const Config& config, std::unique_ptr<Recorder> recorder)
    : setup_(std::move(setup)),
      capture_ring_(RingSamplesForMs(setup_.input ? setup_.input->sample_rate_hz() : kApiSampleRateHz, 1000)),
      playback_ring_(RingSamplesForMs(setup_.output->sample_rate_hz(), 2000)),
      monitor_ring_(RingSamplesForMs(setup_.output->sample_rate_hz(), recorder ? 2000 : 0)),
      recorder_(std::move(recorder)) {
  if (setup_.input) {
    capture_ = std::make_unique<CapturePath>(setup_.input->sample_rate_hz(), &capture_ring_, config.frame_ms);
  }
  playback_ = std::make_unique<PlaybackPath>(setup_.output->sample_rate_hz(), &playback_ring_, &counters_);
  playback_->SetPrebufferMs(config.prebuffer_ms);
}

AudioEngine::~AudioEngine() {
  Stop();
  PumpRecorder();  // the last of what was played
}

void AudioEngine::PumpRecorder() {
  if (recorder_) recorder_->Pump(&monitor_ring_);
}

Status AudioEngine::Start() {
  Status s = setup_.output->Start(&playback_ring_, &counters_, recorder_ ? &monitor_ring_ : nullptr);
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
