#include "audio/audio_device.h"

#include <algorithm>

namespace voxterm {

void PlaybackEngine::Render(SpscRing<int16_t>* ring, PlaybackCounters* counters, int16_t* out,
                            size_t frames, int channels, int64_t heard_at_ns,
                            SpscRing<int16_t>* monitor) {
  size_t done = 0;
  const uint32_t requested = counters->flushes_requested.load(std::memory_order_acquire);
  if (requested != flushes_seen_) {
    // Barge-in: fade out what is next in the ring, so the cut does not click, then drop the rest.
    const size_t fade = std::min({kFadeFrames, frames, ring->ReadAvailable()});
    auto regions = ring->ReadRegions(fade);
    for (size_t i = 0; i < fade; ++i) {
      int16_t s =
          i < regions.first_count ? regions.first[i] : regions.second[i - regions.first_count];
      const int32_t scaled =
          static_cast<int32_t>(s) * static_cast<int32_t>(fade - i) / static_cast<int32_t>(fade);
      for (int c = 0; c < channels; ++c) out[i * channels + c] = static_cast<int16_t>(scaled);
    }
    ring->CommitRead(fade);
    counters->played_frames.fetch_add(fade, std::memory_order_release);
    (void)ring->Discard(ring->ReadAvailable());
    done = fade;
    playing_ = false;
    flushes_seen_ = requested;
    counters->silent_heard_at_ns.store(HeardAt(heard_at_ns, fade), std::memory_order_relaxed);
    counters->flushes_done.store(requested, std::memory_order_release);
  } else {
    const bool stream_open = counters->stream_open.load(std::memory_order_acquire);
    const size_t waiting = ring->ReadAvailable();
    if (!playing_) {
      // Start an answer only with a prebuffer in hand (jitter), or when it is all there.
      const uint32_t prebuffer = counters->prebuffer_frames.load(std::memory_order_relaxed);
      playing_ = waiting > 0 && (waiting >= prebuffer || !stream_open);
      if (playing_) {
        counters->started_heard_at_ns.store(heard_at_ns, std::memory_order_relaxed);
        counters->starts.fetch_add(1, std::memory_order_release);
      }
    }
    if (playing_) {
      auto regions = ring->ReadRegions(frames);
      const size_t n = regions.total();
      for (size_t i = 0; i < n; ++i) {
        int16_t s =
            i < regions.first_count ? regions.first[i] : regions.second[i - regions.first_count];
        for (int c = 0; c < channels; ++c) out[i * channels + c] = s;
      }
      ring->CommitRead(n);
      counters->played_frames.fetch_add(n, std::memory_order_release);
      done = n;
      if (n < frames) {
        if (stream_open) counters->underruns.fetch_add(1, std::memory_order_relaxed);
        playing_ = false;  // wait for a prebuffer again before resuming
      }
    }
  }
  std::fill(out + done * channels, out + frames * channels, int16_t{0});
  if (monitor) {
    // A copy of the first channel; if the main thread fell behind, the excess is dropped and
    // counted, so that the monitor's timeline stays true.
    counters->monitor_origin_ns.store(heard_at_ns - FramesToNs(monitored_frames_, rate_hz_),
                                      std::memory_order_relaxed);
    monitored_frames_ += frames;
    auto regions = monitor->WriteRegions(frames);
    for (size_t i = 0; i < regions.first_count; ++i) regions.first[i] = out[i * channels];
    for (size_t i = 0; i < regions.second_count; ++i)
      regions.second[i] = out[(regions.first_count + i) * channels];
    monitor->CommitWrite(regions.total());
    if (regions.total() < frames)
      counters->monitor_dropped.fetch_add(frames - regions.total(), std::memory_order_relaxed);
  }
}

}  // namespace voxterm
