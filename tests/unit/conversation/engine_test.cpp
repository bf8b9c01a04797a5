#include "conversation/engine.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "fakes/fake_clock.h"
#include "fakes/fake_tool_runner.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_view.h"
#include "protocol/realtime_client.h"
#include "util/base64.h"

using namespace voxterm;

namespace {

// A voice conversation on a 24 kHz output whose callback the test runs by hand.
struct EngineTest {
  explicit EngineTest(SessionSettings::Turns turns = SessionSettings::Turns::kDetect)
      : chat(Settings(turns), &server, &playback, &view, &tool_calls, &history) {}

  static SessionSettings Settings(SessionSettings::Turns turns) {
    SessionSettings s;
    s.turns = turns;
    return s;
  }

  void Server(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    chat.OnServerEvent(*event);
  }
  void Ready() { Server(R"({"type":"session.created","session":{}})"); }
  void ResponseCreated(const std::string& id) {
    Server(R"({"type":"response.created","response":{"id":")" + id +
           R"(","status":"in_progress"}})");
  }
  // ms of audio for item, in 100 ms deltas of a constant sample value.
  void Audio(const std::string& response, const std::string& item, int ms, int16_t value = 1000) {
    for (int done = 0; done < ms; done += 100) {
      std::vector<int16_t> samples(static_cast<size_t>(24 * std::min(100, ms - done)), value);
      std::string b64 =
          Base64Encode(reinterpret_cast<const uint8_t*>(samples.data()), samples.size() * 2);
      Server(R"({"type":"response.output_audio.delta","response_id":")" + response +
             R"(","item_id":")" + item + R"(","delta":")" + b64 + R"("})");
    }
  }
  // The output callback playing frames (at 24 kHz, ms * 24 frames).
  void Play(int ms) {
    std::vector<int16_t> out(static_cast<size_t>(ms * 24));
    engine.Render(&ring, &counters, out.data(), out.size(), 1, 0);
  }
  int64_t TruncatedAt(const std::string& item) const {
    for (const std::string& m : transport.sent) {
      rapidjson::Document d;
      d.Parse(m.data(), m.size());
      if (std::string(d["type"].GetString()) == "conversation.item.truncate" &&
          d["item_id"].GetString() == item) {
        return d["audio_end_ms"].GetInt64();
      }
    }
    return -1;
  }
  size_t Count(const std::string& type) const {
    auto types = transport.SentTypes();
    return static_cast<size_t>(std::count(types.begin(), types.end(), type));
  }

  FakeTransport transport;
  RealtimeClient server{Dialect::kGa, &transport};
  FakeView view;
  std::vector<ToolConfig> tools = {CommandTool("uptime", {"uptime"})};
  FakeToolRunner runner;
  FakeClock clock;
  EventLog log{&clock};
  ToolCalls tool_calls{&tools, &runner, &server, &view, &log, CanAsk::kYes, {}};
  SpscRing<int16_t> ring{1 << 16};
  PlaybackCounters counters;
  PlaybackEngine engine{24000};
  PlaybackPath playback{24000, &ring, &counters};
  History history;
  ConversationEngine chat;
};

}  // namespace

TEST_CASE_METHOD(EngineTest, "the microphone streams only once the session is set up", "[voice]") {
  std::vector<int16_t> frame(480, 7);
  chat.OnCaptureFrame(frame.data(), frame.size());
  CHECK(transport.sent.empty());
  Ready();
  chat.OnCaptureFrame(frame.data(), frame.size());
  CHECK(transport.SentTypes() ==
        std::vector<std::string>{"session.update", "input_audio_buffer.append"});
  CHECK(chat.appended_frames() == 480);
}

TEST_CASE_METHOD(EngineTest, "an answer plays and its transcript streams to the view", "[voice]") {
  Ready();
  Server(R"({"type":"input_audio_buffer.speech_started","audio_start_ms":0,"item_id":"u1"})");
  Server(R"({"type":"input_audio_buffer.speech_stopped","audio_end_ms":900,"item_id":"u1"})");
  Server(
      R"({"type":"conversation.item.input_audio_transcription.completed","item_id":"u1","content_index":0,"transcript":"hi"})");
  ResponseCreated("r1");
  Server(R"({"type":"response.output_audio_transcript.delta","response_id":"r1","delta":"Hello"})");
  Audio("r1", "a1", 300);
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  Server(
      R"({"type":"response.output_audio_transcript.done","response_id":"r1","transcript":"Hello"})");
  CHECK(view.lines == std::vector<std::string>{"you: hi", "assistant: Hello"});
  CHECK(playback.queued_frames() == 7200);
  CHECK_FALSE(chat.Idle());  // still to be heard
  Play(300);
  CHECK(chat.Idle());
  CHECK(Count("conversation.item.truncate") == 0);
}

TEST_CASE_METHOD(EngineTest, "barge-in truncates at what was heard and drops the rest", "[voice]") {
  Ready();
  ResponseCreated("r1");
  Audio("r1", "a1", 1000);
  Play(400);
  Server(R"({"type":"input_audio_buffer.speech_started","audio_start_ms":5000,"item_id":"u2"})");
  chat.OnTick();
  CHECK(Count("conversation.item.truncate") == 0);  // the output has not flushed yet
  Play(10);  // the next callback: a 96-sample fade, then silence
  chat.OnTick();
  CHECK(TruncatedAt("a1") == (400 * 24 + 96) / 24);
  CHECK(Count("response.cancel") == 0);  // server VAD cancels by itself
  // What the server still sends of the cancelled response is not played.
  Audio("r1", "a1", 500);
  Server(R"({"type":"response.done","response":{"id":"r1","status":"cancelled"}})");
  CHECK(ring.ReadAvailable() == 0);
  CHECK_FALSE(playback.Audible());
}

TEST_CASE_METHOD(EngineTest, "nothing audible at a barge-in: nothing to truncate", "[voice]") {
  Ready();
  ResponseCreated("r1");
  Audio("r1", "a1", 500);
  Play(600);  // everything played, and some silence
  Server(R"({"type":"input_audio_buffer.speech_started","audio_start_ms":0,"item_id":"u2"})");
  chat.OnTick();
  Play(10);
  chat.OnTick();
  // Nothing was audible at the barge-in: no flush, so no truncate is needed.
  CHECK(Count("conversation.item.truncate") == 0);
}

TEST_CASE_METHOD(EngineTest, "a second answer after a barge-in is accounted on its own",
                 "[voice]") {
  Ready();
  ResponseCreated("r1");
  Audio("r1", "a1", 1000);
  Play(200);
  Server(R"({"type":"input_audio_buffer.speech_started","audio_start_ms":0,"item_id":"u2"})");
  Play(10);
  chat.OnTick();
  REQUIRE(TruncatedAt("a1") == (200 * 24 + 96) / 24);
  Server(R"({"type":"response.done","response":{"id":"r1","status":"cancelled"}})");
  Server(R"({"type":"input_audio_buffer.speech_stopped","audio_end_ms":900,"item_id":"u2"})");
  ResponseCreated("r2");
  Audio("r2", "a2", 1000, 2000);
  Play(300);
  Server(R"({"type":"input_audio_buffer.speech_started","audio_start_ms":0,"item_id":"u3"})");
  Play(10);
  chat.OnTick();
  CHECK(TruncatedAt("a2") == (300 * 24 + 96) / 24);
}

TEST_CASE_METHOD(EngineTest, "a typed line interrupts, cancels, and waits for response.done",
                 "[voice]") {
  Ready();
  ResponseCreated("r1");
  Audio("r1", "a1", 1000);
  Play(100);
  chat.OnUserLine("stop, tell me about cats");
  CHECK(Count("response.cancel") == 1);  // the server would not cancel for text
  CHECK(Count("conversation.item.create") == 0);
  Play(10);
  chat.OnTick();
  CHECK(TruncatedAt("a1") == (100 * 24 + 96) / 24);
  Server(R"({"type":"response.done","response":{"id":"r1","status":"cancelled"}})");
  CHECK(Count("conversation.item.create") == 1);
  CHECK(transport.SentTypes().back() == "response.create");
}

TEST_CASE_METHOD(EngineTest, "a response.done for another response ends nothing", "[voice]") {
  Ready();
  Server(
      R"({"type":"response.done","response":{"id":"bogus","status":"completed"}})");  // none active
  ResponseCreated("r1");
  Audio("r1", "a1", 1000);
  chat.OnUserLine("next");  // waits for r1 to end
  Server(R"({"type":"response.done","response":{"id":"bogus","status":"completed"}})");
  CHECK(chat.response_active());
  CHECK(Count("conversation.item.create") == 0);
  CHECK(chat.answers() == 0);
  Server(R"({"type":"response.done","response":{"id":"r1","status":"cancelled"}})");
  CHECK(Count("conversation.item.create") == 1);
  CHECK(transport.SentTypes().back() == "response.create");
  CHECK(chat.responses_done() == 1);
}

TEST_CASE_METHOD(EngineTest, "a typed line with nothing going on is sent at once", "[voice]") {
  Ready();
  chat.OnUserLine("hello");
  CHECK(Count("response.cancel") == 0);
  CHECK(transport.SentTypes() ==
        std::vector<std::string>{"session.update", "conversation.item.create", "response.create"});
}

TEST_CASE("without VAD, nothing but voxterm cancels", "[voice]") {
  EngineTest t(SessionSettings::Turns::kOff);
  t.Ready();
  t.ResponseCreated("r1");
  t.Audio("r1", "a1", 500);
  t.chat.OnUserLine("next");
  CHECK(t.Count("response.cancel") == 1);
}

TEST_CASE("without VAD, a response nobody asked for is not shown", "[voice]") {
  EngineTest t(SessionSettings::Turns::kOff);
  t.Ready();
  t.ResponseCreated("r1");  // a server's own, with no VAD to start it
  t.Server(R"({"type":"response.output_audio_transcript.delta","response_id":"r1","delta":"x"})");
  t.Audio("r1", "a1", 300);
  t.Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(t.view.lines.empty());
  CHECK(t.playback.queued_frames() == 0);
  CHECK(t.chat.answers() == 0);
  t.chat.RequestResponse();  // a take's answer
  t.ResponseCreated("r2");
  t.Server(R"({"type":"response.output_audio_transcript.delta","response_id":"r2","delta":"y"})");
  t.Audio("r2", "a2", 300);
  t.Server(R"({"type":"response.done","response":{"id":"r2","status":"completed"}})");
  CHECK(t.view.lines == std::vector<std::string>{"assistant: y"});
  CHECK(t.playback.queued_frames() == 7200);
  CHECK(t.chat.answers() == 1);
}

TEST_CASE_METHOD(EngineTest, "an answer cut short is reported, one the user stopped is not",
                 "[voice]") {
  Ready();
  ResponseCreated("r1");
  Server(
      R"({"type":"response.done","response":{"id":"r1","status":"incomplete","status_details":{"type":"incomplete","reason":"max_output_tokens"}}})");
  CHECK(view.notices == std::vector<std::string>{"the answer is incomplete (max_output_tokens)"});
  ResponseCreated("r0");  // a reason is optional: none, and no empty brackets
  Server(R"({"type":"response.done","response":{"id":"r0","status":"cancelled"}})");
  CHECK(view.notices.back() == "the answer was cancelled");
  ResponseCreated("r2");
  Audio("r2", "a2", 500);
  Server(R"({"type":"input_audio_buffer.speech_started","audio_start_ms":0,"item_id":"u1"})");
  Server(
      R"({"type":"response.done","response":{"id":"r2","status":"cancelled","status_details":{"type":"cancelled","reason":"turn_detected"}}})");
  CHECK(view.notices.size() == 2);  // not the one the user stopped
}

TEST_CASE_METHOD(EngineTest, "bad audio from the server is skipped", "[voice]") {
  Ready();
  ResponseCreated("r1");
  Server(
      R"({"type":"response.output_audio.delta","response_id":"r1","item_id":"a1","delta":"!!not base64!!"})");
  Server(
      R"({"type":"response.output_audio.delta","response_id":"r1","item_id":"a1","delta":"AAA="})");  // 2 bytes
  Server(
      R"({"type":"response.output_audio.delta","response_id":"r1","item_id":"a1","delta":"AAAA"})");  // 3 bytes: odd
  CHECK(playback.queued_frames() == 2);
}

TEST_CASE_METHOD(EngineTest, "a tool's follow-up waits for the response the user's speech started",
                 "[voice][tools]") {
  Ready();
  ResponseCreated("r1");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"type":"function_call","call_id":"c1","name":"uptime","arguments":"{}"}})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  REQUIRE(runner.started.size() == 1);
  CHECK_FALSE(chat.Idle());  // a tool runs
  // The user speaks meanwhile; the server's VAD starts a response of its own.
  Server(R"({"type":"input_audio_buffer.speech_started","audio_start_ms":0,"item_id":"u1"})");
  Server(R"({"type":"input_audio_buffer.speech_stopped","audio_end_ms":900,"item_id":"u1"})");
  ResponseCreated("r2");
  runner.Exit(1, 0, "up 3 days");
  chat.OnToolsReady();
  CHECK(Count("conversation.item.create") == 1);  // the output goes at once
  CHECK(Count("response.create") == 0);           // but never a create while r2 is active
  Server(R"({"type":"response.done","response":{"id":"r2","status":"completed"}})");
  CHECK(Count("response.create") == 1);
  ResponseCreated("r3");
  Server(R"({"type":"response.done","response":{"id":"r3","status":"completed"}})");
  CHECK(chat.Idle());
  CHECK(Count("response.create") == 1);
}

TEST_CASE_METHOD(EngineTest, "requests that meet share one response.create", "[voice][tools]") {
  Ready();
  ResponseCreated("r1");
  chat.RequestResponse();  // a push-to-talk take, committed while r1 speaks
  chat.RequestResponse();
  CHECK(Count("response.create") == 0);
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(Count("response.create") == 1);
  chat.RequestResponse();  // requested, not yet created: still one
  CHECK(Count("response.create") == 1);
  // The server's VAD won the race: voxterm asks again once that response is done.
  Server(
      R"({"type":"error","error":{"type":"invalid_request_error","code":"conversation_already_has_active_response","message":"busy","event_id":"voxterm_response_2"}})");
  ResponseCreated("r2");
  Server(R"({"type":"response.done","response":{"id":"r2","status":"completed"}})");
  CHECK(Count("response.create") == 2);
}

TEST_CASE_METHOD(EngineTest, "a typed line answers a tool's question", "[voice][tools]") {
  tools[0].confirm = true;
  Ready();
  ResponseCreated("r1");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"type":"function_call","call_id":"c1","name":"uptime","arguments":"{}"}})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  REQUIRE(view.questions.size() == 1);
  chat.OnUserLine("y");
  CHECK(runner.started.size() == 1);
  CHECK(Count("conversation.item.create") == 0);  // an answer, not a text turn
}

TEST_CASE_METHOD(EngineTest, "a refused response.create does not block the next", "[voice]") {
  Ready();
  chat.OnUserLine("one");
  CHECK(Count("response.create") == 1);
  Server(
      R"({"type":"error","error":{"type":"invalid_request_error","code":"invalid_value","message":"no","event_id":"voxterm_response_1"}})");
  chat.OnUserLine("two");
  CHECK(Count("response.create") == 2);
}

namespace {

// Frames of a constant value, as the microphone would give them.
void Speak(ConversationEngine* chat, int ms, int16_t value) {
  std::vector<int16_t> frame(480, value);
  for (int done = 0; done < ms; done += 20) chat->OnCaptureFrame(frame.data(), frame.size());
}

// Samples of every append sent, in order.
std::vector<int16_t> Appended(const FakeTransport& transport) {
  std::vector<int16_t> all;
  for (const std::string& m : transport.sent) {
    rapidjson::Document d;
    d.Parse(m.data(), m.size());
    if (std::string(d["type"].GetString()) != "input_audio_buffer.append") continue;
    const auto bytes = Base64Decode(d["audio"].GetString());
    REQUIRE(bytes);
    for (size_t i = 0; i + 1 < bytes->size(); i += 2) {
      all.push_back(
          static_cast<int16_t>(static_cast<uint8_t>((*bytes)[i]) | ((*bytes)[i + 1] << 8)));
    }
  }
  return all;
}

}  // namespace

TEST_CASE_METHOD(EngineTest, "what was said during an outage reaches the next session",
                 "[voice][reconnect]") {
  Ready();
  Speak(&chat, 100, 1);
  chat.OnDisconnected();
  CHECK(chat.reconnecting());
  CHECK(view.states.back() == VoiceState::kReconnecting);
  transport.sent.clear();
  Speak(&chat, 200, 2);
  CHECK(transport.sent.empty());
  Ready();
  CHECK(transport.SentTypes().front() == "session.update");
  CHECK(Appended(transport) == std::vector<int16_t>(200 * 24, 2));
  CHECK(Count("response.create") == 0);
}

TEST_CASE_METHOD(EngineTest, "an answer cut off is asked to go on", "[voice][reconnect]") {
  Ready();
  ResponseCreated("r1");
  Server(
      R"({"type":"response.output_item.added","response_id":"r1","item":{"id":"a1","type":"message",)"
      R"("role":"assistant","status":"in_progress","content":[]}})");
  Audio("r1", "a1", 200);
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r1","item_id":"a1","delta":"Once "})");
  chat.OnDisconnected();
  transport.sent.clear();
  Ready();
  CHECK(transport.SentTypes() ==
        std::vector<std::string>{"session.update", "conversation.item.create", "response.create"});
  CHECK(transport.sent[1].find(R"("status":"incomplete")") != std::string::npos);
  CHECK(transport.sent[2].find("cut off by a lost connection") != std::string::npos);
  CHECK(playback.Audible());  // what arrived plays out
}

TEST_CASE_METHOD(EngineTest, "a spoken turn without an answer is sent again from where it began",
                 "[voice][reconnect]") {
  Ready();
  Speak(&chat, 500, 1);  // silence, as far as the test cares
  Speak(&chat, 500, 9);  // the speech
  Server(R"({"type":"input_audio_buffer.speech_started","audio_start_ms":500,"item_id":"s1"})");
  Speak(&chat, 300, 3);
  Server(R"({"type":"input_audio_buffer.speech_stopped","audio_end_ms":1000,"item_id":"s1"})");
  chat.OnDisconnected();
  transport.sent.clear();
  Speak(&chat, 100, 4);

  SECTION("its words unknown: the audio again, and the server's VAD answers it") {
    Ready();
    std::vector<int16_t> expected(500 * 24, 9);
    expected.insert(expected.end(), 300 * 24, 3);
    expected.insert(expected.end(), 100 * 24, 4);
    CHECK(Appended(transport) == expected);
    CHECK(Count("response.create") == 0);
  }
  SECTION("its words known: they are in the replay, and voxterm asks for the answer") {
    Server(R"({"type":"conversation.item.added","item":{"id":"s1","type":"message","role":"user",)"
           R"("status":"completed","content":[{"type":"input_audio","transcript":null}]}})");
    Server(R"({"type":"conversation.item.input_audio_transcription.completed","item_id":"s1",)"
           R"("content_index":0,"transcript":"hello"})");
    Ready();
    CHECK(Appended(transport) == std::vector<int16_t>(100 * 24, 4));  // the outage only
    CHECK(transport.sent[1].find(R"("text":"hello")") != std::string::npos);
    CHECK(Count("response.create") == 1);
  }
}

TEST_CASE("a push-to-talk take committed during an outage is sent whole", "[voice][reconnect]") {
  EngineTest t(SessionSettings::Turns::kOff);
  t.Ready();
  t.chat.BeginTake();
  Speak(&t.chat, 200, 5);
  t.chat.OnDisconnected();
  Speak(&t.chat, 100, 6);
  t.chat.CommitTake();
  t.transport.sent.clear();
  t.Ready();
  std::vector<int16_t> expected(200 * 24, 5);
  expected.insert(expected.end(), 100 * 24, 6);
  CHECK(Appended(t.transport) == expected);
  auto types = t.transport.SentTypes();
  CHECK(types.front() == "session.update");
  CHECK(std::vector<std::string>(types.end() - 2, types.end()) ==
        std::vector<std::string>{"input_audio_buffer.commit", "response.create"});
}

TEST_CASE_METHOD(EngineTest,
                 "an idle timeout is the server's own turn: an answer is due, nothing is sent",
                 "[voice]") {
  Ready();
  CHECK_FALSE(chat.AwaitingServer());
  Server(
      R"({"type":"input_audio_buffer.timeout_triggered","audio_start_ms":1000,"audio_end_ms":6000,"item_id":"t1"})");
  CHECK(chat.AwaitingServer());  // the status line says thinking; the answer timeout runs
  Server(R"({"type":"input_audio_buffer.committed","previous_item_id":null,"item_id":"t1"})");
  Server(
      R"({"type":"conversation.item.input_audio_transcription.completed","item_id":"t1","content_index":0,"transcript":""})");
  ResponseCreated("r1");
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r1","delta":"Still there?"})");
  Audio("r1", "a1", 100);
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  Play(100);
  CHECK(view.lines == std::vector<std::string>{"assistant: Still there?"});
  CHECK_FALSE(chat.AwaitingServer());
  CHECK(chat.Idle());
  CHECK(transport.SentTypes() == std::vector<std::string>{"session.update"});
}

namespace {

// A reasoning model's response: a spoken preamble (item p1, 500 ms), then the answer (a1, 1000 ms).
struct PreambleTest : EngineTest {
  void PreambleAndAnswer() {
    Ready();
    ResponseCreated("r1");
    Transcript("r1", "p1", "One moment.");
    Audio("r1", "p1", 500, 1000);
    Done("r1", "p1");
    Transcript("r1", "a1", "Here it is.");
    Audio("r1", "a1", 1000, 2000);
  }
  void Transcript(const std::string& response, const std::string& item, const std::string& text) {
    Server(R"({"type":"response.output_audio_transcript.delta","response_id":")" + response +
           R"(","item_id":")" + item + R"(","output_index":0,"content_index":0,"delta":")" + text +
           R"("})");
  }
  void Done(const std::string& response, const std::string& item) {
    Server(R"({"type":"response.output_item.done","response_id":")" + response +
           R"(","output_index":0,"item":{"id":")" + item +
           R"(","type":"message","role":"assistant","status":"completed","content":[]}})");
  }
  void BargeInAt(int played_ms) {
    Play(played_ms);
    Server(R"({"type":"input_audio_buffer.speech_started","audio_start_ms":0,"item_id":"u2"})");
    Play(10);
    chat.OnTick();
  }
};

}  // namespace

TEST_CASE_METHOD(PreambleTest,
                 "a preamble and its answer are two lines, played one after the other", "[voice]") {
  PreambleAndAnswer();
  Done("r1", "a1");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(view.lines == std::vector<std::string>{"assistant: One moment.", "assistant: Here it is."});
  // No gap, no overlap: the answer's first sample follows the preamble's last.
  std::vector<int16_t> out(1500 * 24);
  engine.Render(&ring, &counters, out.data(), out.size(), 1, 0);
  CHECK(out[500 * 24 - 1] == 1000);
  CHECK(out[500 * 24] == 2000);
  CHECK(out.back() == 2000);
  chat.OnTick();
  CHECK(chat.Idle());
}

TEST_CASE_METHOD(PreambleTest,
                 "barge-in during the answer truncates the answer at its own position", "[voice]") {
  PreambleAndAnswer();
  BargeInAt(800);  // 500 ms of preamble, then 300 ms of the answer
  CHECK(TruncatedAt("a1") == (300 * 24 + 96) / 24);
  CHECK(TruncatedAt("p1") == -1);  // heard whole
  CHECK(Count("conversation.item.truncate") == 1);
  CHECK(view.lines.back() == "assistant: Here it is. [interrupted]");
}

TEST_CASE_METHOD(PreambleTest,
                 "barge-in during the preamble truncates it; the answer behind it was not heard",
                 "[voice]") {
  PreambleAndAnswer();
  BargeInAt(200);
  CHECK(TruncatedAt("p1") == (200 * 24 + 96) / 24);
  CHECK(TruncatedAt("a1") == 0);
  CHECK(Count("conversation.item.truncate") == 2);
}

TEST_CASE_METHOD(EngineTest, "the user's words are a caption until the transcript completes",
                 "[voice]") {
  Ready();
  auto delta = [&](const std::string& item, const std::string& text) {
    Server(R"({"type":"conversation.item.input_audio_transcription.delta","item_id":")" + item +
           R"(","content_index":0,"delta":")" + text + R"("})");
  };
  delta("u1", "What is ");
  delta("u1", "the time");
  CHECK(view.caption == "What is the time");
  CHECK(view.lines.empty());
  delta("u2", "And ");  // two turns at once: each has its own caption, the latest is shown
  CHECK(view.caption == "And ");
  delta("u1", "?");
  CHECK(view.caption == "What is the time?");
  Server(
      R"({"type":"conversation.item.input_audio_transcription.completed","item_id":"u1","content_index":0,)"
      R"("transcript":"What is the time?"})");
  CHECK(view.lines == std::vector<std::string>{"you: What is the time?"});
  CHECK(view.caption == "And ");  // the other turn's caption is back
  Server(
      R"({"type":"conversation.item.input_audio_transcription.failed","item_id":"u2","content_index":0,)"
      R"("error":{"type":"transcription_error","message":"no"}})");
  CHECK(view.caption.empty());
  CHECK(view.notices.back() == "(your words could not be transcribed)");
  CHECK(view.lines.size() == 1);
}

TEST_CASE_METHOD(EngineTest,
                 "a spoken continuation goes on the cut line, the next message on another",
                 "[voice][reconnect]") {
  Ready();
  ResponseCreated("r1");
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r1","item_id":"a1","delta":"Once "})");
  chat.OnDisconnected();
  Ready();
  ResponseCreated("r2");
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r2","item_id":"c1","delta":"upon."})");
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r2","item_id":"c2","delta":"More."})");
  Server(R"({"type":"response.done","response":{"id":"r2","status":"completed"}})");
  CHECK(view.lines == std::vector<std::string>{"assistant: Once upon.", "assistant: More."});
}

TEST_CASE_METHOD(EngineTest, "a message that comes whole in its .done is shown once", "[voice]") {
  Ready();
  ResponseCreated("r1");
  Server(
      R"({"type":"response.output_audio_transcript.done","response_id":"r1","item_id":"a1","output_index":0,"content_index":0,"transcript":"Only in done."})");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"id":"a1","type":"message","role":"assistant","status":"completed","content":[{"type":"output_audio","transcript":"Only in done."}]}})");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":1,"item":{"id":"a2","type":"message","role":"assistant","status":"completed","content":[{"type":"output_audio","transcript":"Item only."}]}})");
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r1","item_id":"a3","delta":"Hello wor"})");
  Server(
      R"({"type":"response.output_audio_transcript.done","response_id":"r1","item_id":"a3","transcript":"Hello world."})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(view.lines == std::vector<std::string>{"assistant: Only in done.", "assistant: Item only.",
                                               "assistant: Hello wor"});
}

TEST_CASE_METHOD(EngineTest, "captions: late deltas, a second .completed, a stale caption",
                 "[voice]") {
  Ready();
  auto delta = [&](const std::string& item, const std::string& text) {
    Server(R"({"type":"conversation.item.input_audio_transcription.delta","item_id":")" + item +
           R"(","content_index":0,"delta":")" + text + R"("})");
  };
  auto completed = [&](const std::string& item, const std::string& text) {
    Server(R"({"type":"conversation.item.input_audio_transcription.completed","item_id":")" + item +
           R"(","content_index":0,"transcript":")" + text + R"("})");
  };
  delta("u1", "Hi");
  completed("u1", "Hi.");
  completed("u1", "Hi.");  // once per item
  delta("u1", " late");    // after .completed: ignored
  CHECK(view.caption.empty());
  CHECK(view.lines == std::vector<std::string>{"you: Hi."});
  delta("ghost", "never completed");
  CHECK(view.caption == "never completed");
  Server(R"({"type":"input_audio_buffer.speech_started","audio_start_ms":0,"item_id":"u2"})");
  CHECK(view.caption.empty());  // the next turn begins: the stale caption goes
  Server(
      R"({"type":"conversation.item.input_audio_transcription.failed","item_id":"u2","content_index":0,"error":{"message":"no"}})");
  Server(
      R"({"type":"conversation.item.input_audio_transcription.failed","item_id":"u2","content_index":0,"error":{"message":"no"}})");
  CHECK(view.notices == std::vector<std::string>{"(your words could not be transcribed)"});
}

TEST_CASE_METHOD(EngineTest, "paced, an interrupted answer shows only what was heard", "[voice]") {
  chat.set_pace_words(true);
  Ready();
  ResponseCreated("r1");
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r1","item_id":"a1","delta":"one two three four five six seven eight nine ten"})");
  Audio("r1", "a1", 1000);
  chat.OnTick();
  CHECK(view.answer.empty());  // nothing heard yet
  Play(500);
  chat.OnTick();
  CHECK(view.answer == "one two three four five");  // about half
  Server(R"({"type":"input_audio_buffer.speech_started","audio_start_ms":0,"item_id":"u1"})");
  REQUIRE(view.lines.size() == 1);
  CHECK(view.lines[0] == "assistant: one two three four five [interrupted]");
}

TEST_CASE_METHOD(EngineTest, "paced, an answer heard to its end shows whole", "[voice]") {
  chat.set_pace_words(true);
  Ready();
  ResponseCreated("r1");
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r1","item_id":"a1","delta":"Hello there."})");
  Audio("r1", "a1", 300);
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(view.lines.empty());
  CHECK_FALSE(chat.Idle());
  Play(300);
  chat.OnTick();
  CHECK(view.lines == std::vector<std::string>{"assistant: Hello there."});
  CHECK(chat.Idle());
}

TEST_CASE_METHOD(EngineTest, "with VAD, overlapping responses each keep their words and line",
                 "[voice]") {
  Ready();
  ResponseCreated("r1");
  ResponseCreated("r2");
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r1","item_id":"a1","delta":"one"})");
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r2","item_id":"a2","delta":"two "})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r2","item_id":"a2","delta":"more"})");
  Server(R"({"type":"response.done","response":{"id":"r2","status":"completed"}})");
  CHECK(view.lines == std::vector<std::string>{"assistant: one", "assistant: two more"});
  CHECK(chat.answers() == 2);
}
