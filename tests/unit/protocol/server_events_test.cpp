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
  REQUIRE(Parse(R"({"type":"some.future.event","x":[1,{"y":null}]})", &event).ok());
  CHECK(event.type == ServerEventType::kUnknown);
  CHECK(event.type_name == "some.future.event");
  REQUIRE(Parse(R"({"type":"response.output_text.delta","delta":"a","response_id":7,
      "output_index":"zero","item_id":null})",
                &event)
              .ok());
  CHECK(event.response_id.empty());
  CHECK(event.output_index == -1);
}

TEST_CASE("a hosted MCP server's events and items are read, bounded by what they hold",
          "[server_events]") {
  ServerEvent event;
  REQUIRE(Parse(R"({"type":"mcp_list_tools.in_progress","x":[1,{"y":null}]})", &event).ok());
  CHECK(event.type == ServerEventType::kMcpListTools);  // no item_id needed: -v only
  REQUIRE(Parse(R"({"type":"response.mcp_call_arguments.done","item_id":"c1","arguments":"{}"})",
                &event)
              .ok());
  CHECK(event.type == ServerEventType::kMcpCallArgsDone);
  CHECK(event.text == "{}");
  CHECK_FALSE(Parse(R"({"type":"response.mcp_call.failed","output_index":0})", &event).ok());
  REQUIRE(Parse(R"({"type":"response.output_item.done","item":{"id":"c1","type":"mcp_call",
      "server_label":"docs","name":"search","arguments":"{}","output":null,
      "error":{"type":"http_error","code":500,"message":"down"}}})",
                &event)
              .ok());
  CHECK(event.item.server_label == "docs");
  CHECK(event.item.error_type == "http_error");
  CHECK(event.item.error_message == "down");
  CHECK(event.item.output.empty());
  REQUIRE(Parse(R"({"type":"conversation.item.done","item":{"id":"l1","type":"mcp_list_tools",
      "server_label":"docs","tools":[{"name":"a","input_schema":{}},{"name":"b"}]}})",
                &event)
              .ok());
  CHECK(event.item.tool_count == 2);
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

TEST_CASE("each event requires its own fields, and names the one missing", "[server_events]") {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"type":"error","error":"x"})", R"(error: missing or mistyped "error")"},
      {R"({"type":"session.updated"})", R"(session.updated: missing or mistyped "session")"},
      {R"({"type":"conversation.item.added"})",
       R"(conversation.item.added: missing or mistyped "item")"},
      {R"({"type":"conversation.item.created","item":[]})",
       R"(conversation.item.created: missing or mistyped "item")"},
      {R"({"type":"conversation.item.done"})",
       R"(conversation.item.done: missing or mistyped "item")"},
      {R"({"type":"conversation.item.retrieved"})",
       R"(conversation.item.retrieved: missing or mistyped "item")"},
      {R"({"type":"response.output_item.added"})",
       R"(response.output_item.added: missing or mistyped "item")"},
      {R"({"type":"response.created"})", R"(response.created: missing or mistyped "response")"},
      {R"({"type":"response.done","response":"x"})",
       R"(response.done: missing or mistyped "response")"},
      {R"({"type":"response.audio.delta"})",
       R"(response.audio.delta: missing or mistyped "delta")"},
      {R"({"type":"response.output_audio_transcript.delta","delta":1})",
       R"(response.output_audio_transcript.delta: missing or mistyped "delta")"},
      {R"({"type":"response.function_call_arguments.delta","call_id":"c"})",
       R"(response.function_call_arguments.delta: missing or mistyped "delta")"},
      {R"({"type":"conversation.item.input_audio_transcription.delta","transcript":"x"})",
       R"(conversation.item.input_audio_transcription.delta: missing or mistyped "delta")"},
      {R"({"type":"response.output_text.done","delta":"x"})",
       R"(response.output_text.done: missing or mistyped "text")"},
      {R"({"type":"response.audio_transcript.done","text":"x"})",
       R"(response.audio_transcript.done: missing or mistyped "transcript")"},
      {R"({"type":"conversation.item.input_audio_transcription.completed","text":"x"})",
       R"(conversation.item.input_audio_transcription.completed: missing or mistyped "transcript")"},
      {R"({"type":"response.function_call_arguments.done","arguments":"{}"})",
       R"(response.function_call_arguments.done: missing or mistyped "call_id")"},
      {R"({"type":"response.function_call_arguments.done","call_id":"c"})",
       R"(response.function_call_arguments.done: missing or mistyped "arguments")"},
      // Events with nothing required.
      {R"({"type":"conversation.item.input_audio_transcription.failed"})", ""},
      {R"({"type":"conversation.item.input_audio_transcription.failed","error":7})", ""},
      {R"({"type":"input_audio_buffer.committed"})", ""},
      {R"({"type":"response.content_part.added"})", ""},
      {R"({"type":"rate_limits.updated"})", ""},
  };
  for (auto [json, message] : cases) {
    INFO(json);
    ServerEvent event;
    Status s = Parse(json, &event);
    CHECK(s.ok() == (*message == '\0'));
    if (!s.ok()) CHECK(s.message() == message);
  }
}

TEST_CASE("each event's fields come out where they belong", "[server_events]") {
  // A session: its expiry, model and transcription model, GA and beta.
  ParsedEvent ga(R"({"type":"session.created","session":{"expires_at":1700000000,
      "model":"gpt-realtime","input_audio_transcription":{"model":"ignored"},
      "audio":{"input":{"transcription":{"model":"whisper-1"}}}}})");
  REQUIRE(ga.ok());
  CHECK(ga->expires_at == 1700000000);
  CHECK(ga->session_model == "gpt-realtime");
  CHECK(ga->session_transcription_model == "whisper-1");
  ParsedEvent beta(R"({"type":"session.updated","session":{"model":"m",
      "input_audio_transcription":{"model":"gpt-4o-transcribe"},"audio":{"output":{}}}})");
  REQUIRE(beta.ok());
  CHECK(beta->expires_at == -1);
  CHECK(beta->session_transcription_model == "gpt-4o-transcribe");
  ParsedEvent no_input(R"({"type":"session.updated","session":{
      "input_audio_transcription":{"model":"beta"},"audio":{"input":{}}}})");
  REQUIRE(no_input.ok());
  CHECK(no_input->session_transcription_model.empty());  // GA's audio.input wins, even empty

  // An item: its id becomes the event's item_id; text, or the transcript when there is none.
  ParsedEvent item(R"({"type":"conversation.item.done","item_id":"outer","item":{"id":"i9",
      "type":"message","role":"user","status":"completed",
      "content":[{"type":"input_audio","transcript":"said"}]}})");
  REQUIRE(item.ok());
  CHECK(item->type == ServerEventType::kItemDone);
  CHECK(item->item_id == "i9");
  CHECK(item->item.role == "user");
  CHECK(item->item.text == "said");
  ParsedEvent retrieved(R"({"type":"conversation.item.retrieved","item":{"id":"i8",
      "content":[{"text":"typed","transcript":"no"}]}})");
  REQUIRE(retrieved.ok());
  CHECK(retrieved->item.text == "typed");

  // A response: created reads no usage and no calls; done reads both.
  const char* response = R"("response":{"id":"r5","status":"in_progress","status_details":null,
      "usage":{"input_tokens":3},"output":[{"type":"function_call","call_id":"c"}]}})";
  ParsedEvent created(std::string(R"({"type":"response.created",)") + response);
  REQUIRE(created.ok());
  CHECK(created->response_id == "r5");
  CHECK(created->response.status == "in_progress");
  CHECK_FALSE(created->usage.present);
  CHECK(created->response.calls.empty());
  ParsedEvent done(std::string(R"({"type":"response.done","response_id":"outer",)") + response);
  REQUIRE(done.ok());
  CHECK(done->response_id == "r5");
  CHECK(done->usage.present);
  CHECK(done->usage.input == 3);
  CHECK(done->response.calls.size() == 1);
  ParsedEvent cancelled(R"({"type":"response.done","response":{"id":"r6","status":"cancelled",
      "status_details":{"type":"cancelled","reason":"turn_detected"}}})");
  REQUIRE(cancelled.ok());
  CHECK(cancelled->response.reason == "turn_detected");

  // Text in each of its places.
  ParsedEvent text(R"({"type":"response.text.done","text":"all"})");
  REQUIRE(text.ok());
  CHECK(text->text == "all");
  ParsedEvent transcript(
      R"({"type":"response.output_audio_transcript.done","transcript":"heard"})");
  REQUIRE(transcript.ok());
  CHECK(transcript->text == "heard");
  ParsedEvent input(R"({"type":"conversation.item.input_audio_transcription.completed",
      "item_id":"u1","transcript":"me"})");
  REQUIRE(input.ok());
  CHECK(input->text == "me");
  CHECK_FALSE(input->usage.present);
  ParsedEvent args(R"({"type":"response.function_call_arguments.done","call_id":"c1",
      "arguments":"{\"a\":1}"})");
  REQUIRE(args.ok());
  CHECK(args->text == R"({"a":1})");
  ParsedEvent args_delta(R"({"type":"response.function_call_arguments.delta","delta":"{\"a"})");
  REQUIRE(args_delta.ok());
  CHECK(args_delta->delta == R"({"a)");
  ParsedEvent failed(R"({"type":"conversation.item.input_audio_transcription.failed",
      "error":{"type":"server_error","message":"no audio"}})");
  REQUIRE(failed.ok());
  CHECK(failed->error.message == "no audio");
  CHECK(failed->error.type.empty());  // only the message is read here
}
