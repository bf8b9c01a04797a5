#include "audio/echo_canceller.h"

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include <algorithm>
#include <vector>

namespace voxterm {
namespace {

// Both libraries work in floats. In digital silence (a speaker with nothing to play, a muted
// or file-fed microphone) their filters decay into denormal numbers, which x86 computes a
// hundred times slower: speexdsp cost twice as much in silence as in speech. While they run,
// denormals are flushed to zero (MXCSR's FTZ and DAZ), and the main thread's mode is put back.
class FlushDenormals {
 public:
#if defined(__SSE__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned int saved_;
#endif
};

class SpeexCanceller final : public EchoCanceller {
 public:
  SpeexCanceller(int rate_hz, int block, int tail_ms)
      : block_(block), mic_(static_cast<size_t>(block)) {
    echo_ = speex_echo_state_init(block, rate_hz * tail_ms / 1000);
    speex_echo_ctl(echo_, SPEEX_ECHO_SET_SAMPLING_RATE, &rate_hz);
    // The preprocessor removes what echo the filter leaves (it learns how much from the echo
    // state) and steady noise. Its AGC and VAD stay off: the server has its own.
    preprocess_ = speex_preprocess_state_init(block, rate_hz);
    speex_preprocess_ctl(preprocess_, SPEEX_PREPROCESS_SET_ECHO_STATE, echo_);
  }
  ~SpeexCanceller() override {
    speex_preprocess_state_destroy(preprocess_);
    speex_echo_state_destroy(echo_);
  }

  void Process(const int16_t* mic, const int16_t* reference, int16_t* out) override {
    // The canceller does not work in place; the preprocessor does.
    std::copy_n(mic, block_, mic_.begin());
    FlushDenormals flush;
    speex_echo_cancellation(echo_, mic_.data(), reference, out);
    speex_preprocess_run(preprocess_, out);
  }
  const char* name() const override { return "speexdsp"; }

 private:
  const int block_;
  std::vector<int16_t> mic_;  // scratch
  SpeexEchoState_* echo_;
  SpeexPreprocessState_* preprocess_;
};

class WebRtcCanceller final : public EchoCanceller {
 public:
  WebRtcCanceller(int rate_hz, int block, int lead_ms)
      : block_(block),
        lead_ms_(lead_ms),
        stream_(rate_hz, 1),
        in_(static_cast<size_t>(block)),
        ref_(static_cast<size_t>(block)) {
    webrtc::Config config;
    // The extended filter (128 ms instead of 48) with its conservative far-end pointer, and
    // the delay from its own estimator rather than the devices' reports: both as PulseAudio's
    // echo-cancel module sets them for desktop devices.
    config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
    config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
    config.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
    apm_.reset(webrtc::AudioProcessing::Create(config));
    apm_->echo_cancellation()->Enable(true);
    // Moderate: high took a user talking over the answer 10 dB down, and low let residual echo
    // through in the real loop (measured: docs/performance.md).
    apm_->echo_cancellation()->set_suppression_level(
        webrtc::EchoCancellation::kModerateSuppression);
    apm_->echo_cancellation()->enable_drift_compensation(false);
    apm_->echo_cancellation()->enable_metrics(false);
    // No noise suppression: it takes a steady voiced sound for noise and removes it (a user's
    // held tone was never heard: test_portaudio's barge-in), and the residual gate already
    // keeps what the canceller leaves from the VAD.
    apm_->noise_suppression()->Enable(false);
    apm_->noise_suppression()->set_level(webrtc::NoiseSuppression::kModerate);
    apm_->high_pass_filter()->Enable(true);
    apm_->gain_control()->Enable(false);
    apm_->voice_detection()->Enable(false);
  }

  void Process(const int16_t* mic, const int16_t* reference, int16_t* out) override {
    for (int i = 0; i < block_; ++i) {
      in_[static_cast<size_t>(i)] = static_cast<float>(mic[i]) / 32768.0f;
      ref_[static_cast<size_t>(i)] = static_cast<float>(reference[i]) / 32768.0f;
    }
    FlushDenormals flush;
    float* ref = ref_.data();
    apm_->ProcessReverseStream(&ref, stream_, stream_, &ref);
    // The reference runs lead_ms ahead of its echo; the delay estimator finds the rest.
    apm_->set_stream_delay_ms(lead_ms_);
    float* in = in_.data();
    apm_->ProcessStream(&in, stream_, stream_, &in);
    for (int i = 0; i < block_; ++i) {
      const float v = in_[static_cast<size_t>(i)] * 32768.0f;
      out[i] = static_cast<int16_t>(std::clamp(v, -32768.0f, 32767.0f));
    }
  }
  const char* name() const override { return "webrtc"; }

 private:
  const int block_;
  const int lead_ms_;
  const webrtc::StreamConfig stream_;
  std::unique_ptr<webrtc::AudioProcessing> apm_;
  std::vector<float> in_, ref_;  // scratch
};

}  // namespace

std::unique_ptr<EchoCanceller> MakeEchoCanceller(CancellerKind kind, int sample_rate_hz,
                                                 int block_samples, int lead_ms, int tail_ms) {
  if (kind == CancellerKind::kSpeex)
    return std::make_unique<SpeexCanceller>(sample_rate_hz, block_samples, tail_ms);
  return std::make_unique<WebRtcCanceller>(sample_rate_hz, block_samples, lead_ms);
}

}  // namespace voxterm
