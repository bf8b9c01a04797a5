#include "audio/echo_control.h"

#include <algorithm>
#include <cmath>

#include "audio/audio_device.h"

namespace voxterm {
namespace {

constexpr int64_t SamplesForMs(int ms) {
  return static_cast<int64_t>(kApiSampleRateHz) * ms / 1000;
}

constexpr int64_t kBlock = EchoControl::kBlockSamples;
constexpr int64_t kLead = SamplesForMs(EchoControl::kLeadMs);
constexpr int64_t kTail = SamplesForMs(EchoControl::kTailMs);
constexpr int64_t kHangover = SamplesForMs(EchoControl::kHangoverMs);
// Played samples kept beyond what the microphone still needs, at most: the microphone may not
// be running yet (before the session is ready), or may have stalled.
constexpr size_t kMaxPlaybackKept = static_cast<size_t>(SamplesForMs(4000));
// The longest a microphone block waits for its reference.
constexpr size_t kMaxWait = static_cast<size_t>(SamplesForMs(200));
// Playback quieter than this (RMS, about -60 dBFS) is silence: nothing to echo.
constexpr double kSilentRms = 33;
// A microphone block this loud (RMS, about -50 dBFS) during playback holds echo worth learning
// from.
constexpr double kEchoRms = 100;
// Playback this loud (RMS, about -40 dBFS) would be heard in the microphone if it could be.
constexpr double kLoudRms = 330;
const double kGateMargin = std::pow(10.0, EchoControl::kGateMarginDb / 20);
// The gate, once open, stays open this long, so that the quiet ends of words go through too.
constexpr int64_t kGateHold = SamplesForMs(200);

double Rms(const int16_t* samples, size_t count) {
  double sum = 0;
  for (size_t i = 0; i < count; ++i) sum += static_cast<double>(samples[i]) * samples[i];
  return count ? std::sqrt(sum / static_cast<double>(count)) : 0;
}

}  // namespace

Result<EchoMode> ParseEchoMode(const std::string& name) {
  if (name == "aec") return EchoMode::kAec;
  if (name == "aec-speex") return EchoMode::kAecSpeex;
  if (name == "gate") return EchoMode::kGate;
  if (name == "half-duplex") return EchoMode::kHalfDuplex;
  if (name == "off") return EchoMode::kOff;
  return Status::Error("echo: \"" + name +
                       "\" is not one of aec, aec-speex, gate, half-duplex, off");
}

const char* EchoModeName(EchoMode mode) {
  switch (mode) {
    case EchoMode::kAec: return "aec";
    case EchoMode::kAecSpeex: return "aec-speex";
    case EchoMode::kGate: return "gate";
    case EchoMode::kHalfDuplex: return "half-duplex";
    case EchoMode::kOff: return "off";
  }
  return "?";
}

EchoControl::EchoControl(EchoMode mode) : mode_(mode), reference_(kBlock), cleaned_(kBlock) {
  if (!IsAec(mode_)) return;
  canceller_ = MakeEchoCanceller(
      mode_ == EchoMode::kAecSpeex ? CancellerKind::kSpeex : CancellerKind::kWebRtc,
      kApiSampleRateHz, kBlockSamples, kLeadMs, kTailMs);
}

EchoControl::~EchoControl() = default;

void EchoControl::AddPlayback(const int16_t* samples, size_t count) {
  for (size_t i = count; i-- > 0;) {
    if (std::abs(samples[i]) >= kSilentRms) {
      audible_end_ = playback_start_ + static_cast<int64_t>(playback_.size() + i + 1);
      break;
    }
  }
  playback_.insert(playback_.end(), samples, samples + count);
  TrimPlayback();
}

void EchoControl::SetDelay(int64_t delay_samples) {
  // The canceller's filter holds the room as it was lined up; a new line-up takes it a tail's
  // length to settle.
  if (std::abs(delay_samples - delay_) >= kBlock) Guard(mic_index_ + kTail);
  delay_ = delay_samples;
}

void EchoControl::Guard(int64_t until_mic_index) {
  guard_until_ = std::max(guard_until_, until_mic_index);
}

void EchoControl::SkipPlayback(size_t count) {
  // The microphone heard what was lost without the canceller knowing: guard until the filter's
  // tail is past the gap.
  const int64_t gap_end = playback_start_ + static_cast<int64_t>(playback_.size() + count);
  Guard(gap_end - delay_ - kLead + kTail);
  if (count >= kMaxPlaybackKept) {
    playback_start_ += static_cast<int64_t>(playback_.size() + count);
    playback_.clear();
    return;
  }
  playback_.resize(playback_.size() + count, 0);
  TrimPlayback();
}

void EchoControl::TrimPlayback() {
  // What the next microphone block can still need: its reference, and the room's tail before.
  const int64_t needed_from = mic_index_ + delay_ - kLead - kHangover - kBlock;
  int64_t drop = std::max<int64_t>(0, needed_from - playback_start_);
  drop = std::max<int64_t>(
      drop, static_cast<int64_t>(playback_.size()) - static_cast<int64_t>(kMaxPlaybackKept));
  drop = std::min<int64_t>(drop, static_cast<int64_t>(playback_.size()));
  // Erasing moves what is left: only once a second's worth is due.
  if (drop < SamplesForMs(1000) && playback_.size() <= kMaxPlaybackKept) return;
  playback_.erase(playback_.begin(), playback_.begin() + drop);
  playback_start_ += drop;
}

void EchoControl::ReferenceFor(int64_t start, int16_t* out) const {
  const int64_t end = playback_start_ + static_cast<int64_t>(playback_.size());
  for (int64_t i = 0; i < kBlock; ++i) {
    const int64_t at = start + i;
    out[i] = at >= playback_start_ && at < end
                 ? playback_[static_cast<size_t>(at - playback_start_)]
                 : 0;
  }
}

double EchoControl::PlaybackLevel(int64_t mic_index) const {
  // The playback that can be heard in this block: from a hangover before it (the room's tail)
  // to its end, widened by the lead on both sides for timing errors.
  const int64_t end = playback_start_ + static_cast<int64_t>(playback_.size());
  const int64_t from = std::max(playback_start_, mic_index + delay_ - kHangover - kLead);
  // No sample as loud as silence's threshold, so no block either: what an idle conversation
  // costs is this comparison.
  if (from >= audible_end_) return 0;
  const int64_t to = std::min(end, mic_index + delay_ + kBlock + kLead);
  double loudest = 0;
  for (int64_t at = from; at < to; at += kBlock) {
    const size_t n = static_cast<size_t>(std::min(kBlock, to - at));
    loudest = std::max(loudest, Rms(&playback_[static_cast<size_t>(at - playback_start_)], n));
  }
  return loudest;
}

void EchoControl::Process(const int16_t* samples, size_t count, std::vector<int16_t>* out) {
  if (mode_ == EchoMode::kOff) {
    out->insert(out->end(), samples, samples + count);
    mic_index_ += static_cast<int64_t>(count);
    return;
  }
  pending_.insert(pending_.end(), samples, samples + count);
  size_t done = 0;
  while (pending_.size() - done >= static_cast<size_t>(kBlock)) {
    // The reference runs kLead ahead, and the output renders only a little ahead of what is
    // heard: the block waits for its reference, though not for an output that has stalled.
    const int64_t playback_end = playback_start_ + static_cast<int64_t>(playback_.size());
    if (playback_end < mic_index_ + delay_ + kLead + kBlock && pending_.size() - done < kMaxWait)
      break;
    std::copy_n(pending_.begin() + static_cast<std::ptrdiff_t>(done), kBlock, cleaned_.begin());
    ProcessBlock(cleaned_.data());
    out->insert(out->end(), cleaned_.begin(), cleaned_.end());
    done += kBlock;
    mic_index_ += kBlock;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
  TrimPlayback();
}

double EchoControl::cancelled_db() const {
  if (heard_energy_ <= 0) return 0;
  return 10 * std::log10(heard_energy_ / std::max(left_energy_, 1e-3));
}

void EchoControl::SkipCapture(size_t count) {
  // The part block before the gap is lost with it: it no longer lines up with anything.
  mic_index_ += static_cast<int64_t>(pending_.size() + count);
  pending_.clear();
  // The canceller's history of the reference jumps with the gap.
  Guard(mic_index_ + kTail);
}

void EchoControl::OutputUnderran() {
  learnt_blocks_ = std::min(learnt_blocks_, kLearntBlocks - kRelearnBlocks);
  unheard_blocks_ = std::min(unheard_blocks_, kUnheardBlocks - kRelearnBlocks);
}

bool EchoControl::GateOpen(const int16_t* block, double threshold_rms) {
  if (Rms(block, kBlock) > threshold_rms) gate_open_until_ = mic_index_ + kBlock + kGateHold;
  return mic_index_ < gate_open_until_;
}

bool EchoControl::AecPasses(const int16_t* mic, const int16_t* out, double playback) {
  // The canceller starts knowing nothing of the room, and takes a second or two of playback to
  // learn it; until then what it lets through would set off the server's VAD. Meanwhile the gate
  // guards its output. It has learnt once it has taken a loud echo 20 dB down for long enough,
  // or once loud playback has gone on long enough without one (headphones). After a gap in
  // either timeline, the gate guards again for a tail.
  const double mic_rms = Rms(mic, kBlock);
  const double out_rms = Rms(out, kBlock);
  if (mic_rms > kEchoRms && out_rms * 10 < mic_rms) ++learnt_blocks_;
  // Loud playback the microphone does not hear says "headphones", but only if it never hears
  // any: the echo may come a few hundred ms after the devices say, or only in the answer's
  // louder parts, and a microphone that gives exact zeros in silence (a noise-gated headset, a
  // system's noise suppression) looks like headphones until it does. While not yet learnt, a
  // heard block starts the count again. (Counting exact zeros as five blocks, as before, let
  // an adversary's room cut every first answer 0.08 s in.)
  const bool was_learnt = learnt_blocks_ >= kLearntBlocks || unheard_blocks_ >= kUnheardBlocks;
  if (playback > kLoudRms) {
    if (mic_rms < kEchoRms) {
      ++unheard_blocks_;
    } else if (!was_learnt) {
      unheard_blocks_ = 0;
    }
  }
  // How loud the echo gets against the playback, from blocks that were mostly echo (the
  // canceller took them 12 dB down or more): it follows the loudest quickly and lets go slowly
  // (2 dB a second), as playback's level is the loudest of a window too.
  if (mic_rms > kEchoRms && playback > kLoudRms && out_rms * 4 < mic_rms) {
    const double coupling_db = 20 * std::log10(mic_rms / playback);
    if (coupling_db_ < -100) coupling_db_ = coupling_db;
    coupling_db_ = coupling_db > coupling_db_ ? coupling_db_ + (coupling_db - coupling_db_) / 4
                                              : coupling_db_ - 0.02;
  }
  const bool learnt = learnt_blocks_ >= kLearntBlocks || unheard_blocks_ >= kUnheardBlocks;
  if (learnt && playback > kLoudRms) {
    heard_energy_ += mic_rms * mic_rms;
    left_energy_ += out_rms * out_rms;
  }
  if (!learnt || mic_index_ < guard_until_) return GateOpen(out, playback * kGateMargin);
  if (coupling_db_ < -100) return true;
  // What the canceller leaves of a loud echo is still loud enough for a VAD now and then (more
  // so when the two devices' clocks drift apart). A block well under the echo the microphone
  // would have heard is that residue; speech over the answer is louder.
  const double margin_db =
      mode_ == EchoMode::kAecSpeex ? kSpeexResidualMarginDb : kResidualMarginDb;
  return GateOpen(out, playback * std::pow(10.0, (coupling_db_ + margin_db) / 20));
}

void EchoControl::ProcessBlock(int16_t* block) {
  ++blocks_;
  const double playback = PlaybackLevel(mic_index_);
  bool open = true;
  switch (mode_) {
    case EchoMode::kAec:
    case EchoMode::kAecSpeex: {
      // Nothing the speaker played, its tail included, can be in this block: the canceller has
      // nothing to do, and is left as it is, with what it has learnt of the room, for the next
      // answer. An open conversation is mostly this, and then costs what --headphones does.
      if (playback < kSilentRms) break;
      ++canceller_blocks_;
      ReferenceFor(mic_index_ + delay_ + kLead, reference_.data());
      int16_t mic[kBlockSamples];
      std::copy_n(block, kBlock, mic);
      canceller_->Process(mic, reference_.data(), block);
      open = AecPasses(mic, block, playback);
      break;
    }
    case EchoMode::kGate:
      open = playback < kSilentRms || GateOpen(block, playback * kGateMargin);
      break;
    case EchoMode::kHalfDuplex: open = playback < kSilentRms; break;
    case EchoMode::kOff:  // Process() passes samples through before any block
      break;
  }
  if (open) return;
  ++muted_blocks_;
  std::fill_n(block, kBlock, int16_t{0});
}

}  // namespace voxterm
