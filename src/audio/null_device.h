// Null devices: a microphone that hears silence and a speaker that plays into nothing, each
// paced in real time by a thread of its own, as a sound card would be (mpv's ao_null, baresip's
// mock devices). They exercise the whole audio path, PlaybackEngine included, without hardware
// or files: the tests' devices, and a row of the backend table in app/audio_setup.cpp.
// Thread safety: Start()/Stop() from the main thread; each device runs one thread of its own,
// which is the ring's producer (input) or consumer (output).
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "audio/audio_device.h"

namespace voxterm {

class NullInput final : public AudioInput {
 public:
  explicit NullInput(int rate_hz = kApiSampleRateHz) : rate_hz_(rate_hz) {}
  ~NullInput() override { Stop(); }

  int sample_rate_hz() const override { return rate_hz_; }
  // Writes 10 ms of silence into *ring every 10 ms until Stop().
  Status Start(SpscRing<int16_t>* ring) override;
  void Stop() override;
  uint64_t overruns() const override { return overruns_.load(std::memory_order_relaxed); }
  int64_t delivered_at_ns() const override {
    return delivered_at_ns_.load(std::memory_order_relaxed);
  }
  int64_t block_ns() const override;
  int64_t capture_origin_ns() const override { return origin_ns_.load(std::memory_order_relaxed); }

 private:
  void Run(SpscRing<int16_t>* ring);  // the pacing thread

  const int rate_hz_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> overruns_{0};
  std::atomic<int64_t> delivered_at_ns_{0};
  std::atomic<int64_t> origin_ns_{0};  // when the pacing thread began: frame 0's capture
};

class NullOutput final : public AudioOutput {
 public:
  explicit NullOutput(int rate_hz = kApiSampleRateHz) : rate_hz_(rate_hz), engine_(rate_hz) {}
  ~NullOutput() override { Stop(); }

  int sample_rate_hz() const override { return rate_hz_; }
  // Plays the ring through a PlaybackEngine, 10 ms every 10 ms, and discards what it rendered
  // (the monitor gets it, as from a speaker).
  Status Start(SpscRing<int16_t>* ring, PlaybackCounters* counters,
               SpscRing<int16_t>* monitor) override;
  void Stop() override;

 private:
  void Run(SpscRing<int16_t>* ring, PlaybackCounters* counters,
           SpscRing<int16_t>* monitor);  // the pacing thread

  const int rate_hz_;
  PlaybackEngine engine_;  // the pacing thread only
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

}  // namespace voxterm
