// The audio seam: where samples come from and where they go. Abstract so that the
// conversation runs the same on a sound card (PortAudio), on files (--input-file,
// --output-file) and on nothing at all, and so tests need no hardware (mpv's ao_null/ao_pcm,
// baresip's aufile).
//
// Both directions exchange mono int16 samples at the device's own rate through SpscRings; the
// conversation resamples to and from the API's 24 kHz outside any callback.
//
// Thread safety: Start() and Stop() from the main thread. After Start(), the input's callback or
// thread is the ring's only producer and the output's the ring's only consumer; an untimed
// output's consumer is whoever calls Pull(), the ring's producer (AudioOutput::untimed()).
#pragma once

#include <atomic>
#include <cstdint>

#include "audio/spsc_ring.h"
#include "util/status.h"

namespace voxterm {

constexpr int kApiSampleRateHz = 24000;  // PCM16 mono, both directions, in either dialect

// How long frames last at rate_hz, in ns, without overflow for days of audio.
inline int64_t FramesToNs(uint64_t frames, int rate_hz) {
  const uint64_t rate = static_cast<uint64_t>(rate_hz);
  return static_cast<int64_t>(frames / rate * 1000000000 + frames % rate * 1000000000 / rate);
}

class AudioInput {
 public:
  virtual ~AudioInput() = default;
  // The rate of the samples written to the ring. Valid after construction.
  virtual int sample_rate_hz() const = 0;
  // Starts writing captured mono samples into *ring (which outlives Stop()).
  virtual Status Start(SpscRing<int16_t>* ring) = 0;
  virtual void Stop() = 0;
  // True once a finite source (a file) has delivered everything.
  virtual bool Finished() const { return false; }
  // Samples dropped because the ring was full (the main thread fell behind).
  virtual uint64_t overruns() const { return 0; }
  // When the newest samples in the ring were written (MonotonicNs); 0 before any. For --stats,
  // and for the main thread's ticks, which follow the deliveries (audio/capture_ticks.h).
  virtual int64_t delivered_at_ns() const { return 0; }
  // How far apart the deliveries are meant to be; 0 when unknown.
  virtual int64_t block_ns() const { return 0; }
  // When the input's frame 0 was captured (MonotonicNs), as its timing reports it, so that
  // frame n was captured n / rate later, overruns counted; 0 when unknown. For echo control.
  virtual int64_t capture_origin_ns() const { return 0; }
};

// Shared between an output's callback and the main thread. Each field has one writer.
struct PlaybackCounters {
  // Written by the output: frames taken from the ring and played, faded-out ones included;
  // silence it played on its own is not counted.
  std::atomic<uint64_t> played_frames{0};
  // Written by the output: callbacks that found the ring empty while more audio was expected.
  std::atomic<uint64_t> underruns{0};
  // Written by the output: the last flush_requested it carried out.
  std::atomic<uint32_t> flushes_done{0};

  // Written by the main thread: bump to stop playback at once (a short fade, then the ring's
  // contents are dropped).
  std::atomic<uint32_t> flushes_requested{0};
  // Written by the main thread: an answer is streaming, so an empty ring is an underrun and
  // playback waits for prebuffer_frames before it starts.
  std::atomic<bool> stream_open{false};
  std::atomic<uint32_t> prebuffer_frames{0};
  // Written by the output, for --stats (MonotonicNs, as the device reports its latency): when
  // the first sample of the latest start (after a prebuffer) is heard, bumping starts after;
  // when the last faded sample of the latest flush is heard, before flushes_done.
  std::atomic<int64_t> started_heard_at_ns{0};
  std::atomic<uint32_t> starts{0};
  std::atomic<int64_t> silent_heard_at_ns{0};
  // Written by the output: how far ahead of its callback the device plays, as it reports.
  std::atomic<int64_t> device_ahead_ns{0};
  // Written by the output when it has a monitor, for echo control: when the monitor's frame 0
  // is heard (MonotonicNs), so that frame n is heard n / rate later; and the frames the monitor
  // had no room for (they count in n).
  std::atomic<int64_t> monitor_origin_ns{0};
  std::atomic<uint64_t> monitor_dropped{0};
};

class AudioOutput {
 public:
  virtual ~AudioOutput() = default;
  virtual int sample_rate_hz() const = 0;
  // Starts playing mono samples from *ring; ring and counters outlive Stop(). monitor, when not
  // null, receives a copy of every frame played, silence included: what the speaker said, in
  // real time (for --record and echo control).
  virtual Status Start(SpscRing<int16_t>* ring, PlaybackCounters* counters,
                       SpscRing<int16_t>* monitor) = 0;
  virtual void Stop() = 0;
  // An output nobody hears in real time (a file) has no clock to take audio by: it takes what
  // the ring holds when Pull() is called, on the caller's thread, so that audio goes out as it
  // arrives and none of it waits in memory for a writer (mpv's ao_pcm, untimed). Returns the
  // frames taken. Outputs with a clock of their own take nothing here.
  virtual bool untimed() const { return false; }
  virtual size_t Pull() { return 0; }
  // Times the device itself ran dry and played silence its callback never gave it (so not in
  // the monitor either): everything after sounds later than the monitor says. Any thread.
  virtual uint64_t device_underruns() const { return 0; }
};

// The output side of every device: what to do with one buffer's worth of frames, and the one
// place that carries out the flush handshake (flushes_requested -> flushes_done) and counts what
// was played. Every output drives it: the PortAudio callback and the null output through
// Render(), clocked by their buffers; the file output through RenderUntimed(), as fast as audio
// arrives (mpv's one ao_read_data behind every driver, ao_pcm's untimed mode).
// Real-time safe: no locks, no allocation, no system calls.
// Thread safety: one output's callback or thread only (the ring's consumer).
class PlaybackEngine {
 public:
  explicit PlaybackEngine(int rate_hz) : rate_hz_(rate_hz) {}
  // Fills out[] (frames * channels, interleaved) from the ring: prebuffering, fade-out on a
  // flush, silence and an underrun count when the ring runs dry mid-answer. heard_at_ns: when
  // out[0] will reach the listener (MonotonicNs), for the counters' times. monitor, when not
  // null, gets a copy of every frame (silence included) and its origin in the counters.
  void Render(SpscRing<int16_t>* ring, PlaybackCounters* counters, int16_t* out, size_t frames,
              int channels, int64_t heard_at_ns, SpscRing<int16_t>* monitor = nullptr);
  // For an output nobody listens to in real time (a file): moves up to max_frames mono frames
  // from the ring to out[] as they come, and returns how many. No prebuffer, no silence, no
  // underruns; a flush drops the ring without a fade. With a monitor it takes no more than the
  // monitor has room for: the rest waits in the ring, so the recording misses nothing.
  size_t RenderUntimed(SpscRing<int16_t>* ring, PlaybackCounters* counters, int16_t* out,
                       size_t max_frames, int64_t now_ns, SpscRing<int16_t>* monitor = nullptr);

 private:
  int64_t HeardAt(int64_t heard_at_ns, size_t frame) const {
    return heard_at_ns + static_cast<int64_t>(frame) * 1000000000 / rate_hz_;
  }
  // Steps of Render(); each returns the frames it wrote to out.
  bool FlushRequested(const PlaybackCounters* counters);
  size_t CarryOutFlush(SpscRing<int16_t>* ring, PlaybackCounters* counters, int16_t* out,
                       size_t fade_limit, int channels, int64_t heard_at_ns);
  size_t Play(SpscRing<int16_t>* ring, PlaybackCounters* counters, int16_t* out, size_t frames,
              int channels, int64_t heard_at_ns);
  void Monitor(PlaybackCounters* counters, const int16_t* out, size_t frames, int channels,
               int64_t heard_at_ns, SpscRing<int16_t>* monitor);

  int rate_hz_;
  static constexpr size_t kFadeFrames = 96;  // 4 ms at 24 kHz, 2 ms at 48 kHz
  bool playing_ = false;                     // past the prebuffer of the current answer
  uint32_t flushes_seen_ = 0;
  uint32_t flush_requested_ = 0;   // as FlushRequested() last read it
  uint64_t monitored_frames_ = 0;  // offered to the monitor, dropped ones included
};

}  // namespace voxterm
