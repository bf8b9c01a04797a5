#include "conversation/history.h"

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <catch2/catch.hpp>

#include "fakes/fake_transport.h"
#include "protocol/realtime_client.h"

using namespace voxterm;

namespace {

struct HistoryTest {
  History history;

  void Server(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    history.OnServerEvent(*event);
  }
  // The events Replay() sends, in the dialect's words.
  std::vector<std::string> ReplayEvents(Dialect dialect) {
    FakeTransport sink;
    RealtimeClient server(dialect, &sink);
    history.Replay(&server);
    return sink.sent;
  }
  // What Replay() would send, as (item type or role, id, text) for easy comparison.
  std::vector<std::string> Replayed(Dialect dialect = Dialect::kGa) {
    std::vector<std::string> out;
    for (const std::string& e : ReplayEvents(dialect)) {
      rapidjson::Document doc;
      doc.Parse(e.data(), e.size());
      REQUIRE(doc["type"] == "conversation.item.create");
      const rapidjson::Value& item = doc["item"];
      std::string line = item["type"].GetString();
      if (item.HasMember("role")) line = item["role"].GetString();
      line += " " + std::string(item["id"].GetString());
      if (item.HasMember("content"))
        line += " " + std::string(item["content"][0]["text"].GetString());
      if (item.HasMember("arguments")) line += " " + std::string(item["arguments"].GetString());
      if (item.HasMember("output")) line += " " + std::string(item["output"].GetString());
      if (item.HasMember("status")) line += " (" + std::string(item["status"].GetString()) + ")";
      out.push_back(line);
    }
    return out;
  }
  void UserText(const std::string& id, const std::string& text) {
    Server(
        R"({"type":"conversation.item.added","item":{"id":")" + id +
        R"(","type":"message","role":"user","status":"completed","content":[{"type":"input_text","text":")" +
        text + R"("}]}})");
  }
  void AssistantStarts(const std::string& id) {
    Server(R"({"type":"response.output_item.added","response_id":"r","item":{"id":")" + id +
           R"(","type":"message","role":"assistant","status":"in_progress","content":[]}})");
  }
  void Delta(const std::string& id, const std::string& text) {
    Server(R"({"type":"response.output_text.delta","response_id":"r","item_id":")" + id +
           R"(","delta":")" + text + R"("})");
  }
};

}  // namespace

TEST_CASE_METHOD(HistoryTest, "the conversation replays in order with its own ids", "[history]") {
  UserText("u1", "hello");
  AssistantStarts("a1");
  Delta("a1", "Hi ");
  Delta("a1", "there");
  Server(
      R"({"type":"response.output_item.done","response_id":"r","item":{"id":"a1","type":"message",)"
      R"("role":"assistant","status":"completed","content":[{"type":"output_text","text":"Hi there"}]}})");
  CHECK(Replayed() == std::vector<std::string>{"user u1 hello", "assistant a1 Hi there"});
  // The new session's echoes of the replay land on the same records.
  UserText("u1", "hello");
  CHECK(history.size() == 2);
  CHECK(history.Has("u1"));
  CHECK(history.HasText("a1"));
  CHECK_FALSE(history.Has("u2"));
}

TEST_CASE_METHOD(HistoryTest, "a .done's text replaces deltas that disagree with it", "[history]") {
  AssistantStarts("a1");
  Delta("a1", "Hello wor");
  Server(
      R"({"type":"response.output_text.done","response_id":"r","item_id":"a1","text":"Hello world, corrected."})");
  AssistantStarts("a2");
  Server(
      R"({"type":"response.output_audio_transcript.done","response_id":"r","item_id":"a2","transcript":"No deltas."})");
  CHECK(Replayed() == std::vector<std::string>{"assistant a1 Hello world, corrected.",
                                               "assistant a2 No deltas."});
}

TEST_CASE_METHOD(HistoryTest, "beta replays assistant text as text content", "[history]") {
  AssistantStarts("a1");
  Delta("a1", "Hi");
  Server(
      R"({"type":"response.output_item.done","response_id":"r","item":{"id":"a1","type":"message",)"
      R"("role":"assistant","status":"completed","content":[{"type":"text","text":"Hi"}]}})");
  const std::vector<std::string> events = ReplayEvents(Dialect::kBeta);
  REQUIRE(events.size() == 1);
  CHECK(events[0].find(R"("type":"text")") != std::string::npos);
}

TEST_CASE_METHOD(HistoryTest, "speech is replayed as its transcript, or left out", "[history]") {
  Server(R"({"type":"conversation.item.added","item":{"id":"s1","type":"message","role":"user",)"
         R"("status":"completed","content":[{"type":"input_audio","transcript":null}]}})");
  Server(R"({"type":"conversation.item.added","item":{"id":"s2","type":"message","role":"user",)"
         R"("status":"completed","content":[{"type":"input_audio","transcript":null}]}})");
  CHECK_FALSE(history.HasText("s1"));
  Server(R"({"type":"conversation.item.input_audio_transcription.completed","item_id":"s1",)"
         R"("content_index":0,"transcript":"what time is it"})");
  CHECK(history.HasText("s1"));
  CHECK(Replayed() == std::vector<std::string>{"user s1 what time is it"});
}

TEST_CASE_METHOD(HistoryTest, "an answer cut by the lost connection keeps what arrived",
                 "[history]") {
  UserText("u1", "tell me");
  AssistantStarts("a1");
  Delta("a1", "Once upon ");
  AssistantStarts("a2");  // started, nothing arrived
  Server(
      R"({"type":"response.output_item.added","response_id":"r","item":{"id":"c1","type":"function_call",)"
      R"("status":"in_progress","call_id":"call_1","name":"f","arguments":""}})");
  history.OnDisconnected();
  CHECK(Replayed() ==
        std::vector<std::string>{"user u1 tell me", "assistant a1 Once upon  (incomplete)"});
}

TEST_CASE_METHOD(HistoryTest, "calls and outputs replay together, and only together", "[history]") {
  Server(
      R"({"type":"response.output_item.done","response_id":"r","item":{"id":"c1","type":"function_call",)"
      R"("status":"completed","call_id":"call_1","name":"f","arguments":"{\"x\":1}"}})");
  Server(R"({"type":"conversation.item.added","item":{"id":"o1","type":"function_call_output",)"
         R"("call_id":"call_1","output":"42"}})");
  Server(R"({"type":"conversation.item.added","item":{"id":"o2","type":"function_call_output",)"
         R"("call_id":"call_unknown","output":"7"}})");
  CHECK(Replayed() ==
        std::vector<std::string>{"function_call c1 {\"x\":1}", "function_call_output o1 42"});
}

TEST_CASE_METHOD(HistoryTest, "a truncated answer keeps the share of text that was heard",
                 "[history]") {
  AssistantStarts("a1");
  Server(R"({"type":"response.output_audio_transcript.delta","response_id":"r","item_id":"a1",)"
         R"("delta":"one two three four"})");
  // 1000 ms of audio (48000 bytes: 64000 base64 characters), of which 500 ms were heard.
  Server(R"({"type":"response.output_audio.delta","response_id":"r","item_id":"a1","delta":")" +
         std::string(64000, 'A') + R"("})");
  Server(
      R"({"type":"conversation.item.truncated","item_id":"a1","content_index":0,"audio_end_ms":500})");
  CHECK(Replayed() == std::vector<std::string>{"assistant a1 one two "});
}

TEST_CASE_METHOD(HistoryTest, "deleted items are not replayed", "[history]") {
  UserText("u1", "a");
  UserText("u2", "b");
  Server(R"({"type":"conversation.item.deleted","item_id":"u1"})");
  CHECK(Replayed() == std::vector<std::string>{"user u2 b"});
}

TEST_CASE("the oldest items are forgotten first, a call with its output", "[history]") {
  History history(History::Limits{3, 1000});
  auto server = [&](const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    history.OnServerEvent(*event);
  };
  server(
      R"({"type":"response.output_item.done","response_id":"r","item":{"id":"c1","type":"function_call",)"
      R"("status":"completed","call_id":"call_1","name":"f","arguments":"{}"}})");
  server(R"({"type":"conversation.item.added","item":{"id":"o1","type":"function_call_output",)"
         R"("call_id":"call_1","output":"42"}})");
  server(R"({"type":"conversation.item.added","item":{"id":"u1","type":"message","role":"user",)"
         R"("content":[{"type":"input_text","text":"x"}]}})");
  CHECK(history.size() == 3);
  server(R"({"type":"conversation.item.added","item":{"id":"u2","type":"message","role":"user",)"
         R"("content":[{"type":"input_text","text":"y"}]}})");
  CHECK(history.size() == 2);  // the call went, and its output with it
  CHECK(history.forgotten() == 2);
  CHECK(history.Has("u1"));
  CHECK(history.Has("u2"));

  SECTION("and by size") {
    server(R"({"type":"conversation.item.added","item":{"id":"u3","type":"message","role":"user",)"
           R"("content":[{"type":"input_text","text":")" +
           std::string(999, 'z') + R"("}]}})");
    CHECK(history.bytes() <= 1000);
    CHECK(history.Has("u3"));
    CHECK_FALSE(history.Has("u1"));
  }
}

TEST_CASE("a hostile server cannot grow the history without bound", "[history]") {
  History history(History::Limits{10, 4096});
  std::string delta = std::string(1000, 'x');
  {
    ParsedEvent added(
        R"({"type":"response.output_item.added","response_id":"r","item":{"id":"a1",)"
        R"("type":"message","role":"assistant","status":"in_progress","content":[]}})");
    history.OnServerEvent(*added);
  }
  for (int i = 0; i < 100; ++i) {
    ParsedEvent event(
        R"({"type":"response.output_text.delta","response_id":"r","item_id":"a1","delta":")" +
        delta + R"("})");
    history.OnServerEvent(*event);
  }
  CHECK(history.bytes() <= 4096);
}

TEST_CASE("continuation instructions keep the session's", "[history]") {
  CHECK(ContinuationInstructions("").find("cut off") != std::string::npos);
  const std::string both = ContinuationInstructions("Be brief.");
  CHECK(both.rfind("Be brief.\n\n", 0) == 0);
}
