#include "protocol/server_events.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "fakes/fake_transport.h"
#include "protocol/json_parse.h"

using namespace voxterm;

namespace {
// Parses in place: the event's views point into *json, which must outlive it.
Status Parse(std::string* json, ServerEvent* event) { return ParseServerEvent(json, event); }
Status Parse(const char* json, ServerEvent* event) {
  static std::string keep;
  keep = json;
  return Parse(&keep, event);
}
}  // namespace

TEST_CASE("every server event in sequences.md parses to a known type", "[server_events]") {
  std::ifstream in(VOXTERM_TEST_DATA "/sequences_server_events.jsonl");
  REQUIRE(in);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    ParsedEvent event(line);
    INFO(line);
    REQUIRE(event.ok());
    CHECK(event->type != ServerEventType::kUnknown);
    ++count;
  }
  CHECK(count > 80);
}

TEST_CASE("GA and beta names map to the same types", "[server_events]") {
  const std::pair<const char*, const char*> pairs[] = {
      {"response.output_text.delta", "response.text.delta"},
      {"response.output_audio.delta", "response.audio.delta"},
      {"response.output_audio_transcript.delta", "response.audio_transcript.delta"},
      {"conversation.item.added", "conversation.item.created"},
  };
  for (auto [ga, beta] : pairs) {
    ParsedEvent a(std::string(R"({"type":")") + ga + R"(","delta":"x","item":{}})");
    ParsedEvent b(std::string(R"({"type":")") + beta + R"(","delta":"x","item":{}})");
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a->type == b->type);
  }
}

TEST_CASE("fields come out typed", "[server_events]") {
  ParsedEvent delta(R"({"type":"response.output_text.delta","event_id":"e1","response_id":"r1",
      "item_id":"i1","output_index":0,"content_index":0,"delta":"Sev\"en\u00e9","obfuscation":"x"})");
  REQUIRE(delta.ok());
  CHECK(delta->type == ServerEventType::kTextDelta);
  CHECK(delta->response_id == "r1");
  CHECK(delta->item_id == "i1");
  CHECK(delta->delta == "Sev\"en\xc3\xa9");

  ParsedEvent done(R"({"type":"response.done","response":{"id":"r2","status":"failed",
      "status_details":{"type":"failed","error":{"code":"server_error","message":"boom"}}}})");
  REQUIRE(done.ok());
  CHECK(done->response.id == "r2");
  CHECK(done->response.status == "failed");
  CHECK(done->response.error_code == "server_error");
  CHECK(done->response.error_message == "boom");

  ParsedEvent error(R"({"type":"error","error":{"type":"invalid_request_error","code":null,
      "message":"Conversation already has an active response","param":null,"event_id":"c7"}})");
  REQUIRE(error.ok());
  CHECK(error->error.code.empty());
  CHECK(error->error.event_id == "c7");

  ParsedEvent call(R"({"type":"response.output_item.done","item":{"id":"f1","type":"function_call",
      "call_id":"c1","name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}})");
  REQUIRE(call.ok());
  CHECK(call->item.call_id == "c1");
  CHECK(call->item.arguments == R"({"city":"Oslo"})");

  ParsedEvent speech(
      R"({"type":"input_audio_buffer.speech_started","audio_start_ms":9120,"item_id":"u3"})");
  REQUIRE(speech.ok());
  CHECK(speech->audio_start_ms == 9120);
}

TEST_CASE("hostile frames are errors, never crashes", "[server_events][hostile]") {
  ServerEvent event;
  const char* bad[] = {
      "",
      "not json",
      "{",
      "[1,2,3]",
      "42",
      R"({"no_type":true})",
      R"({"type":42})",
      R"({"type":null})",
      R"({"type":"response.output_text.delta"})",
      R"({"type":"response.output_text.delta","delta":12})",
      R"({"type":"response.done"})",
      R"({"type":"response.done","response":"x"})",
      R"({"type":"error"})",
      R"({"type":"session.created","session":[]})",
      R"({"type":"response.function_call_arguments.done","arguments":"{}"})",
      R"({"type":"response.output_text.delta","delta":"\ud800"})",
      R"({"type":"x"} trailing)",
  };
  for (const char* json : bad) {
    INFO(json);
    CHECK_FALSE(Parse(json, &event).ok());
  }
}

TEST_CASE("deep nesting is refused before it costs memory", "[server_events][hostile]") {
  ServerEvent event;
  std::string arrays = std::string(200000, '[') + std::string(200000, ']');
  Status status = Parse(&arrays, &event);
  REQUIRE_FALSE(status.ok());
  CHECK(status.message() == "JSON nested deeper than 64 levels");
  std::string objects = R"({"type":"x","a":)";
  for (int i = 0; i < 100000; ++i) objects += R"({"a":)";
  objects += "1" + std::string(100001, '}');
  CHECK_FALSE(Parse(&objects, &event).ok());
}

TEST_CASE("nesting up to the limit is fine", "[server_events]") {
  ServerEvent event;
  std::string ok = R"({"type":"x","a":)" + std::string(kMaxJsonDepth - 1, '[') +
                   std::string(kMaxJsonDepth - 1, ']') + "}";
  CHECK(Parse(&ok, &event).ok());
  std::string deep = R"({"type":"x","a":)" + std::string(kMaxJsonDepth, '[') +
                     std::string(kMaxJsonDepth, ']') + "}";
  CHECK_FALSE(Parse(&deep, &event).ok());
}

TEST_CASE("a frame of too many values is refused before its DOM costs memory",
          "[server_events][hostile]") {
  ServerEvent event;
  std::string wide = R"({"type":"x","a":[)";
  for (size_t i = 0; i < kMaxJsonValues; ++i) wide += "{},";
  wide += "{}]}";
  Status status = Parse(&wide, &event);
  REQUIRE_FALSE(status.ok());
  CHECK(status.message() == "JSON with more than 131072 values");
  // What a real event holds is far from it.
  std::string many = R"({"type":"x","a":[)";
  for (int i = 0; i < 10000; ++i) many += "1,";
  many += "1]}";
  CHECK(Parse(&many, &event).ok());
}

// RapidJSON's SSE2 scan reads the aligned 16-byte block that holds a string's closing quote or
// the end of a run of whitespace: past the text when it ends near there. Every size and tail
// below puts that block past a heap block that ends right after the NUL, which ASan reports
// unless ParseJsonInsitu padded the text.
TEST_CASE("text parsed in place is padded for the SSE2 scan", "[server_events][hostile]") {
  for (size_t length = 16; length < 48; ++length) {
    for (const char* tail : {"\"}", "\"   }", "\"}        "}) {
      std::string json =
          R"({"type":"response.output_text.delta","delta":")" + std::string(length, 'a') + tail;
      json.shrink_to_fit();  // the heap block ends at the NUL, as the transport's exact reserve did
      const size_t size = json.size();
      ServerEvent event;
      REQUIRE(Parse(&json, &event).ok());
      CHECK(event.delta.size() == length);
      CHECK(json.size() == size + kJsonPadding);
    }
  }
}

TEST_CASE("unknown types and mistyped optional fields are tolerated", "[server_events]") {
  ServerEvent event;
  REQUIRE(Parse(R"({"type":"mcp_list_tools.in_progress","x":[1,{"y":null}]})", &event).ok());
  CHECK(event.type == ServerEventType::kUnknown);
  CHECK(event.type_name == "mcp_list_tools.in_progress");
  REQUIRE(Parse(R"({"type":"response.output_text.delta","delta":"a","response_id":7,
      "output_index":"zero","item_id":null})",
                &event)
              .ok());
  CHECK(event.response_id.empty());
  CHECK(event.output_index == -1);
}

TEST_CASE("a failed response's reason, said whole or said missing", "[server_events]") {
  ResponseInfo r;
  CHECK(FailureReason(r) == " (the server gave no reason)");
  r.error_code = "server_error";
  CHECK(FailureReason(r) == ": server_error");
  r.error_message = "Boom";
  CHECK(FailureReason(r) == ": server_error: Boom");
  r.error_code = "";
  CHECK(FailureReason(r) == ": Boom");
}

TEST_CASE("response.done lists its function calls, in order and bounded", "[server_events]") {
  ParsedEvent done(R"({"type":"response.done","response":{"id":"r1","status":"completed","output":[
      {"id":"m1","type":"message","role":"assistant","content":[{"type":"output_text","text":"hi"}]},
      {"id":"f2","type":"function_call","status":"completed","call_id":"c2","name":"t","arguments":"{}"},
      7,
      {"id":"f1","type":"function_call","status":"completed","call_id":"c1","name":"u","arguments":"{\"a\":1}"}]}})");
  REQUIRE(done.ok());
  REQUIRE(done->response.calls.size() == 2);
  CHECK(done->response.calls[0].call_id == "c2");
  CHECK(done->response.calls[1].id == "f1");
  CHECK(done->response.calls[1].name == "u");
  CHECK(done->response.calls[1].arguments == R"({"a":1})");
  CHECK(done->response.calls[1].status == "completed");

  std::string many = R"({"type":"response.done","response":{"id":"r1","output":[)";
  for (int i = 0; i < 1000; ++i) {
    many += std::string(i ? "," : "") + R"({"type":"function_call","call_id":"c)" +
            std::to_string(i) + R"("})";
  }
  ParsedEvent bounded(many + "]}}");
  REQUIRE(bounded.ok());
  CHECK(bounded->response.calls.size() == ResponseInfo::kMaxCalls);
}
