// EchoControl: keeps the assistant's own voice, played by the speaker and picked up again by
// the microphone, out of what is sent to the server, where its VAD would take it for the user
// and the model would interrupt itself.
//
// It sees both sides at the API's 24 kHz on one timeline: every sample the speaker played
// (silence included, from the output's monitor), and every sample the microphone captured. The
// caller says how the two line up (SetDelay, from the devices' own timing), so the reference
// handed to the canceller is exactly what was sounding when the microphone heard it.
//
// Modes (--echo):
//   kAec         WebRTC's echo canceller (EchoCanceller: a filter its own delay estimator places
//                from the signals, so it follows a loop that drifts or is not where the devices
//                say; a suppressor for what it leaves; a high-pass filter). A user can talk over
//                the answer. Until it has learnt the room (the first second of loud echo) the
//                gate below guards its output; after, a softer gate drops what is well under
//                the echo the microphone would have heard: the canceller's residue.
//   kAecSpeex    the same with speexdsp's canceller and preprocessor: as good in a steady room,
//                lost when the loop drifts.
//   kGate        while the assistant is audible, the microphone passes only when its level is
//                well above the playback's; otherwise silence is sent.
//   kHalfDuplex  silence is sent while the assistant is audible, and for a hangover after.
//   kOff         samples pass untouched.
//
// Works in 10 ms blocks: the microphone waits inside until a block is complete and the playback
// it needs has been rendered (kLeadMs at most, in practice).
// Thread safety: main thread only, never in an audio callback (it allocates, and the
// cancellers' states are large).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audio/echo_canceller.h"
#include "util/status.h"

namespace voxterm {

enum class EchoMode { kOff, kAec, kAecSpeex, kGate, kHalfDuplex };
inline bool IsAec(EchoMode mode) { return mode == EchoMode::kAec || mode == EchoMode::kAecSpeex; }

// "aec", "aec-speex", "gate", "half-duplex", "off".
Result<EchoMode> ParseEchoMode(const std::string& name);
const char* EchoModeName(EchoMode mode);

class EchoControl {
 public:
  static constexpr int kBlockSamples = 240;  // 10 ms at 24 kHz
  // The canceller models echo from kLeadMs before the devices' timing says it should arrive
  // (their reports can be off by tens of ms) to kTailMs - kLeadMs after (the room's tail).
  static constexpr int kTailMs = 300;
  static constexpr int kLeadMs = 60;
  static constexpr int kHangoverMs = 300;  // half-duplex and gate: the room's tail after playback
  static constexpr double kGateMarginDb = 6;  // gate: the microphone's lead over the playback
  // aec, once learnt: what passes is at most this far under the echo the microphone would hear.
  // WebRTC's suppressor leaves little residue but takes a user talking over the answer a few dB
  // down with it, so its gate is lower; speexdsp leaves more.
  static constexpr double kResidualMarginDb = -10;
  static constexpr double kSpeexResidualMarginDb = -6;

  explicit EchoControl(EchoMode mode);
  ~EchoControl();
  EchoControl(const EchoControl&) = delete;
  EchoControl& operator=(const EchoControl&) = delete;

  EchoMode mode() const { return mode_; }

  // The speaker's samples, in order: every one it played.
  void AddPlayback(const int16_t* samples, size_t count);
  // count playback samples were lost (the monitor overflowed): the timeline moves on.
  void SkipPlayback(size_t count);
  // Playback sample (j + delay) was sounding when microphone sample j was captured, both counted
  // from 0. Until it is called the two timelines are taken to start together. A change of a
  // block or more makes the gate guard the canceller for a tail, as a gap does.
  void SetDelay(int64_t delay_samples);
  int64_t delay() const { return delay_; }

  // Microphone samples, in order; appends what may be sent to *out, whole blocks only.
  void Process(const int16_t* samples, size_t count, std::vector<int16_t>* out);
  // count microphone samples were lost (the input overflowed): the timeline moves on.
  void SkipCapture(size_t count);
  // aec: the output device ran dry and played silence the playback timeline does not hold, so
  // the echo now comes later than the canceller's filter expects, by an unknown amount. The
  // gate guards its output until it has found the echo again (kRelearnBlocks blocks taken
  // 20 dB down), rather than for a fixed time: WebRTC's delay estimator takes a few hundred ms.
  void OutputUnderran();

  // Blocks sent as silence (by any gate) and in all, for the -v summary.
  uint64_t muted_blocks() const { return muted_blocks_; }
  uint64_t blocks() const { return blocks_; }
  // aec: blocks the canceller processed (the others could hold no echo: nothing played).
  uint64_t canceller_blocks() const { return canceller_blocks_; }
  // aec: how far the canceller and the preprocessor took the microphone down while the
  // assistant was audible, once learnt, before any gate, in dB (the echo return loss
  // enhancement when the user is silent); 0 before there is any.
  double cancelled_db() const;

 private:
  // The playback block from start on: zeros where playback is unknown.
  void ReferenceFor(int64_t start, int16_t* out) const;
  // The loudest 10 ms of playback (RMS) that can still echo in the block at mic_index.
  double PlaybackLevel(int64_t mic_index) const;
  void ProcessBlock(int16_t* block);
  // The gate's verdict on a block: open when it is louder than threshold_rms, and held open a
  // while after.
  bool GateOpen(const int16_t* block, double threshold_rms);
  // aec: whether the canceller's output (out, from mic) may go, given the playback's level;
  // learns the room's coupling on the way.
  bool AecPasses(const int16_t* mic, const int16_t* out, double playback);
  // aec: the gate guards the canceller's output through this microphone index.
  void Guard(int64_t until_mic_index);
  void TrimPlayback();

  const EchoMode mode_;
  std::unique_ptr<EchoCanceller> canceller_;  // aec only
  std::vector<int16_t> playback_;             // played samples, playback_[0] at playback_start_
  int64_t playback_start_ = 0;
  int64_t audible_end_ = 0;       // one past the last played sample as loud as kSilentRms
  std::vector<int16_t> pending_;  // microphone samples short of a block, or awaiting playback
  int64_t mic_index_ = 0;         // the timeline index of pending_[0]
  int64_t delay_ = 0;
  std::vector<int16_t> reference_;  // scratch: one block
  std::vector<int16_t> cleaned_;    // scratch: one block
  int64_t gate_open_until_ = -1;    // gate: open through this microphone index
  // aec: blocks in which the canceller took a loud echo 20 dB down, and blocks of loud playback
  // the microphone did not hear (until learnt, since the last it heard); the gate guards its
  // output until there are kLearntBlocks of the one or kUnheardBlocks of the other.
  static constexpr int kLearntBlocks = 60;
  static constexpr int kUnheardBlocks = 50;
  static constexpr int kRelearnBlocks = 20;
  int learnt_blocks_ = 0;
  int unheard_blocks_ = 0;
  double coupling_db_ = -200;  // the echo's level against the playback's; below -100: unknown
  double heard_energy_ = 0;    // for cancelled_db(): the microphone's, in RMS squared per block
  double left_energy_ = 0;     // and the canceller's output's
  int64_t guard_until_ = -1;
  uint64_t muted_blocks_ = 0;
  uint64_t blocks_ = 0;
  uint64_t canceller_blocks_ = 0;
};

}  // namespace voxterm
