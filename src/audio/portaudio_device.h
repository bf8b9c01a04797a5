// PortAudio: the sound card. Opens 24 kHz where the device offers it, else the device's own
// rate (the conversation resamples outside the callbacks); mono where it can, else stereo,
// downmixed (input) or duplicated (output) in the callback.
//
// The callbacks only move samples between the device and the SpscRings: no locks, no
// allocation, no logging, no I/O, no PortAudio call (a static trampoline into a noexcept
// member, as in PortAudio's paex_sine_c++).
//
// Under CPU load a callback that runs late is an underrun: the streams ask for real-time
// scheduling where the host API and the system allow it (ALSA; quietly not otherwise), and each
// keeps its timing (the longest gap between callbacks, the longest callback, the under- and
// overruns the device reported, and whether real-time scheduling took: the first callback reads
// its thread's policy, the one system call a callback makes, once), which -v prints when it
// stops.
//
// Thread safety: everything but the callbacks runs on the main thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "audio/audio_device.h"

namespace voxterm {

struct AudioDeviceInfo {
  int index;
  std::string name;
  std::string host_api;
  int max_input_channels;
  int max_output_channels;
  double default_rate_hz;
  bool default_input;
  bool default_output;
};

enum class Direction { kInput, kOutput };

// A stream's timing, written by its callback only (relaxed atomics), read by the main thread.
struct CallbackTiming {
  std::atomic<uint64_t> callbacks{0};
  std::atomic<int64_t> longest_gap_ns{0};       // between the starts of two callbacks
  std::atomic<int64_t> longest_callback_ns{0};  // from a callback's start to its end
  std::atomic<uint64_t> device_xruns{0};        // paOutputUnderflow / paInputOverflow reported
  // The callback thread's scheduling policy (SCHED_OTHER, SCHED_FIFO...) and priority, read by
  // the first callback (one sched_getscheduler call, once per stream); -1 until then.
  std::atomic<int> policy{-1};
  std::atomic<int> priority{0};
  int64_t last_start_ns = 0;  // the callback only

  // In the callback: at its start (now_ns) and end.
  void Begin(int64_t now_ns, bool xrun) noexcept;
  void End(int64_t start_ns, int64_t end_ns) noexcept;
  // Main thread: one line for -v, e.g. "audio output: 512 callbacks, ..., real-time
  // scheduling (SCHED_FIFO 70)"; xruns names the device's xruns ("underruns").
  void Report(const char* what, const char* xruns, int buffer_ms) const;
};

// Pa_Initialize on creation, Pa_Terminate on destruction: one per process, outliving every
// stream.
// The device spec names among devices (no default: spec is not empty): an index; a whole name,
// case aside; or a case-insensitive part of one name. A part of several names is an error that
// lists them, as a spec that names none lists the devices there are.
Result<int> MatchDevice(const std::vector<AudioDeviceInfo>& devices, const std::string& spec,
                        Direction direction);

class PortAudioSystem {
 public:
  static Result<std::unique_ptr<PortAudioSystem>> Create();
  ~PortAudioSystem();

  std::vector<AudioDeviceInfo> Devices() const;
  // spec: empty (the default device), an index, or a case-insensitive part of a name. The
  // error lists the devices there are.
  Result<int> Find(const std::string& spec, Direction direction) const;

 private:
  PortAudioSystem() = default;
};

class PortAudioInput final : public AudioInput {
 public:
  static Result<std::unique_ptr<PortAudioInput>> Open(int device_index, int frames_per_buffer_ms);
  ~PortAudioInput() override;

  int sample_rate_hz() const override { return rate_hz_; }
  Status Start(SpscRing<int16_t>* ring) override;
  void Stop() override;
  uint64_t overruns() const override { return overruns_.load(std::memory_order_relaxed); }
  int64_t delivered_at_ns() const override {
    return delivered_at_ns_.load(std::memory_order_relaxed);
  }
  // The stream is opened with a fixed number of frames per buffer: one callback each.
  int64_t block_ns() const override { return int64_t{buffer_ms_} * 1'000'000; }
  int64_t capture_origin_ns() const override {
    return capture_origin_ns_.load(std::memory_order_relaxed);
  }

  static int Callback(const void* input, void* output, unsigned long frames, const void* time_info,
                      unsigned long flags, void* self);

 private:
  PortAudioInput() = default;
  int OnAudio(const int16_t* input, size_t frames, int64_t behind_ns, bool overflow) noexcept;

  void* stream_ = nullptr;  // PaStream*
  int rate_hz_ = 0;
  int channels_ = 1;
  int buffer_ms_ = 0;  // immutable after Open()
  CallbackTiming timing_;
  SpscRing<int16_t>* ring_ = nullptr;  // set before the stream starts
  std::atomic<uint64_t> overruns_{0};
  std::atomic<int64_t> delivered_at_ns_{0};
  std::atomic<int64_t> capture_origin_ns_{0};
  uint64_t captured_frames_ = 0;  // the callback only: every frame it was given
};

class PortAudioOutput final : public AudioOutput {
 public:
  static Result<std::unique_ptr<PortAudioOutput>> Open(int device_index, int frames_per_buffer_ms);
  ~PortAudioOutput() override;

  int sample_rate_hz() const override { return rate_hz_; }
  Status Start(SpscRing<int16_t>* ring, PlaybackCounters* counters,
               SpscRing<int16_t>* monitor) override;
  void Stop() override;
  uint64_t device_underruns() const override {
    return timing_.device_xruns.load(std::memory_order_relaxed);
  }

  static int Callback(const void* input, void* output, unsigned long frames, const void* time_info,
                      unsigned long flags, void* self);

 private:
  PortAudioOutput() = default;
  int OnAudio(int16_t* output, size_t frames, int64_t ahead_ns, bool underflow) noexcept;

  void* stream_ = nullptr;  // PaStream*
  int rate_hz_ = 0;
  int channels_ = 1;
  int buffer_ms_ = 0;  // immutable after Open()
  CallbackTiming timing_;
  SpscRing<int16_t>* ring_ = nullptr;        // set before the stream starts
  PlaybackCounters* counters_ = nullptr;     // set before the stream starts
  SpscRing<int16_t>* monitor_ = nullptr;     // set before the stream starts; may be null
  PlaybackEngine engine_{kApiSampleRateHz};  // the callback only; Open() sets the rate
};

}  // namespace voxterm
