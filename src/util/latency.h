// Latencies: what --stats measures while a conversation runs, for scripts/bench. Each series
// keeps its first kMaxSamples samples (an hour of frames would be 180,000), room reserved up
// front so that adding one never allocates.
// Thread safety: each series has one writer; read them only once that writer has stopped
// (the network thread's series once its transport is gone).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace voxterm {

class LatencySeries {
 public:
  static constexpr size_t kMaxSamples = 1 << 16;

  LatencySeries() { samples_.reserve(kMaxSamples); }
  void Add(int64_t ns) {
    if (samples_.size() < kMaxSamples) samples_.push_back(ns);
  }
  size_t count() const { return samples_.size(); }
  // The p-th percentile (0 to 100) by nearest rank, in ns; 0 with no samples.
  int64_t Percentile(double p) const;

 private:
  std::vector<int64_t> samples_;
};

struct Latencies {
  // From the input callback that delivered a microphone frame's last samples to the frame's
  // append handed to the network thread.
  LatencySeries capture_to_send;
  // From a message handed to the network thread to lws_write's return (network thread).
  LatencySeries send_queue;
  // From an answer's first audio delta arriving whole to its first sample at the speaker (as
  // the device reports its latency): the prebuffer, the queue and the device.
  LatencySeries first_audio;
  // From input_audio_buffer.speech_started arriving whole, while the assistant was audible, to
  // the end of the fade-out at the speaker; and to the same end leaving voxterm (the output
  // callback), which leaves out the latency the device reports.
  LatencySeries barge_in;
  LatencySeries barge_in_voxterm;

  // One JSON object: for each series, its count and p50, p99 and max in microseconds.
  std::string ToJson() const;
};

}  // namespace voxterm
