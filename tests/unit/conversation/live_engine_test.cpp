// The engine over GPT-Live: LiveClient out, ParseLiveEvent in, LiveAnswers between. A spoken
// conversation with no response events at all: answers shown and played, the user's words as
// their line, the model's own barge-in flushing what is queued, a delegation answered, and the
// history a renewal passes on.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "conversation/engine.h"
#include "conversation/tool_calls.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_tool_runner.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_view.h"
#include "protocol/live_client.h"
#include "protocol/live_events.h"
#include "util/base64.h"

using namespace voxterm;

namespace {

// 100 ms of the model's output audio: a tone or silence.
std::string AudioDelta(bool loud) {
  std::vector<int16_t> samples(2400, loud ? 2000 : 0);
  return R"({"type":"session.output_audio.delta","delta":")" +
         Base64Encode(reinterpret_cast<const uint8_t*>(samples.data()), samples.size() * 2) +
         R"("})";
}

struct LiveEngineTest {
  LiveEngineTest() : chat(Settings(), &server, &playback, &view, nullptr, &history) {
    server.BeginStart(Settings());
    server.SendStart();
  }
  static SessionSettings Settings() {
    SessionSettings s;
    s.turns = SessionSettings::Turns::kDetect;
    return s;
  }
  void Server(std::string json) {
    ServerEvent event;
    REQUIRE(ParseLiveEvent(&json, &event).ok());
    chat.OnServerEvent(event);
  }
  void Started() { Server(R"({"type":"session.started","session":{"model":"gpt-live-1"}})"); }
  void Audio(int ms, bool loud) {
    for (int done = 0; done < ms; done += 100) Server(AudioDelta(loud));
  }
  void Said(const char* who, const char* words) {
    Server(std::string(R"({"type":"session.)") + who + R"(_transcript.delta","delta":")" + words +
           R"("})");
  }

  FakeTransport transport;
  LiveClient server{"gpt-live-1", &transport};
  FakeView view;
  SpscRing<int16_t> ring{1 << 18};
  PlaybackCounters counters;
  PlaybackPath playback{24000, &ring, &counters};
  History history;
  ConversationEngine chat;
};

}  // namespace

TEST_CASE_METHOD(LiveEngineTest, "a spoken turn and its answer, with no response events",
                 "[live][voice]") {
  Started();
  CHECK(chat.session_ready());
  std::vector<int16_t> frame(480, 7);
  chat.OnCaptureFrame(frame.data(), frame.size());
  CHECK(transport.SentTypes() ==
        std::vector<std::string>{"session.start", "session.input_audio.append"});
  Said("input", "What's two plus two?");
  CHECK(view.caption == "What's two plus two?");
  Audio(300, /*loud=*/false);  // the model thinks: silence is not an answer
  CHECK(playback.queued_frames() == 0);
  Said("output", "Four.");
  Audio(500, /*loud=*/true);
  CHECK(playback.queued_frames() == 500 * 24);
  Audio(2000, /*loud=*/false);  // two seconds without words: the answer is over
  chat.OnTick();
  REQUIRE(view.lines.size() >= 1);
  CHECK(view.lines[0] == "you: What's two plus two?");
  CHECK(chat.answers() == 1);
  // Nothing GPT-Live does not have went out: no response.create, commit or truncate.
  for (const std::string& type : transport.SentTypes()) {
    CHECK((type == "session.start" || type == "session.input_audio.append"));
  }
  // The history a renewal's session.start carries.
  auto entries = history.Entries();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].text == "What's two plus two?");
  CHECK(entries[1].text == "Four.");
}

TEST_CASE_METHOD(LiveEngineTest, "the model stops for the user: what is queued is flushed",
                 "[live][voice]") {
  Started();
  Said("output", "Once upon a time");
  Audio(1000, /*loud=*/true);
  CHECK(playback.Audible());
  Said("input", "wait");
  Audio(100, /*loud=*/true);  // the model may go on: nothing is flushed yet
  CHECK(playback.Audible());
  Audio(200, /*loud=*/false);       // it stopped
  CHECK_FALSE(playback.Audible());  // flushed
  CHECK(chat.answers() == 0);       // cancelled, not completed
}

TEST_CASE_METHOD(LiveEngineTest, "a delegation is answered at once", "[live][voice]") {
  Started();
  Server(R"({"type":"session.delegation.created","delegation":{"id":"item_dlg_1",
      "type":"delegation","target":"client"}})");
  REQUIRE(transport.sent.size() == 2);
  rapidjson::Document d;
  d.Parse(transport.sent[1].data(), transport.sent[1].size());
  CHECK(std::string(d["type"].GetString()) == "session.commentary.append");
  CHECK(std::string(d["delegation_id"].GetString()) == "item_dlg_1");
  CHECK(std::string(d["content"].GetString()) == LiveDelegations::kRefusal);
}

TEST_CASE_METHOD(LiveEngineTest, "session.closed makes the answer whole for the next session",
                 "[live][voice]") {
  Started();
  Said("input", "Tell me a story");
  Said("output", "Once upon");
  Server(R"({"type":"session.closed","reason":"expired","usage":{"seconds":60}})");
  chat.OnDisconnected();
  // The next connection's start carries the conversation.
  server.BeginStart(Settings());
  history.Replay(&server);
  server.SendStart();
  rapidjson::Document d;
  d.Parse(transport.sent.back().data(), transport.sent.back().size());
  REQUIRE(d["session"].HasMember("input"));
  const auto& input = d["session"]["input"];
  REQUIRE(input.Size() == 2);
  CHECK(std::string(input[0]["content"][0]["text"].GetString()) == "Tell me a story");
  CHECK(std::string(input[1]["content"][0]["text"].GetString()) == "Once upon");
}

TEST_CASE_METHOD(LiveEngineTest, "a typed line asks the model to answer it, and is history",
                 "[live][voice]") {
  Started();
  chat.OnUserLine("what time is it?");
  REQUIRE(transport.SentTypes() ==
          std::vector<std::string>{"session.start", "session.commentary.append"});
  rapidjson::Document d;
  d.Parse(transport.sent[1].data(), transport.sent[1].size());
  CHECK(d["delegation_id"].IsNull());
  CHECK(std::string(d["content"].GetString()) ==
        std::string(kTypedLineRequest) + "what time is it?");
  CHECK(chat.AwaitingServer());
  Said("output", "Noon.");
  Audio(300, /*loud=*/true);
  Audio(LiveAnswers::kAnswerEndSilenceMs, /*loud=*/false);
  CHECK(chat.answers() == 1);
  CHECK_FALSE(chat.AwaitingServer());
  // A renewal's start carries the typed line, as it carries spoken ones.
  server.BeginStart(Settings());
  history.Replay(&server);
  server.SendStart();
  d.Parse(transport.sent.back().data(), transport.sent.back().size());
  REQUIRE(d["session"]["input"].Size() == 2);
  CHECK(std::string(d["session"]["input"][0]["content"][0]["text"].GetString()) ==
        "what time is it?");
}

TEST_CASE_METHOD(LiveEngineTest, "a typed line the model lets pass does not wait for ever",
                 "[live][voice]") {
  Started();
  chat.OnUserLine("hello");
  CHECK(chat.AwaitingServer());
  Audio(LiveAnswers::kNoAnswerMs + 100, /*loud=*/false);
  CHECK_FALSE(chat.AwaitingServer());
  CHECK(chat.Idle());
}

TEST_CASE_METHOD(LiveEngineTest, "a line typed during an answer waits for its end",
                 "[live][voice]") {
  Started();
  Said("output", "Once upon a time");
  Audio(300, /*loud=*/true);
  chat.OnUserLine("shorter, please");
  CHECK(transport.SentTypes() == std::vector<std::string>{"session.start"});
  CHECK(playback.Audible());  // GPT-Live's answer cannot be stopped: nothing is flushed
  Audio(LiveAnswers::kAnswerEndSilenceMs, /*loud=*/false);
  CHECK(transport.SentTypes() ==
        std::vector<std::string>{"session.start", "session.commentary.append"});
}

TEST_CASE_METHOD(LiveEngineTest, "a typed line too long for one append is cut, whole characters",
                 "[live][voice]") {
  Started();
  std::string line;
  while (line.size() < kMaxTypedLineBytes + 10) line += "\u00e9";  // two bytes each
  line = "x" + line;  // the cut falls inside a character
  chat.OnUserLine(line);
  REQUIRE(transport.sent.size() == 2);
  rapidjson::Document d;
  d.Parse(transport.sent[1].data(), transport.sent[1].size());
  REQUIRE(d.IsObject());  // valid JSON, valid UTF-8
  const std::string content = d["content"].GetString();
  CHECK(content.size() <= std::string(kTypedLineRequest).size() + kMaxTypedLineBytes + 3);
}

TEST_CASE_METHOD(
    LiveEngineTest,
    "a connection lost mid-answer leaves nothing waiting for an answer no one can ask for",
    "[live][voice]") {
  // Given an answer streaming when the connection is lost
  Started();
  Said("input", "Tell me a story.");
  Said("output", "Once upon a time");
  Audio(500, /*loud=*/true);
  chat.OnDisconnected();
  // When the next session starts (GPT-Live has no request for an answer, nor for the rest of
  // one: the model speaks when it will)
  server.BeginStart(Settings());
  server.SendStart();
  Started();
  // Then, once what arrived has played, nothing is awaited: an input file's run can end
  std::vector<int16_t> played(ring.capacity());
  (void)ring.Read(played.data(), played.size());
  counters.played_frames = playback.queued_frames();
  playback.SetStreamOpen(false);
  chat.OnTick();
  CHECK_FALSE(chat.AwaitingServer());
  CHECK(chat.Idle());
}

namespace {

// The engine with a tool, so with Responses delegation: the backend's calls run on a fake
// runner, and what the voice says after their outputs is what a file run waits for.
struct LiveToolsTest {
  LiveToolsTest() {
    with_tools.BeginStart(settings);
    with_tools.SendStart();
    Server(R"({"type":"session.started","session":{"model":"gpt-live-1"}})");
  }
  static SessionSettings Settings(const std::vector<ToolConfig>& tools) {
    SessionSettings s;
    s.turns = SessionSettings::Turns::kDetect;
    s.tools = ToolSpecs(tools);
    return s;
  }
  void Server(std::string json) {
    ServerEvent event;
    REQUIRE(ParseLiveEvent(&json, &event).ok());
    engine.OnServerEvent(event);
  }
  void Backend(const std::string& event) {
    Server(R"({"type":"response.event","delegation_id":"dlg_1","event":)" + event + "}");
  }
  void Audio(int ms, bool loud) {
    for (int done = 0; done < ms; done += 100) Server(AudioDelta(loud));
  }
  // What arrived has been heard.
  void Play() {
    std::vector<int16_t> played(ring.capacity());
    (void)ring.Read(played.data(), played.size());
    counters.played_frames = playback.queued_frames();
    engine.OnTick();
  }
  // The user's request, handed to the backend, which calls slow; the model says it will check.
  void Delegated() {
    Server(R"({"type":"session.input_transcript.delta","delta":"is it done?"})");
    Server(R"({"type":"session.delegation.created","offset_ms":10,"delegation":{"id":"dlg_1",)"
           R"("type":"delegation","target":"responses","response_id":"resp_1"}})");
    Backend(R"({"type":"response.created","response":{"id":"resp_1","status":"in_progress"}})");
    Backend(R"({"type":"response.output_item.done","output_index":0,"item":{"id":"fc_1",)"
            R"("type":"function_call","status":"completed","call_id":"call_1","name":"slow",)"
            R"("arguments":"{}"}})");
    Backend(R"({"type":"response.completed","response":{"id":"resp_1","status":"completed",)"
            R"("output":[]}})");
    Server(R"({"type":"session.output_transcript.delta","delta":"Let me check."})");
    Audio(500, /*loud=*/true);
    Audio(LiveAnswers::kAnswerEndSilenceMs, /*loud=*/false);  // that answer is over
    Play();
  }

  std::vector<ToolConfig> tools{CommandTool("slow", {"slow"})};
  SessionSettings settings = Settings(tools);
  FakeTransport transport;
  FakeView view;
  SpscRing<int16_t> ring{1 << 18};
  PlaybackCounters counters;
  PlaybackPath playback{24000, &ring, &counters};
  History history;
  LiveClient with_tools{"gpt-live-1", &transport, "gpt-5.5"};
  FakeToolRunner runner;
  FakeClock clock;
  EventLog log{&clock};
  ToolCalls calls{&tools, &runner, &with_tools, &view, &log, CanAsk::kNo, {}};
  ConversationEngine engine{settings, &with_tools, &playback, &view, &calls, &history};
};

}  // namespace

TEST_CASE_METHOD(LiveToolsTest, "after a tool's output, the answer to it is awaited",
                 "[live][voice][delegation]") {
  // Given a backend call still running when the model's "Let me check." is over
  Delegated();
  REQUIRE(runner.started.size() == 1);
  CHECK_FALSE(engine.Idle());  // the tool runs
  // When it ends: its output and the backend's response.create go out
  runner.Exit(1, 0, "done\n");
  engine.OnToolsReady();
  REQUIRE(transport.SentTypes().back() == "response.create");
  // Then the voice's answer to the result is still to come: not idle, an answer is due
  CHECK_FALSE(engine.Idle());
  CHECK(engine.AwaitingServer());
  Audio(1000, /*loud=*/false);  // the backend thinks
  CHECK_FALSE(engine.Idle());
  Server(R"({"type":"session.output_transcript.delta","delta":"It is done."})");
  Audio(500, /*loud=*/true);
  Audio(LiveAnswers::kAnswerEndSilenceMs, /*loud=*/false);
  Play();
  CHECK(engine.Idle());
  CHECK(view.lines.back() == "assistant: It is done.");
}

TEST_CASE_METHOD(LiveToolsTest,
                 "an answer to a tool's output that never comes is not awaited for "
                 "ever",
                 "[live][voice][delegation]") {
  Delegated();
  runner.Exit(1, 0, "done\n");
  engine.OnToolsReady();
  // The output track goes on, silent: after the limit, nothing is awaited any more.
  Audio(LiveAnswers::kToolAnswerMs + 100, /*loud=*/false);
  Play();
  CHECK_FALSE(engine.AwaitingServer());
  CHECK(engine.Idle());
}
