// Resampler: sample-rate conversion between a device's rate and the API's 24 kHz, on speexdsp.
// Equal rates pass samples through untouched (bit-exact), which is the common case on a
// device that opens 24 kHz.
// Thread safety: one instance per stream, one thread; never in an audio callback (it appends to
// a vector).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

struct SpeexResamplerState_;

namespace voxterm {

class Resampler {
 public:
  Resampler(int in_rate_hz, int out_rate_hz);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  bool passthrough() const { return state_ == nullptr; }
  // Appends the converted samples to *out.
  void Process(const int16_t* in, size_t count, std::vector<int16_t>* out);

 private:
  SpeexResamplerState_* state_ = nullptr;  // null when the rates are equal
  int in_rate_hz_, out_rate_hz_;
};

// Mixes interleaved frames of `channels` channels down to mono (their mean) into out.
// Real-time safe: audio callbacks use it.
void DownmixToMono(const int16_t* in, size_t frames, int channels, int16_t* out);

}  // namespace voxterm
