#include "audio/audio_device.h"

#include <algorithm>

namespace voxterm {
namespace {

// The i-th of the frames two read regions hold.
int16_t At(const SpscRing<int16_t>::Regions<const int16_t>& regions, size_t i) {
  return i < regions.first_count ? regions.first[i] : regions.second[i - regions.first_count];
}

}  // namespace

void PlaybackEngine::Render(SpscRing<int16_t>* ring, PlaybackCounters* counters, int16_t* out,
                            size_t frames, int channels, int64_t heard_at_ns,
                            SpscRing<int16_t>* monitor) {
  const size_t done =
      FlushRequested(counters)
          ? CarryOutFlush(ring, counters, out, std::min(kFadeFrames, frames), channels, heard_at_ns)
          : Play(ring, counters, out, frames, channels, heard_at_ns);
  std::fill(out + done * channels, out + frames * channels, int16_t{0});
  if (monitor) Monitor(counters, out, frames, channels, heard_at_ns, monitor);
}

size_t PlaybackEngine::RenderUntimed(SpscRing<int16_t>* ring, PlaybackCounters* counters,
                                     int16_t* out, size_t max_frames, int64_t now_ns,
                                     SpscRing<int16_t>* monitor) {
  // Nobody hears a click in a file: the flush cuts without a fade. The producer holds its audio
  // back until the flush is done, so the ring stays empty until the next call.
  if (FlushRequested(counters)) return CarryOutFlush(ring, counters, out, 0, 1, now_ns);
  size_t frames = std::min(max_frames, ring->ReadAvailable());
  // A file is not played in time: the recording gets the answer's audio as it came.
  if (monitor) frames = std::min(frames, monitor->WriteAvailable());
  const size_t read = ring->Read(out, frames);
  counters->played_frames.fetch_add(read, std::memory_order_release);
  if (monitor) (void)monitor->Write(out, read);  // room checked above: nothing is dropped
  return read;
}

bool PlaybackEngine::FlushRequested(const PlaybackCounters* counters) {
  flush_requested_ = counters->flushes_requested.load(std::memory_order_acquire);
  return flush_requested_ != flushes_seen_;
}

size_t PlaybackEngine::CarryOutFlush(SpscRing<int16_t>* ring, PlaybackCounters* counters,
                                     int16_t* out, size_t fade_limit, int channels,
                                     int64_t heard_at_ns) {
  // Barge-in: fade out what is next in the ring, so the cut does not click, then drop the rest.
  const size_t fade = std::min(fade_limit, ring->ReadAvailable());
  auto regions = ring->ReadRegions(fade);
  for (size_t i = 0; i < fade; ++i) {
    const int32_t scaled = static_cast<int32_t>(At(regions, i)) * static_cast<int32_t>(fade - i) /
                           static_cast<int32_t>(fade);
    for (int c = 0; c < channels; ++c) out[i * channels + c] = static_cast<int16_t>(scaled);
  }
  ring->CommitRead(fade);
  counters->played_frames.fetch_add(fade, std::memory_order_release);
  (void)ring->Discard(ring->ReadAvailable());
  playing_ = false;
  flushes_seen_ = flush_requested_;
  counters->silent_heard_at_ns.store(HeardAt(heard_at_ns, fade), std::memory_order_relaxed);
  counters->flushes_done.store(flush_requested_, std::memory_order_release);
  return fade;
}

size_t PlaybackEngine::Play(SpscRing<int16_t>* ring, PlaybackCounters* counters, int16_t* out,
                            size_t frames, int channels, int64_t heard_at_ns) {
  const bool stream_open = counters->stream_open.load(std::memory_order_acquire);
  if (!playing_) {
    // Start an answer only with a prebuffer in hand (jitter), or when it is all there.
    const size_t waiting = ring->ReadAvailable();
    const uint32_t prebuffer = counters->prebuffer_frames.load(std::memory_order_relaxed);
    playing_ = waiting > 0 && (waiting >= prebuffer || !stream_open);
    if (!playing_) return 0;
    counters->started_heard_at_ns.store(heard_at_ns, std::memory_order_relaxed);
    counters->starts.fetch_add(1, std::memory_order_release);
  }
  auto regions = ring->ReadRegions(frames);
  const size_t n = regions.total();
  for (size_t i = 0; i < n; ++i) {
    const int16_t s = At(regions, i);
    for (int c = 0; c < channels; ++c) out[i * channels + c] = s;
  }
  ring->CommitRead(n);
  counters->played_frames.fetch_add(n, std::memory_order_release);
  if (n < frames) {
    if (stream_open) counters->underruns.fetch_add(1, std::memory_order_relaxed);
    playing_ = false;  // wait for a prebuffer again before resuming
  }
  return n;
}

void PlaybackEngine::Monitor(PlaybackCounters* counters, const int16_t* out, size_t frames,
                             int channels, int64_t heard_at_ns, SpscRing<int16_t>* monitor) {
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

}  // namespace voxterm
