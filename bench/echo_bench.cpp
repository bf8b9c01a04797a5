// The echo workload of scripts/bench: each --echo mode in the simulated room of the unit tests
// (tests/fakes/echo_room.h: a 10 s answer at -20 dBFS through a room with a 300 ms reverberation
// time, faint noise), in three conditions: a steady room at -6 dB of coupling, and a room whose
// devices' clocks drift apart (100 ppm, swinging by 200 more) and whose output underruns twice
// for 30 ms, at -6 dB and at 0 dB. The user is silent, then talks over the answer at the echo's
// loudness from 1 s (while the canceller is still learning the room) or from 4 s.
// Prints a Markdown table: how many 10 ms windows of the echo alone the mock's VAD would take
// for speech, how long after starting to talk the user is first heard, the echo return loss
// enhancement (echo control's, over loud playback once learnt), and the CPU time echo control
// takes, as a share of one core in real time.
//
// usage: voxterm_echo_bench [--smoke]   (--smoke: the steady room and the hard one at 0 dB, once)
#include <cstdio>
#include <cstring>
#include <string>

#include "audio/echo_control.h"
#include "fakes/echo_call.h"

namespace voxterm {
namespace {

using namespace echo_room;

struct Condition {
  const char* name;
  double coupling_db;
  bool hard;
};

Call MakeCall(const Condition& condition, const std::vector<double>& far) {
  Call call;
  call.far = far;
  if (condition.hard) {
    MakeHard(&call, condition.coupling_db);
  } else {
    call.room = RoomImpulse(7, 2, 300, condition.coupling_db);
  }
  return call;
}

// When the user was first heard, after they started at from_s: "0.21 s", or "never".
std::string HeardAfter(const Call& call, double from_s) {
  const std::vector<size_t> voiced = VoicedWindows(call.sent);
  if (voiced.empty()) return "never";
  if (static_cast<double>(voiced.front()) / kRate < from_s) return "the echo first";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", static_cast<double>(voiced.front()) / kRate - from_s);
  return text;
}

int Main(int argc, char** argv) {
  const bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  const double seconds = 10;
  const std::vector<double> far = Talker(seconds, 1, 120, -20);
  const Condition all[] = {{"steady, -6 dB", -6, false},
                           {"drift + underruns, -6 dB", -6, true},
                           {"drift + underruns, 0 dB", 0, true}};
  std::printf(
      "| (f) echo, %.0f s answer | room | VAD windows on the echo alone | user heard after (talks "
      "from 1 s) "
      "| (from 4 s) | ERLE | CPU, share of a core |\n",
      seconds);
  std::printf("|---|---|---|---|---|---|---|\n");
  int failures = 0;
  for (const Condition& condition : all) {
    if (smoke && condition.coupling_db < 0 && condition.hard) continue;
    for (EchoMode mode : {EchoMode::kOff, EchoMode::kAec, EchoMode::kAecSpeex, EchoMode::kGate,
                          EchoMode::kHalfDuplex}) {
      Call alone = MakeCall(condition, far);
      alone.Run(mode);
      Call early = MakeCall(condition, far), late = MakeCall(condition, far);
      // The user as loud at the microphone as the answer's echo.
      early.UserTalks(1, 3, -20 + condition.coupling_db);
      late.UserTalks(4, 3, -20 + condition.coupling_db);
      early.Run(mode);
      late.Run(mode);
      const std::vector<size_t> echo_fired = VoicedWindows(alone.sent);
      char erle[32] = "";
      if (IsAec(mode)) std::snprintf(erle, sizeof erle, "%.1f dB", alone.cancelled_db);
      std::printf("| %s | %s | %zu | %s | %s | %s | %.2f%% |\n", EchoModeName(mode), condition.name,
                  echo_fired.size(), HeardAfter(early, 1).c_str(), HeardAfter(late, 4).c_str(),
                  erle, 100 * (alone.cpu_s + early.cpu_s + late.cpu_s) / (3 * seconds));
      // The smoke pass fails on what would make the numbers meaningless, never on a time.
      if (mode == EchoMode::kOff && echo_fired.empty()) ++failures;   // the room has no echo
      if (mode == EchoMode::kAec && !echo_fired.empty()) ++failures;  // aec interrupts itself
    }
  }
  return failures ? 1 : 0;
}

}  // namespace
}  // namespace voxterm

int main(int argc, char** argv) { return voxterm::Main(argc, argv); }
