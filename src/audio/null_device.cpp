#include "audio/null_device.h"

#include <pthread.h>

#include "audio/pacer.h"
#include "util/clock.h"

namespace voxterm {
namespace {

constexpr int kStepMs = 10;  // as a sound card's buffer: one step of either thread

size_t StepFrames(int rate_hz) { return static_cast<size_t>(rate_hz) * kStepMs / 1000; }

}  // namespace

Status NullInput::Start(SpscRing<int16_t>* ring) {
  stop_ = false;
  thread_ = std::thread([this, ring] { Run(ring); });
  return Status::Ok();
}

int64_t NullInput::block_ns() const { return int64_t{kStepMs} * 1'000'000; }

void NullInput::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void NullInput::Run(SpscRing<int16_t>* ring) {
  pthread_setname_np(pthread_self(), "vt-null-in");
  const std::vector<int16_t> silence(StepFrames(rate_hz_), 0);
  Pacer pacer;
  origin_ns_.store(MonotonicNs(), std::memory_order_relaxed);
  while (!stop_) {
    // Each step is captured by the end of its 10 ms, as a sound card delivers a buffer.
    pacer.Wait(FramesToNs(silence.size(), rate_hz_));
    const size_t written = ring->Write(silence.data(), silence.size());
    overruns_.fetch_add(silence.size() - written, std::memory_order_relaxed);
    delivered_at_ns_.store(MonotonicNs(), std::memory_order_relaxed);
  }
}

Status NullOutput::Start(SpscRing<int16_t>* ring, PlaybackCounters* counters,
                         SpscRing<int16_t>* monitor) {
  stop_ = false;
  thread_ = std::thread([this, ring, counters, monitor] { Run(ring, counters, monitor); });
  return Status::Ok();
}

void NullOutput::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void NullOutput::Run(SpscRing<int16_t>* ring, PlaybackCounters* counters,
                     SpscRing<int16_t>* monitor) {
  pthread_setname_np(pthread_self(), "vt-null-out");
  std::vector<int16_t> buffer(StepFrames(rate_hz_));
  Pacer pacer;
  while (!stop_) {
    // Heard at once: there is no device latency to add.
    engine_.Render(ring, counters, buffer.data(), buffer.size(), 1, MonotonicNs(), monitor);
    pacer.Wait(FramesToNs(buffer.size(), rate_hz_));
  }
}

}  // namespace voxterm
