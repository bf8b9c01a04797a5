#include "audio/playback_path.h"

#include <algorithm>

namespace voxterm {

PlaybackPath::PlaybackPath(int device_rate_hz, SpscRing<int16_t>* ring, PlaybackCounters* counters)
    : device_rate_hz_(device_rate_hz),
      ring_(ring),
      counters_(counters),
      resampler_(kApiSampleRateHz, device_rate_hz) {}

void PlaybackPath::SetPrebufferMs(int ms) {
  counters_->prebuffer_frames.store(static_cast<uint32_t>(device_rate_hz_ * ms / 1000),
                                    std::memory_order_relaxed);
}

size_t PlaybackPath::Write(const int16_t* samples, size_t count) {
  const size_t rate = static_cast<size_t>(device_rate_hz_);
  const size_t arriving = count * rate / kApiSampleRateHz;
  if (waiting_frames() + arriving > static_cast<size_t>(kMaxWaitingSeconds) * rate) return 0;
  const int16_t* frames = samples;
  size_t n = count;
  if (!resampler_.passthrough()) {
    converted_.clear();
    resampler_.Process(samples, count, &converted_);
    frames = converted_.data();
    n = converted_.size();
  }
  queued_frames_ += n;
  // Straight into the ring when nothing waits ahead (and no flush could drop it), else behind
  // the backlog, in order.
  size_t written = backlog_frames_ == 0 && !flush_pending_ ? ring_->Write(frames, n) : 0;
  AppendBacklog(frames + written, n - written);
  if (pull_) Pump();
  return n;
}

void PlaybackPath::AppendBacklog(const int16_t* frames, size_t count) {
  backlog_frames_ += count;
  while (count > 0) {
    if (backlog_.empty() || backlog_.back().size() == kBlockFrames) {
      backlog_.emplace_back();
      backlog_.back().reserve(kBlockFrames);
    }
    std::vector<int16_t>& block = backlog_.back();
    const size_t take = std::min(count, kBlockFrames - block.size());
    block.insert(block.end(), frames, frames + take);
    frames += take;
    count -= take;
  }
}

void PlaybackPath::Pump() {
  MoveBacklog();
  // An untimed output takes everything now; with a monitor, as fast as its reader empties it.
  if (pull_) {
    while (pull_() > 0) MoveBacklog();
  }
}

void PlaybackPath::MoveBacklog() {
  if (flush_pending_ && !FlushDone()) return;
  while (backlog_frames_ > 0) {
    const std::vector<int16_t>& block = backlog_.front();
    const size_t sent = ring_->Write(block.data() + backlog_start_, block.size() - backlog_start_);
    backlog_start_ += sent;
    backlog_frames_ -= sent;
    if (backlog_start_ < block.size()) return;  // the ring is full
    backlog_.pop_front();
    backlog_start_ = 0;
  }
}

size_t PlaybackPath::waiting_frames() {
  return ring_->capacity() - ring_->WriteAvailable() + backlog_frames_;
}

void PlaybackPath::SetStreamOpen(bool open) {
  counters_->stream_open.store(open, std::memory_order_release);
}

uint64_t PlaybackPath::position() const {
  return counters_->played_frames.load(std::memory_order_acquire) + skipped_frames_;
}

void PlaybackPath::Flush() {
  backlog_.clear();
  backlog_start_ = 0;
  backlog_frames_ = 0;
  queued_at_flush_ = queued_frames_;
  if (flush_pending_) return;  // the one under way empties the ring; the backlog just went
  flush_pending_ = true;
  counters_->stream_open.store(false, std::memory_order_release);
  counters_->flushes_requested.store(++flushes_, std::memory_order_release);
  if (pull_) Pump();  // carried out at once
}

bool PlaybackPath::FlushDone() {
  if (!flush_pending_) return true;
  if (counters_->flushes_done.load(std::memory_order_acquire) != flushes_) return false;
  // Everything queued before the flush is now played or dropped: the timeline moves on to it.
  const uint64_t played = counters_->played_frames.load(std::memory_order_acquire);
  flushed_at_ = played + skipped_frames_;
  skipped_frames_ = queued_at_flush_ - played;
  flush_pending_ = false;
  return true;
}

uint64_t PlaybackPath::underruns() const {
  return counters_->underruns.load(std::memory_order_relaxed);
}

}  // namespace voxterm
