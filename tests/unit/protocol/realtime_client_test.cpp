// RealtimeClient: each request of the ClientProtocol becomes the one Realtime event it names, in
// the session's dialect, sent at once. (The events' shapes are client_events_test's; their
// validity against OpenAI's schema is test_client_schema.py's, fed through RealtimeClient.)
#include "protocol/realtime_client.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "fakes/fake_transport.h"

using namespace voxterm;

TEST_CASE("every request is one event, sent as it is made", "[realtime_client]") {
  FakeTransport sink;
  RealtimeClient server(Dialect::kGa, &sink);
  const int16_t samples[4] = {1, 2, 3, 4};
  struct Expected {
    const char* type;
    const char* pointer;
    const char* value;
  };
  std::vector<Expected> expected;
  server.ConfigureSession(SessionSettings{});
  expected.push_back({"session.update", "/session/type", "realtime"});
  server.AppendAudio(samples, 4);
  expected.push_back({"input_audio_buffer.append", "/audio", "AQACAAMABAA="});
  server.CommitAudio();
  expected.push_back({"input_audio_buffer.commit", "/type", "input_audio_buffer.commit"});
  server.ClearAudio();
  expected.push_back({"input_audio_buffer.clear", "/type", "input_audio_buffer.clear"});
  server.AddUserText("hello", "ev_1", "item_u");
  expected.push_back({"conversation.item.create", "/item/id", "item_u"});
  server.AddAssistantText("Sev", "item_a", /*complete=*/false);
  expected.push_back({"conversation.item.create", "/item/status", "incomplete"});
  server.AddFunctionCall("call_1", "uptime", "{}", "item_c");
  expected.push_back({"conversation.item.create", "/item/type", "function_call"});
  server.AddToolOutput("call_1", "up 3 days", "item_o");
  expected.push_back({"conversation.item.create", "/item/output", "up 3 days"});
  server.RequestAnswer(Modality::kText, "ev_2", "Go on.");
  expected.push_back({"response.create", "/response/instructions", "Go on."});
  server.CancelAnswer();
  expected.push_back({"response.cancel", "/type", "response.cancel"});
  server.TruncateAnswer("item_a", 1500);
  expected.push_back({"conversation.item.truncate", "/audio_end_ms", "1500"});

  REQUIRE(sink.sent.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO(sink.sent[i]);
    CHECK(SentField(sink.sent[i], "/type") == expected[i].type);
    CHECK(SentField(sink.sent[i], expected[i].pointer) == expected[i].value);
  }
  CHECK(SentField(sink.sent[4], "/event_id") == "ev_1");
  CHECK(SentField(sink.sent[8], "/event_id") == "ev_2");
}

TEST_CASE("the dialect chosen once shapes every event", "[realtime_client]") {
  FakeTransport sink;
  RealtimeClient server(Dialect::kBeta, &sink);
  server.ConfigureSession(SessionSettings{});
  server.AddAssistantText("Seven.", "item_a", /*complete=*/true);
  server.RequestAnswer(Modality::kText, "ev_1", {});
  REQUIRE(sink.sent.size() == 3);
  CHECK(SentField(sink.sent[0], "/session/type") == "<missing>");      // beta has no session type
  CHECK(SentField(sink.sent[1], "/item/content/0/type") == "text");    // GA: output_text
  CHECK(SentField(sink.sent[2], "/response/modalities/0") == "text");  // GA: output_modalities
}
