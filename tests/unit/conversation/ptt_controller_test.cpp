#include "conversation/ptt_controller.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "fakes/fake_clock.h"

using namespace voxterm;

namespace {

struct RecordedActions : PttController::Actions {
  void Interrupt() override { calls.push_back("interrupt"); }
  void ClearInput() override { calls.push_back("clear"); }
  void DropInput() override { calls.push_back("drop"); }
  void SendAudio(const int16_t*, size_t count) override {
    calls.push_back("audio " + std::to_string(count));
    sent += count;
  }
  void CommitAndRespond() override { calls.push_back("commit"); }
  void Notice(std::string_view text) override { calls.push_back("notice " + std::string(text)); }
  std::vector<std::string> calls;
  size_t sent = 0;
};

Key Space(bool release = false) {
  Key k;
  k.type = Key::Type::kSpace;
  k.release = release;
  return k;
}

struct PttTest {
  FakeClock clock;
  RecordedActions actions;
  PttController ptt{&clock, &actions, Space()};
  std::vector<int16_t> frame = std::vector<int16_t>(480, 1);  // 20 ms

  // ms of microphone in 20 ms frames, the clock moving along.
  void Talk(int ms) {
    for (int t = 0; t < ms; t += 20) {
      ptt.OnFrame(frame.data(), frame.size());
      clock.Advance(20);
      ptt.OnTick();
    }
  }
};

}  // namespace

TEST_CASE_METHOD(PttTest, "press, talk, press: pre-roll, the take, a tail, then commit", "[ptt]") {
  Talk(1000);  // before the press: only the last 300 ms are kept
  ptt.OnKey(Space());
  CHECK(ptt.state() == PttController::State::kRecording);
  CHECK(actions.calls == std::vector<std::string>{"interrupt", "clear", "audio 7200"});
  Talk(1000);
  ptt.OnKey(Space());
  CHECK(ptt.state() == PttController::State::kTail);
  Talk(100);
  CHECK(ptt.state() == PttController::State::kTail);  // the tail is 200 ms
  Talk(100);
  CHECK(ptt.state() == PttController::State::kWaiting);
  CHECK(actions.calls.back() == "commit");
  CHECK(actions.sent == 7200 + 24 * 1200);
  ptt.OnAnswerDone();
  CHECK(ptt.state() == PttController::State::kIdle);
}

TEST_CASE_METHOD(PttTest, "a double press drops the take", "[ptt]") {
  ptt.OnKey(Space());
  clock.Advance(60);
  ptt.OnKey(Space());
  CHECK(ptt.state() == PttController::State::kIdle);
  CHECK(actions.calls.back() == "notice double press: take dropped");
  CHECK(std::find(actions.calls.begin(), actions.calls.end(), "commit") == actions.calls.end());
}

TEST_CASE_METHOD(PttTest, "Escape drops the take; it is not push-to-talk's otherwise", "[ptt]") {
  Key escape;
  escape.type = Key::Type::kEscape;
  CHECK_FALSE(ptt.OnKey(escape));
  ptt.OnKey(Space());
  Talk(500);
  CHECK(ptt.OnKey(escape));
  CHECK(ptt.state() == PttController::State::kIdle);
  CHECK(actions.calls[actions.calls.size() - 2] == "drop");
  CHECK(actions.calls.back() == "notice take dropped");
}

TEST_CASE_METHOD(PttTest, "less than 100 ms of audio is never committed", "[ptt]") {
  ptt.OnKey(Space());  // no pre-roll yet: the session just started
  clock.Advance(150);  // no frames arrived (a stalled microphone)
  ptt.OnKey(Space());
  clock.Advance(250);
  ptt.OnTick();
  CHECK(ptt.state() == PttController::State::kIdle);
  CHECK(actions.calls.back() == "notice too short: take dropped");
}

TEST_CASE_METHOD(PttTest, "holding and letting go ends the take; a tap does not", "[ptt]") {
  ptt.OnKey(Space());
  clock.Advance(50);
  ptt.OnKey(Space(/*release=*/true));  // a tap: keep recording
  CHECK(ptt.state() == PttController::State::kRecording);
  Talk(600);
  ptt.OnKey(Space());  // the press that ends it
  CHECK(ptt.state() == PttController::State::kTail);

  PttTest held;
  held.ptt.OnKey(Space());
  held.Talk(800);
  held.ptt.OnKey(Space(/*release=*/true));
  CHECK(held.ptt.state() == PttController::State::kTail);
}

TEST_CASE_METHOD(PttTest, "a press while waiting interrupts and starts a new take", "[ptt]") {
  ptt.OnKey(Space());
  Talk(500);
  ptt.OnKey(Space());
  Talk(200);
  REQUIRE(ptt.state() == PttController::State::kWaiting);
  actions.calls.clear();
  ptt.OnKey(Space());
  CHECK(ptt.state() == PttController::State::kRecording);
  CHECK(actions.calls.front() == "interrupt");
}

TEST_CASE_METHOD(PttTest, "other keys are not push-to-talk's", "[ptt]") {
  Key x;
  x.type = Key::Type::kChar;
  x.ch = U'x';
  CHECK_FALSE(ptt.OnKey(x));
  CHECK(actions.calls.empty());
}
