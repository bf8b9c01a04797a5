#include "conversation/word_pacer.h"

#include <catch2/catch.hpp>

#include "fakes/fake_view.h"

using namespace voxterm;

namespace {

constexpr size_t kSecond = 24000;  // samples of 24 kHz audio

PlayoutTracker::Heard At(const char* item, int64_t ms) { return {item, ms}; }

}  // namespace

TEST_CASE("words show as their audio is heard, a word at a time", "[word_pacer]") {
  FakeView view;
  WordPacer pacer(&view);
  pacer.Words("a1", "one two three four");  // 18 bytes
  CHECK(view.answer.empty());               // no audio yet: nothing heard
  pacer.AudioArrived("a1", 2 * kSecond);
  pacer.Heard(At("a1", 500));  // a quarter: 4 bytes, "one" whole
  CHECK(view.answer == "one");
  pacer.Heard(At("a1", 1100));  // 9 bytes: "one two t": up to the last space
  CHECK(view.answer == "one two");
  pacer.Heard(At("a1", 2000));
  CHECK(view.answer == "one two three four");
  CHECK_FALSE(pacer.holding());
}

TEST_CASE("a barge-in keeps what was heard and drops the rest", "[word_pacer]") {
  FakeView view;
  WordPacer pacer(&view);
  pacer.Words("a1", "I can't look that up, ");
  pacer.Words("a1", "but Oslo is cold.");
  pacer.AudioArrived("a1", 4 * kSecond);
  pacer.Heard(At("a1", 1600));  // 40% of 39 bytes: 15
  pacer.Cut();
  pacer.EndLine(/*interrupted=*/true);  // the barge-in's
  CHECK(view.lines == std::vector<std::string>{"assistant: I can't look [interrupted]"});
  CHECK_FALSE(pacer.holding());
}

TEST_CASE("a barge-in after the whole answer arrived still marks the line cut", "[word_pacer]") {
  FakeView view;
  WordPacer pacer(&view);
  pacer.Words("a1", "This is a six second answer.");
  pacer.AudioArrived("a1", 6 * kSecond);
  pacer.EndLine(/*interrupted=*/false);  // response.done came long before the audio played
  pacer.Heard(At("a1", 1500));           // a quarter of 28 bytes: 7, up to a space
  pacer.Cut();                           // a typed line: the barge-in ends the line itself
  CHECK(view.lines == std::vector<std::string>{"assistant: This [interrupted]"});
  CHECK_FALSE(pacer.holding());
}

TEST_CASE("a message whose audio is over shows whole; the next waits for its own", "[word_pacer]") {
  FakeView view;
  WordPacer pacer(&view);
  pacer.Words("pre", "Let me check.");
  pacer.EndLine(/*interrupted=*/false);
  pacer.Words("ans", "It is cold.");
  pacer.AudioArrived("pre", kSecond / 2);
  pacer.AudioArrived("ans", kSecond);
  pacer.Heard(At("pre", 100));
  CHECK(view.lines.empty());
  pacer.Heard(At("ans", 0));  // the preamble has played
  CHECK(view.lines == std::vector<std::string>{"assistant: Let me check."});
  CHECK(view.answer.empty());
  pacer.Heard(At("ans", 700));
  CHECK(view.answer == "It is");
}

TEST_CASE("with nothing more to play, what is held goes out", "[word_pacer]") {
  FakeView view;
  WordPacer pacer(&view);
  pacer.Words("t1", "No audio for this one.");  // a message with words only
  pacer.EndLine(/*interrupted=*/false);
  CHECK(pacer.holding());
  pacer.Flush();
  CHECK(view.lines == std::vector<std::string>{"assistant: No audio for this one."});
  CHECK_FALSE(pacer.holding());
}
