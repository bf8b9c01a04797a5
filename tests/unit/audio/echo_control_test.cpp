#include "audio/echo_control.h"

#include <catch2/catch.hpp>

#include "fakes/echo_call.h"

namespace voxterm {
namespace {

using namespace echo_room;

// The VAD's first window on what was sent: it must exist, and lie in [from_s, to_s).
void CheckFirstHeardBetween(const Call& call, double from_s, double to_s) {
  const std::vector<size_t> voiced = VoicedWindows(call.sent);
  REQUIRE(!voiced.empty());
  CHECK(voiced.front() >= static_cast<size_t>(from_s * kRate));
  CHECK(voiced.front() < static_cast<size_t>(to_s * kRate));
}

TEST_CASE("EchoControl: without it the assistant's echo sets off the VAD", "[echo]") {
  // Given the room every other test uses, and nothing done about it
  Call call;
  call.far = Talker(10, 1, 120, -20);
  call.Run(EchoMode::kOff);
  // Then the echo alone would interrupt the answer: the tests below are not vacuous
  CHECK(Dbfs(Rms(FromPcm(call.echo), 0, call.echo.size())) > -32);
  CHECK(VoicedWindows(call.sent).size() > 100);
  CHECK(call.sent == call.microphone);
}

TEST_CASE("EchoControl aec: a 10 s answer does not interrupt itself", "[echo]") {
  // Given a user who stays silent while the assistant speaks for 10 s, either canceller
  const EchoMode mode = GENERATE(EchoMode::kAec, EchoMode::kAecSpeex);
  CAPTURE(EchoModeName(mode));
  Call call;
  call.far = Talker(10, 1, 120, -20);
  SECTION("timing as reported") {}
  SECTION("the devices report 20 ms too much latency") { call.reported_delay_error = -480; }
  SECTION("the devices report 60 ms too little") { call.reported_delay_error = 1440; }
  call.Run(mode);
  // Then not one 10 ms window of what is sent would set off the VAD, from the first word on
  CHECK(VoicedWindows(call.sent).empty());
  // And not by muting alone: once it has learnt the room, the canceller by itself takes the
  // echo more than 20 dB down
  INFO("canceller's ERLE: " << call.cancelled_db << " dB");
  CHECK(call.cancelled_db > 20);
}

TEST_CASE(
    "EchoControl aec: in a drifting room whose output underruns, a 10 s answer does not interrupt "
    "itself",
    "[echo]") {
  // Given a user who stays silent while the assistant speaks for 10 s in the hard room
  Call call;
  call.far = Talker(10, 1, 120, -20);
  double coupling_db = -6;
  SECTION("the echo 6 dB down") {}
  SECTION("the echo as loud as the answer") { coupling_db = 0; }
  MakeHard(&call, coupling_db);
  call.Run(EchoMode::kAec);
  // Then not one 10 ms window of what is sent would set off the VAD
  const std::vector<size_t> voiced = VoicedWindows(call.sent);
  INFO("first voiced at " << (voiced.empty() ? 0.0 : static_cast<double>(voiced.front()) / kRate)
                          << " s, " << voiced.size() << " windows; ERLE " << call.cancelled_db
                          << " dB");
  CHECK(voiced.empty());
}

TEST_CASE(
    "EchoControl aec: in a drifting room, a user talking over the first answer is heard within 0.8 "
    "s",
    "[echo]") {
  // Given the hard room and a user who talks a second into the first answer, as loud at the
  // microphone as the echo, while the canceller is still learning the room
  Call call;
  call.far = Talker(10, 1, 120, -20);
  double coupling_db = -6;
  SECTION("the echo 6 dB down") {}
  SECTION("the echo as loud as the answer") { coupling_db = 0; }
  MakeHard(&call, coupling_db);
  call.UserTalks(1, 3, -20 + coupling_db);
  call.Run(EchoMode::kAec);
  // Then the VAD fires within 0.8 s of them starting, and not before
  CheckFirstHeardBetween(call, 1, 1.8);
}

TEST_CASE("EchoControl aec-speex: a user talking over the answer is heard", "[echo]") {
  // Given speexdsp's canceller in a steady room, the assistant speaking for 10 s and the user
  // talking over it from 4 s to 7 s, as loud at the microphone as the assistant's echo (WebRTC's
  // suppressor takes such a user some 10 dB down while both talk: docs/performance.md)
  Call call;
  call.far = Talker(10, 1, 120, -20);
  call.UserTalks(4, 3, -26);
  call.Run(EchoMode::kAecSpeex);
  // Then the VAD fires during the user's words and not before them
  CheckFirstHeardBetween(call, 4, 4.5);
  // And most of the user's voice goes through: within 6 dB of what the microphone heard of it
  const double user_in = Rms(call.near, Seconds(4), Seconds(7));
  const double user_out = Rms(FromPcm(call.sent), Seconds(4), Seconds(7));
  INFO("user's voice kept: " << 20 * std::log10(user_out / user_in) << " dB");
  CHECK(user_out > user_in / 2);
}

TEST_CASE("EchoControl aec: with no echo to learn from, the user is soon heard", "[echo]") {
  // Given headphones (nothing of the answer reaches the microphone) and a user who talks over
  // the first answer from 1 s, more quietly than it plays
  Call call;
  call.far = Talker(10, 1, 120, -20);
  call.room = RoomImpulse(7, 2, 300, -90);
  call.UserTalks(1, 3, -26);
  call.Run(EchoMode::kAec);
  // Then the gate stops guarding within the first second, and the user is heard
  CheckFirstHeardBetween(call, 1, 1.5);
}

TEST_CASE("EchoControl aec: while nothing plays the canceller does no work and forgets nothing",
          "[echo]") {
  // Given two 4 s answers with silence before, between and after them (an open conversation in
  // which nobody talks most of the time), either canceller
  const EchoMode mode = GENERATE(EchoMode::kAec, EchoMode::kAecSpeex);
  CAPTURE(EchoModeName(mode));
  Call call;
  call.far.assign(Seconds(2), 0);
  for (uint64_t seed : {1, 2}) {
    const std::vector<double> answer = Talker(4, seed, 120, -20);
    call.far.insert(call.far.end(), answer.begin(), answer.end());
    call.far.resize(call.far.size() + Seconds(4), 0);
  }
  call.Run(mode);
  // Then the microphone passes untouched while nothing the speaker played can be in it: before
  // the first answer (but for the canceller's lead, 120 ms ahead of the devices' timing), and
  // once its tail has died away
  auto untouched = [&](double from_s, double to_s) {
    return std::equal(call.sent.begin() + static_cast<std::ptrdiff_t>(Seconds(from_s)),
                      call.sent.begin() + static_cast<std::ptrdiff_t>(Seconds(to_s)),
                      call.microphone.begin() + static_cast<std::ptrdiff_t>(Seconds(from_s)));
  };
  CHECK(untouched(0, 1.85));
  CHECK(untouched(6.5, 9.85));
  CHECK(untouched(14.5, 16));
  // And the canceller ran for the answers and their tails only (8 s of 16)
  INFO("canceller ran " << call.canceller_blocks << " of " << call.blocks << " blocks");
  CHECK(call.canceller_blocks >= 800);
  CHECK(call.canceller_blocks <= 900);
  // And the second answer is cancelled from its first word: what was learnt was kept
  CHECK(VoicedWindows(call.sent).empty());
  CHECK(call.cancelled_db > 20);
}

TEST_CASE("EchoControl aec: lost samples on either side keep the timelines in step", "[echo]") {
  // Given an answer during which the microphone loses 100 ms and the monitor 50 ms, each
  // reported as a gap
  Call call;
  call.far = Talker(8, 3, 120, -20);
  const size_t total = call.far.size();
  std::vector<double> played(call.far);
  played.resize(total + Call::kDelay + 2400, 0);
  const std::vector<double> heard = Through(played, call.room);
  std::vector<int16_t> mic(total), playback = ToPcm(played);
  for (size_t j = 0; j < total; ++j)
    mic[j] = static_cast<int16_t>(std::lround(heard[j + Call::kDelay]));
  EchoControl control(EchoMode::kAec);
  control.SetDelay(Call::kDelay);
  std::vector<int16_t> sent;
  size_t mic_at = 0, played_at = 0;
  bool mic_gap = false, played_gap = false;
  while (mic_at + 240 <= total) {
    size_t played_to = std::min(playback.size(), mic_at + 240 + Call::kDelay + 720);
    if (!played_gap && played_at > Seconds(3)) {
      played_gap = true;
      control.SkipPlayback(Seconds(0.05));
      played_at += Seconds(0.05);
    }
    played_to = std::max(played_to, played_at);
    control.AddPlayback(playback.data() + played_at, played_to - played_at);
    played_at = played_to;
    if (!mic_gap && mic_at > Seconds(5)) {
      mic_gap = true;
      control.SkipCapture(Seconds(0.1));
      sent.resize(sent.size() + Seconds(0.1), 0);
      mic_at += Seconds(0.1);
      continue;
    }
    control.Process(mic.data() + mic_at, 240, &sent);
    mic_at += 240;
  }
  // Then the echo is still cancelled after both gaps: nothing would set off the VAD
  const std::vector<size_t> voiced = VoicedWindows(sent);
  std::string at;
  for (size_t v : voiced) at += std::to_string(v / 240 * 10) + " ms ";
  INFO("voiced at " << at);
  CHECK(voiced.empty());
}

TEST_CASE("EchoControl gate: the echo is shut out, a loud user gets through", "[echo]") {
  Call call;
  call.far = Talker(10, 1, 120, -20);
  SECTION("a silent user") {
    call.Run(EchoMode::kGate);
    // Then nothing would set off the VAD
    CHECK(VoicedWindows(call.sent).empty());
  }
  SECTION("a user louder than the playback, from 4 s") {
    call.UserTalks(4, 3, -8);
    call.Run(EchoMode::kGate);
    // Then the user is heard, and not before they speak
    CheckFirstHeardBetween(call, 4, 4.5);
  }
}

TEST_CASE("EchoControl half-duplex: muted while the assistant is audible, open after", "[echo]") {
  // Given a 5 s answer, then 3 s of quiet, and the user talking throughout
  Call call;
  call.far = Talker(5, 1, 120, -20);
  call.far.resize(Seconds(8), 0);
  call.near = Talker(8, 2, 210, -26);
  call.Run(EchoMode::kHalfDuplex);
  // Then nothing goes out while the answer plays, and the user is heard once it and the
  // hangover are over
  const double answer_end = 5.0;
  CHECK(VoicedWindows(call.sent, 0, Seconds(answer_end)).empty());
  CHECK(!VoicedWindows(call.sent, Seconds(answer_end + 0.4)).empty());
  CHECK(call.sent[Seconds(7)] == call.microphone[Seconds(7)]);
}

TEST_CASE("EchoControl: playback is kept only as long as it can be needed", "[echo]") {
  // Given a speaker that plays for a minute before the microphone starts
  EchoControl control(EchoMode::kAec);
  std::vector<int16_t> second(kRate, 1000);
  for (int i = 0; i < 60; ++i) control.AddPlayback(second.data(), second.size());
  // Then a microphone block still finds its reference, and the canceller runs
  control.SetDelay(Seconds(59.5));
  std::vector<int16_t> mic(240, 0), sent;
  control.Process(mic.data(), mic.size(), &sent);
  CHECK(sent.size() == 240);
  CHECK(control.blocks() == 1);
}

TEST_CASE("ParseEchoMode names each mode and refuses others", "[echo]") {
  for (EchoMode m : {EchoMode::kAec, EchoMode::kAecSpeex, EchoMode::kGate, EchoMode::kHalfDuplex,
                     EchoMode::kOff}) {
    auto parsed = ParseEchoMode(EchoModeName(m));
    REQUIRE(parsed.ok());
    CHECK(*parsed == m);
  }
  auto bad = ParseEchoMode("loud");
  REQUIRE(!bad.ok());
  CHECK(bad.status().message() ==
        "echo: \"loud\" is not one of aec, aec-speex, gate, half-duplex, off");
}

}  // namespace
}  // namespace voxterm
