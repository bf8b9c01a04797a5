// The echo workload of scripts/bench: each --echo mode in the simulated room of the unit tests
// (tests/fakes/echo_room.h: a 10 s answer at -20 dBFS through a room with a 300 ms reverberation
// time and -6 dB of coupling, faint noise), the user silent and then talking over the answer.
// Prints a Markdown table: whether the mock's VAD would fire on the echo alone, when it first
// fires with the user talking (they start at 4 s), the canceller's echo return loss enhancement,
// and the CPU time echo control takes, as a share of one core in real time.
//
// usage: voxterm_echo_bench [--smoke]   (--smoke: a 3 s answer, once)
#include <time.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "audio/echo_control.h"
#include "fakes/echo_room.h"

namespace voxterm {
namespace {

using namespace echo_room;

double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

struct Outcome {
  std::vector<int16_t> sent;
  double cpu_s = 0;
  double cancelled_db = 0;
};

// As the unit tests run it: playback sample j + delay sounds as microphone sample j is
// captured; the output renders 30 ms ahead; 10 ms at a time.
Outcome Run(EchoMode mode, const std::vector<double>& far, const std::vector<double>& near) {
  constexpr size_t kDelay = 1200;
  const size_t total = far.size();
  std::vector<double> played(total + kDelay + 2400, 0);
  std::copy(far.begin(), far.end(), played.begin());
  const std::vector<double> heard = Through(played, RoomImpulse(7, 2, 300, -6));
  Noise noise(99);
  std::vector<double> mic(total);
  for (size_t j = 0; j < total; ++j) mic[j] = heard[j + kDelay] + near[j] + noise.Gaussian();
  const std::vector<int16_t> microphone = ToPcm(mic), playback = ToPcm(played);

  Outcome outcome;
  EchoControl control(mode);
  control.SetDelay(kDelay);
  const double start = ThreadCpuSeconds();
  size_t played_at = 0;
  for (size_t at = 0; at + 240 <= total; at += 240) {
    const size_t played_to = std::min(playback.size(), at + 240 + kDelay + 720);
    control.AddPlayback(playback.data() + played_at, played_to - played_at);
    played_at = played_to;
    control.Process(microphone.data() + at, 240, &outcome.sent);
  }
  outcome.cpu_s = ThreadCpuSeconds() - start;
  outcome.cancelled_db = control.cancelled_db();
  outcome.sent.resize(total, 0);
  return outcome;
}

int Main(int argc, char** argv) {
  const bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  const double seconds = smoke ? 3 : 10;
  const double user_from = smoke ? 1.5 : 4;
  const std::vector<double> far = Talker(seconds, 1, 120, -20);
  std::vector<double> silent(far.size(), 0), talking(far.size(), 0);
  const std::vector<double> user = Talker(seconds - user_from, 2, 210, -26);
  std::copy(user.begin(), user.end(), talking.begin() + static_cast<std::ptrdiff_t>(user_from * kRate));

  std::printf("| (f) echo, %.0f s answer | VAD windows on the echo alone | user first heard (talks from %.1f s) | canceller's ERLE | CPU, share of a core |\n",
              seconds, user_from);
  std::printf("|---|---|---|---|---|\n");
  int failures = 0;
  for (EchoMode mode : {EchoMode::kOff, EchoMode::kAec, EchoMode::kGate, EchoMode::kHalfDuplex}) {
    const Outcome alone = Run(mode, far, silent);
    const Outcome over = Run(mode, far, talking);
    const std::vector<size_t> echo_fired = VoicedWindows(alone.sent);
    const std::vector<size_t> user_heard = VoicedWindows(over.sent);
    std::string heard = user_heard.empty() ? "never" : std::to_string(static_cast<double>(user_heard.front()) / kRate).substr(0, 4) + " s";
    std::string erle = mode == EchoMode::kAec ? std::to_string(alone.cancelled_db).substr(0, 4) + " dB" : "";
    std::printf("| %s | %zu | %s | %s | %.2f%% |\n", EchoModeName(mode), echo_fired.size(), heard.c_str(),
                erle.c_str(), 100 * (alone.cpu_s + over.cpu_s) / (2 * seconds));
    // The smoke pass fails on what would make the numbers meaningless, never on a time.
    if (mode == EchoMode::kOff && echo_fired.empty()) ++failures;           // the room has no echo
    if (mode == EchoMode::kAec && !echo_fired.empty()) ++failures;          // aec interrupts itself
  }
  return failures ? 1 : 0;
}

}  // namespace
}  // namespace voxterm

int main(int argc, char** argv) { return voxterm::Main(argc, argv); }
