// CapturePath: the main thread's side of the input ring. Drains what the device captured,
// resamples it to 24 kHz, passes it through echo control when there is one, and cuts it into
// frames of frame_ms for input_audio_buffer.append. Also measures the level of what is sent,
// for the meter.
// Thread safety: main thread only (the ring's consumer).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "audio/audio_device.h"
#include "audio/echo_control.h"
#include "audio/resampler.h"

namespace voxterm {

class CapturePath {
 public:
  using FrameSink = std::function<void(const int16_t* samples, size_t count)>;

  // echo: null, or the echo control every sample goes through (it outlives this).
  CapturePath(int device_rate_hz, SpscRing<int16_t>* ring, int frame_ms,
              EchoControl* echo = nullptr);

  // Takes everything captured so far and calls sink once per complete 24 kHz frame.
  void Pump(const FrameSink& sink);
  // At the end of the input: sends what is left as one last frame, padded with silence.
  void Finish(const FrameSink& sink);
  // Drops what was captured so far (before the session is ready, while muted). Echo control
  // counts it as passed.
  void Discard();
  // The peak level of the last Pump(), 0 to 1.
  float level() const { return level_; }
  size_t frame_samples() const { return frame_samples_; }

 private:
  // Everything in the ring, at 24 kHz, into resampled_.
  void Drain();

  SpscRing<int16_t>* const ring_;
  EchoControl* const echo_;
  const size_t frame_samples_;
  Resampler resampler_;
  std::vector<int16_t> pending_;    // 24 kHz samples not yet a whole frame
  std::vector<int16_t> chunk_;      // scratch for what the ring held
  std::vector<int16_t> resampled_;  // scratch: the ring's samples at 24 kHz
  float level_ = 0;
};

}  // namespace voxterm
