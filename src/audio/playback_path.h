// PlaybackPath: the main thread's side of the output ring. Takes the assistant's 24 kHz audio,
// resamples it to the device's rate and feeds the ring. The server sends audio faster than real
// time, so what does not fit waits in a backlog that Pump() moves on as the device plays. An
// untimed output (a file) is pulled as audio is written instead: nothing waits for it.
// Thread safety: main thread only (the ring's producer).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

#include "audio/audio_device.h"
#include "audio/resampler.h"

namespace voxterm {

class PlaybackPath {
 public:
  PlaybackPath(int device_rate_hz, SpscRing<int16_t>* ring, PlaybackCounters* counters);

  int device_rate_hz() const { return device_rate_hz_; }
  // For an untimed output (AudioOutput::untimed()): takes what the ring holds and returns the
  // frames taken; called whenever audio is queued, until it takes nothing.
  void SetPull(std::function<size_t()> pull) { pull_ = std::move(pull); }
  void SetPrebufferMs(int ms);

  // What may wait for the speaker: five minutes, far more than a real server sends ahead of what
  // is heard (it streams an answer a few times faster than real time), and a bound on what a
  // hostile one can make voxterm hold (14 MB at 24 kHz, 29 MB at 48).
  static constexpr int kMaxWaitingSeconds = 300;

  // Queues 24 kHz samples; returns how many device frames they became: 0 when they would take
  // what waits beyond kMaxWaitingSeconds (nothing of them is queued then; the caller says so).
  size_t Write(const int16_t* samples, size_t count);
  // Moves backlog into the ring as room appears. Call often (every few ms).
  void Pump();
  // More audio is coming for the current answer (an empty ring is then an underrun).
  void SetStreamOpen(bool open);

  // One timeline for queue and playback, in device frames since the start: queued_frames() is
  // where the next frame written will be; position() is how far playback has got, frames that
  // a flush dropped counting as passed.
  uint64_t queued_frames() const { return queued_frames_; }
  // Device frames written and not yet taken by the output: the ring's and the backlog's.
  size_t waiting_frames();
  uint64_t position() const;
  // Something queued has not been played yet (false while a flush is under way).
  bool Audible() const { return !flush_pending_ && position() < queued_frames_; }

  // Stops playback at once: the output fades out and drops its ring; the backlog is dropped
  // here. Audio written meanwhile waits in the backlog, out of the flush's reach. FlushDone()
  // says when the output has done its part: position() is then final for what was flushed.
  void Flush();
  bool FlushDone();
  // Where playback stopped at the last flush, on the same timeline: what was heard.
  uint64_t flushed_at() const { return flushed_at_; }
  uint64_t underruns() const;

 private:
  void MoveBacklog();
  void AppendBacklog(const int16_t* frames, size_t count);

  const int device_rate_hz_;
  std::function<size_t()> pull_;  // untimed outputs only
  SpscRing<int16_t>* const ring_;
  PlaybackCounters* const counters_;
  Resampler resampler_;
  std::vector<int16_t> converted_;  // scratch for resampled audio
  // Device frames waiting for room in the ring, in blocks of kBlockFrames: a long backlog grows
  // a block at a time, never by copying itself into a vector twice its size (both held for a
  // moment: 25 MB for five minutes at 24 kHz), and each block is freed once it has been played.
  static constexpr size_t kBlockFrames = 128u << 10;  // 256 KB: glibc maps it, and unmaps it
  std::deque<std::vector<int16_t>> backlog_;
  size_t backlog_start_ = 0;   // the first unsent frame of backlog_.front()
  size_t backlog_frames_ = 0;  // unsent frames in all of backlog_
  uint64_t queued_frames_ = 0;
  uint64_t skipped_frames_ = 0;  // dropped by flushes, unplayed
  uint64_t queued_at_flush_ = 0;
  uint64_t flushed_at_ = 0;
  bool flush_pending_ = false;
  uint32_t flushes_ = 0;
};

}  // namespace voxterm
