#include "app/audio_engine.h"

namespace voxterm {

Result<std::unique_ptr<AudioEngine>> AudioEngine::Open(const Config& config, WantInput want_input) {
  auto setup = OpenAudio(config, want_input);
  if (!setup.ok()) return setup.status();
  return std::unique_ptr<AudioEngine>(new AudioEngine(std::move(*setup), config));
}

AudioEngine::AudioEngine(AudioSetup setup, const Config& config)
    : setup_(std::move(setup)),
      capture_ring_(RingSamplesForMs(setup_.input ? setup_.input->sample_rate_hz() : kApiSampleRateHz, 1000)),
      playback_ring_(RingSamplesForMs(setup_.output->sample_rate_hz(), 2000)) {
  if (setup_.input) {
    capture_ = std::make_unique<CapturePath>(setup_.input->sample_rate_hz(), &capture_ring_, config.frame_ms);
  }
  playback_ = std::make_unique<PlaybackPath>(setup_.output->sample_rate_hz(), &playback_ring_, &counters_);
  playback_->SetPrebufferMs(config.prebuffer_ms);
}

AudioEngine::~AudioEngine() { Stop(); }

Status AudioEngine::Start() {
  Status s = setup_.output->Start(&playback_ring_, &counters_);
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
