// Audio files as devices, on libsndfile: --input-file is the microphone, paced in real time;
// --output-file receives the assistant's audio as it arrives, without pacing: it is untimed, and
// Pull() drives the PlaybackEngine through RenderUntimed() on the thread that fills the ring, so
// a long answer sent at full speed goes to the file as it comes instead of waiting in memory.
// Thread safety: Start()/Stop() from the main thread. The input runs a thread of its own, the
// ring's producer; the output has none: Pull() comes from the ring's producer.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "audio/audio_device.h"

struct sf_private_tag;

namespace voxterm {

// Creates a 16-bit WAV at the API's 24 kHz whose header stays right after every write, so the
// file is valid while it grows and after a crash. what names the file in errors ("--record").
// The file is created as util/output_file.h says: 0600, never through a symbolic link.
Result<sf_private_tag*> CreateWav24k(const std::string& path, int channels,
                                     const std::string& what);

// After a write of wanted items to such a file that wrote written (errno as the write left it):
// reports the file's first failure (a full disk) and sets *failed. Returns *failed.
bool WavWriteFailed(int64_t wanted, int64_t written, const std::string& what,
                    const std::string& path, bool* failed);

class FileInput final : public AudioInput {
 public:
  // Opens path (any format libsndfile reads: WAV, FLAC, Ogg, raw with a header...).
  static Result<std::unique_ptr<FileInput>> Open(const std::string& path);
  ~FileInput() override;

  int sample_rate_hz() const override { return rate_hz_; }
  // Reads up to frames, downmixed to mono; 0 at the end (or on a broken file). The pacing
  // thread reads with it; so can a test or a fuzzer, before Start().
  size_t ReadMono(int16_t* out, size_t frames);
  Status Start(SpscRing<int16_t>* ring) override;
  void Stop() override;
  bool Finished() const override { return finished_.load(std::memory_order_acquire); }
  uint64_t overruns() const override { return overruns_.load(std::memory_order_relaxed); }
  int64_t delivered_at_ns() const override {
    return delivered_at_ns_.load(std::memory_order_relaxed);
  }
  int64_t block_ns() const override;

 private:
  FileInput(sf_private_tag* file, int rate_hz, int channels)
      : file_(file), rate_hz_(rate_hz), channels_(channels) {}
  void Run(SpscRing<int16_t>* ring);  // the pacing thread

  sf_private_tag* file_;  // the pacing thread only, after Start()
  const int rate_hz_;
  const int channels_;
  std::vector<int16_t> interleaved_;  // ReadMono's scratch
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<uint64_t> overruns_{0};
  std::atomic<int64_t> delivered_at_ns_{0};
};

class FileOutput final : public AudioOutput {
 public:
  // Creates a 16-bit mono WAV at the API's 24 kHz.
  static Result<std::unique_ptr<FileOutput>> Create(const std::string& path);
  ~FileOutput() override;

  int sample_rate_hz() const override { return kApiSampleRateHz; }
  // Between Start() and Stop(); Stop() takes what is left.
  Status Start(SpscRing<int16_t>* ring, PlaybackCounters* counters,
               SpscRing<int16_t>* monitor) override;
  void Stop() override;
  bool untimed() const override { return true; }
  // Moves what the ring holds into the file (no more than the monitor has room for).
  size_t Pull() override;

 private:
  static constexpr size_t kChunkFrames = 4096;  // moved to the file at a time
  FileOutput(sf_private_tag* file, std::string path)
      : file_(file), path_(std::move(path)), chunk_(kChunkFrames) {}

  // --- the ring's consumer only (Pull's caller)
  sf_private_tag* file_;
  const std::string path_;
  bool write_failed_ = false;          // a write failed, and was reported
  SpscRing<int16_t>* ring_ = nullptr;  // set by Start(), cleared by Stop()
  PlaybackCounters* counters_ = nullptr;
  SpscRing<int16_t>* monitor_ = nullptr;
  PlaybackEngine engine_{kApiSampleRateHz};
  std::vector<int16_t> chunk_;  // Pull's scratch
};

}  // namespace voxterm
