#include "audio/capture_path.h"

#include <algorithm>
#include <cstdlib>

namespace voxterm {

CapturePath::CapturePath(int device_rate_hz, SpscRing<int16_t>* ring, int frame_ms,
                         EchoControl* echo)
    : ring_(ring),
      echo_(echo),
      frame_samples_(static_cast<size_t>(kApiSampleRateHz * frame_ms / 1000)),
      resampler_(device_rate_hz, kApiSampleRateHz),
      chunk_(4096) {}

void CapturePath::Drain() {
  resampled_.clear();
  for (;;) {
    const size_t got = ring_->Read(chunk_.data(), chunk_.size());
    if (got == 0) break;
    resampler_.Process(chunk_.data(), got, &resampled_);
  }
}

void CapturePath::Pump(const FrameSink& sink) {
  Drain();
  const size_t before = pending_.size();
  if (echo_) {
    echo_->Process(resampled_.data(), resampled_.size(), &pending_);
  } else {
    pending_.insert(pending_.end(), resampled_.begin(), resampled_.end());
  }
  int peak = 0;
  for (size_t i = before; i < pending_.size(); ++i)
    peak = std::max(peak, std::abs(static_cast<int>(pending_[i])));
  size_t offset = 0;
  while (pending_.size() - offset >= frame_samples_) {
    sink(pending_.data() + offset, frame_samples_);
    offset += frame_samples_;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(offset));
  level_ = static_cast<float>(peak) / 32768.0f;
}

void CapturePath::Finish(const FrameSink& sink) {
  Pump(sink);
  if (pending_.empty()) return;
  pending_.resize(frame_samples_, 0);
  sink(pending_.data(), frame_samples_);
  pending_.clear();
}

void CapturePath::Discard() {
  Drain();
  if (echo_) echo_->SkipCapture(resampled_.size());
  pending_.clear();
  level_ = 0;
}

}  // namespace voxterm
