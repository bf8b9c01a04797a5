// LiveAnswers: GPT-Live's continuous streams grouped into answers and user turns, as the engine
// knows them: where an answer begins and ends, the user's turn, and the model's own barge-in.
#include "conversation/live_answers.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "util/base64.h"
#include "util/utf8.h"

using namespace voxterm;
using Type = ServerEventType;

namespace {

// ms of output audio, loud (speech) or silent, as the server sends it.
std::string Pcm(int ms, bool loud) {
  std::vector<int16_t> samples(static_cast<size_t>(ms) * 24, loud ? 3000 : 3);
  return Base64Encode(reinterpret_cast<const uint8_t*>(samples.data()), samples.size() * 2);
}

struct Fixture {
  LiveAnswers live;
  std::vector<ServerEvent> out;
  std::vector<std::string> keep;  // the events' texts

  std::vector<Type> Feed(Type type, std::string delta, int64_t end_ms = -1) {
    keep.push_back(std::move(delta));
    ServerEvent event;
    event.type = type;
    event.delta = keep.back();
    event.audio_end_ms = end_ms;
    out.clear();
    live.Translate(event, &out);
    std::vector<Type> types;
    for (const ServerEvent& e : out) types.push_back(e.type);
    return types;
  }
  std::vector<Type> Audio(int ms, bool loud) { return Feed(Type::kLiveOutputAudio, Pcm(ms, loud)); }
  // A timed delta (MS-REF), starting at start_ms.
  std::vector<Type> TimedAudio(int64_t start_ms, int ms, bool loud) {
    keep.push_back(Pcm(ms, loud));
    ServerEvent event;
    event.type = Type::kLiveOutputAudio;
    event.delta = keep.back();
    event.audio_start_ms = start_ms;
    event.audio_end_ms = start_ms + ms;
    out.clear();
    live.Translate(event, &out);
    std::vector<Type> types;
    for (const ServerEvent& e : out) types.push_back(e.type);
    return types;
  }
};

}  // namespace

TEST_CASE("silence before an answer is not played; sound opens the answer", "[live_answers]") {
  Fixture f;
  CHECK(f.Audio(100, /*loud=*/false).empty());
  CHECK_FALSE(f.live.answer_open());
  CHECK(f.Audio(100, /*loud=*/true) ==
        std::vector<Type>{Type::kResponseCreated, Type::kOutputItemAdded, Type::kAudioDelta});
  CHECK(f.out[0].response.id == "live_answer_1");
  CHECK(f.out[1].item.role == "assistant");
  CHECK(f.out[2].response_id == "live_answer_1");
  CHECK(f.out[2].item_id == "live_item_1");
  CHECK(f.live.timeline_ms() == 200);
}

TEST_CASE("words open an answer too, and go to it as its transcript", "[live_answers]") {
  Fixture f;
  CHECK(f.Feed(Type::kLiveOutputTranscript, "It's") ==
        std::vector<Type>{Type::kResponseCreated, Type::kOutputItemAdded,
                          Type::kAudioTranscriptDelta});
  CHECK(f.out[2].delta == "It's");
  CHECK(f.Feed(Type::kLiveOutputTranscript, " four.") ==
        std::vector<Type>{Type::kAudioTranscriptDelta});
  CHECK(f.out[0].item_id == "live_item_1");
}

TEST_CASE("an answer ends after two seconds of silent output", "[live_answers]") {
  Fixture f;
  f.Audio(100, true);
  for (int i = 0; i < 19; ++i) {
    CHECK(f.Audio(100, false) == std::vector<Type>{Type::kAudioDelta});  // pauses are played
  }
  CHECK(f.Audio(100, false) ==
        std::vector<Type>{Type::kAudioDelta, Type::kOutputItemDone, Type::kResponseDone});
  CHECK(f.out[2].response.id == "live_answer_1");
  CHECK(f.out[2].response.status == "completed");
  CHECK_FALSE(f.live.answer_open());
  // The next sound is the next answer.
  CHECK(f.Audio(100, true).front() == Type::kResponseCreated);
  CHECK(f.out[0].response.id == "live_answer_2");
}

TEST_CASE("a word in the pause keeps the answer open", "[live_answers]") {
  Fixture f;
  f.Audio(100, true);
  for (int i = 0; i < 15; ++i) f.Audio(100, false);
  f.Feed(Type::kLiveOutputTranscript, "and");
  for (int i = 0; i < 15; ++i) CHECK(f.Audio(100, false) == std::vector<Type>{Type::kAudioDelta});
  CHECK(f.live.answer_open());
}

TEST_CASE("the user's words are one turn, ended by the model's answer", "[live_answers]") {
  Fixture f;
  CHECK(f.Feed(Type::kLiveInputTranscript, "What's") ==
        std::vector<Type>{Type::kItemAdded, Type::kSpeechStarted, Type::kInputTranscriptDelta});
  CHECK(f.out[0].item.role == "user");
  CHECK(f.out[0].item.id == "live_user_1");
  CHECK(f.Feed(Type::kLiveInputTranscript, " two plus two?") ==
        std::vector<Type>{Type::kInputTranscriptDelta});
  CHECK(f.Audio(100, true) ==
        std::vector<Type>{Type::kSpeechStopped, Type::kInputTranscriptCompleted,
                          Type::kResponseCreated, Type::kOutputItemAdded, Type::kAudioDelta});
  CHECK(f.out[1].item_id == "live_user_1");
  CHECK(f.out[1].text == "What's two plus two?");
}

TEST_CASE("the user's turn ends after 800 ms of timeline without words", "[live_answers]") {
  Fixture f;
  f.Feed(Type::kLiveInputTranscript, "Hmm", /*end_ms=*/1000);
  CHECK(f.Audio(500, false).empty());  // the timeline is at 500: the words end at 1000
  CHECK(f.Audio(1000, false) ==
        std::vector<Type>{Type::kSpeechStopped, Type::kInputTranscriptCompleted});
  CHECK_FALSE(f.live.user_open());
}

TEST_CASE("the model stops for the user: a flush, and the answer ends cancelled",
          "[live_answers]") {
  Fixture f;
  f.Audio(100, true);
  // The user talks over the answer: the model decides, nothing is flushed yet.
  CHECK(f.Feed(Type::kLiveInputTranscript, "wait") ==
        std::vector<Type>{Type::kItemAdded, Type::kInputTranscriptDelta});
  CHECK(f.Audio(100, true) == std::vector<Type>{Type::kAudioDelta});
  CHECK(f.Audio(100, false) == std::vector<Type>{Type::kAudioDelta});
  CHECK(f.Audio(100, false) ==
        std::vector<Type>{Type::kSpeechStarted, Type::kOutputItemDone, Type::kResponseDone});
  CHECK(f.out[2].response.status == "cancelled");
  CHECK(f.live.user_open());  // the user's turn goes on
}

TEST_CASE("a user's turn over before the model stops still ends the speech", "[live_answers]") {
  Fixture f;
  f.Audio(100, true);
  f.Feed(Type::kLiveInputTranscript, "mhm");
  for (int i = 0; i < 8; ++i) f.Audio(100, true);  // the model speaks on; 800 ms pass
  CHECK_FALSE(f.live.user_open());
  CHECK(f.Audio(200, false) == std::vector<Type>{Type::kSpeechStarted, Type::kSpeechStopped,
                                                 Type::kOutputItemDone, Type::kResponseDone});
}

TEST_CASE("session.closed makes what was said whole", "[live_answers]") {
  Fixture f;
  f.Feed(Type::kLiveInputTranscript, "Tell me a story");
  f.Feed(Type::kLiveOutputTranscript, "Once upon");
  CHECK(f.Feed(Type::kSessionClosed, "") ==
        std::vector<Type>{Type::kOutputItemDone, Type::kResponseDone});
  CHECK_FALSE(f.live.answer_open());
  CHECK(f.live.timeline_ms() == 0);
  // Ids go on over sessions: History must not merge two sessions' items.
  f.Feed(Type::kLiveOutputTranscript, "Hello");
  CHECK(f.out[0].response.id == "live_answer_2");
}

TEST_CASE("a lost connection drops the open answer: it is not closed again", "[live_answers]") {
  Fixture f;
  f.Audio(100, true);
  f.live.OnDisconnected();  // the engine dropped live_answer_1 with the connection
  CHECK_FALSE(f.live.answer_open());
  CHECK(f.live.timeline_ms() == 0);
  for (int i = 0; i < 30; ++i) {
    for (Type type : f.Audio(100, false)) CHECK(type != Type::kResponseDone);
  }
  CHECK(f.Audio(100, true).front() == Type::kResponseCreated);
  CHECK(f.out[0].response.id == "live_answer_2");
}

TEST_CASE("hostile output: audio that is not base64, empty deltas", "[live_answers]") {
  Fixture f;
  CHECK(f.Feed(Type::kLiveOutputAudio, "not base64!").empty());
  CHECK(f.Feed(Type::kLiveOutputTranscript, "").empty());
  CHECK(f.Feed(Type::kLiveInputTranscript, "").empty());
  f.Feed(Type::kLiveInputTranscript, std::string(100000, 'x'));
  f.Feed(Type::kLiveOutputTranscript, "ok");
  CHECK(f.out[1].text.size() == 16 * 1024);  // the turn's words are bounded
}

TEST_CASE("a gap between timed deltas is silence: two seconds of it end the answer",
          "[live_answers]") {
  Fixture f;
  f.TimedAudio(0, 100, true);
  CHECK(f.TimedAudio(1000, 100, true) == std::vector<Type>{Type::kAudioDelta});  // a pause
  CHECK(f.live.timeline_ms() == 1100);
  CHECK(f.TimedAudio(3500, 100, true) ==
        std::vector<Type>{Type::kOutputItemDone, Type::kResponseDone, Type::kResponseCreated,
                          Type::kOutputItemAdded, Type::kAudioDelta});
  CHECK(f.out[3].item_id == "live_item_2");
  // A start behind the timeline (a confused server) moves nothing back.
  CHECK(f.TimedAudio(100, 100, true) == std::vector<Type>{Type::kAudioDelta});
  CHECK(f.live.timeline_ms() == 3700);
}

TEST_CASE("a turn the model lets pass ends as an empty answer", "[live_answers]") {
  Fixture f;
  f.Feed(Type::kLiveInputTranscript, "mhm");
  f.Audio(800, false);              // the turn ends
  CHECK_FALSE(f.live.user_open());  // at 800 ms
  CHECK(f.Audio(5900, false).empty());
  CHECK(f.Audio(100, false) == std::vector<Type>{Type::kResponseCreated, Type::kResponseDone});
  CHECK(f.out[1].response.status == "completed");
  CHECK(f.Audio(10000, false).empty());  // once
  // An answer in time is the answer.
  f.Feed(Type::kLiveInputTranscript, "hello");
  f.Audio(800, false);
  f.Audio(1000, true);
  CHECK(f.Audio(6000, false) ==  // its end, and no empty answer after it
        std::vector<Type>{Type::kAudioDelta, Type::kOutputItemDone, Type::kResponseDone});
}

TEST_CASE("an answer's audio since its last words is counted; words start it over",
          "[live_answers]") {
  Fixture f;
  CHECK(f.live.wordless_ms() == 0);
  f.Audio(1000, /*loud=*/true);
  CHECK(f.live.wordless_ms() == 1000);
  for (int i = 0; i < 10; ++i) f.Audio(1000, true);  // noise for ever: no words, no end
  CHECK(f.live.wordless_ms() == 11000);
  f.Feed(Type::kLiveOutputTranscript, "Well,");
  CHECK(f.live.wordless_ms() == 0);
  f.Audio(500, true);
  CHECK(f.live.wordless_ms() == 500);
  for (int i = 0; i < 20; ++i) f.Audio(100, false);  // the answer ends
  CHECK_FALSE(f.live.answer_open());
  CHECK(f.live.wordless_ms() == 0);
}

TEST_CASE("the user's words are bounded between characters, and split ones joined",
          "[live_answers]") {
  Fixture f;
  f.Feed(Type::kLiveInputTranscript, "caf\xC3");
  f.Feed(Type::kLiveInputTranscript, "\xA9 " + std::string(16 * 1024 - 7, 'x') + "\xE2\x82\xAC");
  f.Feed(Type::kLiveOutputTranscript, "ok");
  const std::string said(f.out[1].text);
  CHECK(said.compare(0, 6, "caf\xC3\xA9 ") == 0);  // a character split between deltas is whole
  CHECK(IsValidUtf8(said));                        // the euro sign at the cap went whole
  CHECK(said.size() == 16 * 1024 - 1);
}
