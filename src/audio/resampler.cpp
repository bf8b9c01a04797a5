#include "audio/resampler.h"

#include <speex/speex_resampler.h>

namespace voxterm {

// Quality 5 is speexdsp's default for voice: far above what a 24 kHz speech codec needs, and
// cheap (a few tenths of a percent of one core for a duplex stream).
constexpr int kQuality = 5;

Resampler::Resampler(int in_rate_hz, int out_rate_hz)
    : in_rate_hz_(in_rate_hz), out_rate_hz_(out_rate_hz) {
  if (in_rate_hz != out_rate_hz) {
    int error = 0;
    state_ = speex_resampler_init(1, static_cast<spx_uint32_t>(in_rate_hz),
                                  static_cast<spx_uint32_t>(out_rate_hz), kQuality, &error);
    // Skip the filter's initial zeros so the first samples out line up with the first in.
    if (state_) speex_resampler_skip_zeros(state_);
  }
}

Resampler::~Resampler() {
  if (state_) speex_resampler_destroy(state_);
}

void Resampler::Process(const int16_t* in, size_t count, std::vector<int16_t>* out) {
  if (!state_) {
    out->insert(out->end(), in, in + count);
    return;
  }
  // Room for the converted samples plus the filter's slack.
  const size_t room =
      count * static_cast<size_t>(out_rate_hz_) / static_cast<size_t>(in_rate_hz_) + 64;
  const size_t start = out->size();
  out->resize(start + room);
  spx_uint32_t in_len = static_cast<spx_uint32_t>(count);
  spx_uint32_t out_len = static_cast<spx_uint32_t>(room);
  speex_resampler_process_int(state_, 0, in, &in_len, out->data() + start, &out_len);
  out->resize(start + out_len);
}

void DownmixToMono(const int16_t* in, size_t frames, int channels, int16_t* out) {
  for (size_t f = 0; f < frames; ++f) {
    int32_t sum = 0;
    for (int c = 0; c < channels; ++c) sum += in[f * channels + c];
    out[f] = static_cast<int16_t>(sum / channels);
  }
}

}  // namespace voxterm
