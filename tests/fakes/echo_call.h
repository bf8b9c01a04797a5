// One conversation through the simulated room (echo_room.h) with EchoControl between the
// microphone and what is sent, as the app runs it: the devices' timing as the app sees it, the
// main thread taking both sides in uneven chunks. Used by the echo unit tests and the
// benchmark's echo workload (bench/echo_bench.cpp).
#pragma once

#include <time.h>

#include <string>

#include "audio/echo_control.h"
#include "fakes/echo_room.h"

namespace voxterm {
namespace echo_room {

constexpr size_t Seconds(double s) { return static_cast<size_t>(s * kRate); }

inline double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// One conversation through a room: the speaker plays `far` (the assistant) from the start, the
// microphone hears it through `room`, plus `near` (the user) and faint noise. The devices'
// timing as the app sees it: playback sample j + kDelay sounds when microphone sample j is
// captured; the output renders 30 ms ahead of what is heard; the main thread takes both in
// uneven chunks.
struct Call {
  std::vector<double> far, near;
  std::vector<Tap> room = RoomImpulse(7, 2, 300, -6);
  int64_t reported_delay_error = 0;        // samples: the devices' latencies, as reported, are off
  Drift drift;                             // the devices' clocks apart
  std::vector<size_t> underruns;           // rendered samples before which the output underran
  size_t underrun_samples = 0;             // each time for this long
  static constexpr int64_t kDelay = 1200;  // 50 ms: 30 ms of output latency, 20 of input

  // The user says seconds of something from from_s on, at level_dbfs.
  void UserTalks(double from_s, double seconds, double level_dbfs) {
    const std::vector<double> user = Talker(seconds, 2, 210, level_dbfs);
    near.assign(far.size(), 0);
    std::copy(user.begin(), user.end(), near.begin() + static_cast<std::ptrdiff_t>(from_s * kRate));
  }
  std::vector<int16_t> echo, microphone, sent;
  double cancelled_db = 0;
  uint64_t blocks = 0, canceller_blocks = 0;  // EchoControl's
  double cpu_s = 0;                           // echo control's, on this thread

  void Run(EchoMode mode) {
    const size_t total = far.size();
    near.resize(total, 0);
    std::vector<double> played(total + kDelay + 2400, 0);
    std::copy(far.begin(), far.end(), played.begin());
    const std::vector<double> heard =
        Through(WithUnderruns(played, underruns, underrun_samples), room);
    Noise noise(99);
    std::vector<double> echo_only(total), mic(total);
    for (size_t j = 0; j < total; ++j) {
      const double at = static_cast<double>(j + kDelay) + drift.Offset(j);
      echo_only[j] = At(heard, at) + 1.0 * noise.Gaussian();  // -90 dBFS of noise
      mic[j] = echo_only[j] + near[j];
    }
    echo = ToPcm(echo_only);
    microphone = ToPcm(mic);
    const std::vector<int16_t> playback = ToPcm(played);

    EchoControl control(mode);
    const double cpu_from = ThreadCpuSeconds();
    control.SetDelay(kDelay + reported_delay_error);
    size_t mic_at = 0, played_at = 0;
    const size_t chunks[] = {200, 280, 240, 480, 120};
    for (int tick = 0; mic_at < total; ++tick) {
      const size_t n = std::min(chunks[tick % 5], total - mic_at);
      // The output has rendered 30 ms beyond what is being heard now (more, if it reports less
      // latency than it has).
      const size_t ahead = 720 + static_cast<size_t>(std::max<int64_t>(0, reported_delay_error));
      const size_t played_to = std::min(playback.size(), mic_at + n + kDelay + ahead);
      control.AddPlayback(playback.data() + played_at, played_to - played_at);
      // The device says when it ran dry (PortAudio's underflow flag), not for how long.
      for (size_t u : underruns) {
        if (played_at < u && played_to >= u) control.OutputUnderran();
      }
      played_at = played_to;
      control.Process(microphone.data() + mic_at, n, &sent);
      mic_at += n;
    }
    sent.resize(total, 0);  // the last part block
    cancelled_db = control.cancelled_db();
    blocks = control.blocks();
    canceller_blocks = control.canceller_blocks();
    cpu_s = ThreadCpuSeconds() - cpu_from;
  }
};

// The room of issue 15: the devices' clocks drift apart (100 ppm, swinging by 200 more), the
// output underruns twice for 30 ms without the application knowing, and the devices report
// 20 ms more latency than there is.
inline void MakeHard(Call* call, double coupling_db) {
  call->room = RoomImpulse(7, 2, 300, coupling_db);
  call->drift = Drift{100, 200};
  call->underruns = {Seconds(3), Seconds(6.5)};
  call->underrun_samples = Seconds(0.03);
  call->reported_delay_error = -480;
}

}  // namespace echo_room
}  // namespace voxterm
