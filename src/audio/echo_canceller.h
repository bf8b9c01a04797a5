// EchoCanceller: the signal processing of --echo aec, one 10 ms block at a time: a linear
// filter that models the room from the played samples and subtracts the echo it predicts, and
// the post-filters that remove what it leaves. Abstract so that EchoControl can use either
// library (and compare them) with the same line-up, gates and tests around it.
//
// Thread safety: one thread at a time (EchoControl's: the main thread).
#pragma once

#include <cstdint>
#include <memory>

namespace voxterm {

enum class CancellerKind {
  // WebRTC's AEC (webrtc-audio-processing 0.3, as PulseAudio's module-echo-cancel uses it):
  // an extended filter placed by its own delay estimator from the signals (so it follows a
  // loop whose delay is not what the devices say, or drifts), a non-linear suppressor, and a
  // high-pass filter.
  kWebRtc,
  // speexdsp's MDF filter (300 ms) and its preprocessor. Needs the devices' timing to be right
  // within tens of ms; loses the room when the loop drifts.
  kSpeex,
};

class EchoCanceller {
 public:
  virtual ~EchoCanceller() = default;
  // mic: the microphone's block; reference: the playback block lined up lead_ms early (the
  // echo of reference[0] reaches the microphone about lead_ms later). Writes the cleaned block
  // to out (which may be mic). Blocks come in order, one each of reference and mic.
  virtual void Process(const int16_t* mic, const int16_t* reference, int16_t* out) = 0;
  // A short name for logs: "webrtc", "speexdsp".
  virtual const char* name() const = 0;
};

// block_samples at sample_rate_hz; lead_ms and tail_ms bound where the echo can be.
std::unique_ptr<EchoCanceller> MakeEchoCanceller(CancellerKind kind, int sample_rate_hz,
                                                 int block_samples, int lead_ms, int tail_ms);

}  // namespace voxterm
