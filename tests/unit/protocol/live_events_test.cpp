// ParseLiveEvent: GPT-Live's server events onto ServerEvent; untrusted input never crashes.
#include "protocol/live_events.h"

#include <catch2/catch.hpp>
#include <string>

using namespace voxterm;

namespace {
Status Parse(const char* json, ServerEvent* event) {
  static std::string keep;
  keep = json;
  return ParseLiveEvent(&keep, event);
}
}  // namespace

TEST_CASE("session.started announces the session", "[live_events]") {
  ServerEvent e;
  REQUIRE(Parse(R"({"type":"session.started","event_id":"ev_1","session":{"id":"sess_1",
      "model":"gpt-live-1.1","expires_at":1790000000,"status":"active"}})",
                &e)
              .ok());
  CHECK(e.type == ServerEventType::kSessionCreated);
  CHECK(e.type_name == "session.started");
  CHECK(e.session_model == "gpt-live-1.1");
  CHECK(e.expires_at == 1790000000);
  CHECK_FALSE(Parse(R"({"type":"session.started"})", &e).ok());
}

TEST_CASE("session.started's audio format, as given, absent or unreadable", "[live_events]") {
  ServerEvent e;
  REQUIRE(Parse(R"({"type":"session.started","session":{"id":"s"}})", &e).ok());
  CHECK(e.session_audio_type.empty());
  CHECK(e.session_audio_rate_hz == -1);
  REQUIRE(Parse(R"({"type":"session.started","session":{"id":"s",
      "audio":{"format":{"type":"audio/pcmu","rate":8000}}}})",
                &e)
              .ok());
  CHECK(e.session_audio_type == "audio/pcmu");
  CHECK(e.session_audio_rate_hz == 8000);
  for (const char* format : {R"("pcm16")", R"({"rate":24000})", R"({"type":"audio/pcm",
      "rate":"24000"})"}) {
    std::string json = std::string(R"({"type":"session.started","session":{"id":"s","audio":{
        "format":)") + format +
                       "}}}";
    REQUIRE(Parse(json.c_str(), &e).ok());
    CHECK(e.session_audio_type == kUnreadableFormat);
  }
}

TEST_CASE("the streams: output audio, both transcripts, with their times", "[live_events]") {
  ServerEvent e;
  REQUIRE(Parse(R"({"type":"session.output_audio.delta","delta":"AAAA"})", &e).ok());
  CHECK(e.type == ServerEventType::kLiveOutputAudio);
  CHECK(e.delta == "AAAA");
  CHECK(e.audio_start_ms == -1);  // omitted on the primary WebSocket (LIVE.md 9.3)
  REQUIRE(Parse(R"({"type":"session.output_transcript.delta","delta":"It's","start_ms":600,
      "end_ms":800})",
                &e)
              .ok());
  CHECK(e.type == ServerEventType::kLiveOutputTranscript);
  CHECK(e.delta == "It's");
  CHECK(e.audio_start_ms == 600);
  CHECK(e.audio_end_ms == 800);
  REQUIRE(Parse(R"({"type":"session.input_transcript.delta","delta":"wait"})", &e).ok());
  CHECK(e.type == ServerEventType::kLiveInputTranscript);
  CHECK_FALSE(Parse(R"({"type":"session.input_transcript.delta","delta":7})", &e).ok());
}

TEST_CASE("session.closed says why, with the session's seconds", "[live_events]") {
  ServerEvent e;
  REQUIRE(Parse(R"({"type":"session.closed","reason":"expired","usage":{"seconds":61}})", &e).ok());
  CHECK(e.type == ServerEventType::kSessionClosed);
  CHECK(e.text == "expired");
  CHECK(e.usage.seconds == 61);
  REQUIRE(Parse(R"({"type":"session.closed"})", &e).ok());  // no reason: still an end
  CHECK(e.text.empty());
  CHECK(e.usage.seconds == -1);
}

TEST_CASE("usage seconds that cannot be are not believed", "[live_events]") {
  ServerEvent e;
  REQUIRE(Parse(R"({"type":"session.usage.updated","usage":{"seconds":12.5}})", &e).ok());
  CHECK(e.type == ServerEventType::kUsageUpdated);
  CHECK(e.usage.seconds == 12.5);
  for (const char* bad : {R"({"type":"session.usage.updated","usage":{"seconds":-3}})",
                          R"({"type":"session.usage.updated","usage":{"seconds":"12"}})",
                          R"({"type":"session.usage.updated","usage":{"seconds":1e300}})"}) {
    INFO(bad);
    REQUIRE(Parse(bad, &e).ok());
    CHECK(e.usage.seconds == -1);
    CHECK(e.usage.invalid == 1);
  }
}

TEST_CASE("a delegation carries its id, an error its client event id", "[live_events]") {
  ServerEvent e;
  REQUIRE(Parse(R"({"type":"session.delegation.created","offset_ms":4600,
      "delegation":{"id":"item_dlg_1","type":"delegation","target":"client"}})",
                &e)
              .ok());
  CHECK(e.type == ServerEventType::kDelegationCreated);
  CHECK(e.item_id == "item_dlg_1");
  CHECK(e.name == "client");
  CHECK_FALSE(Parse(R"({"type":"session.delegation.created","delegation":{}})", &e).ok());
  REQUIRE(Parse(R"({"type":"error","error":{"type":"invalid_request_error",
      "code":"unknown_parameter","message":"Unknown parameter: session.tools",
      "param":"session.tools","client_event_id":"evt_start"}})",
                &e)
              .ok());
  CHECK(e.type == ServerEventType::kError);
  CHECK(e.error.code == "unknown_parameter");
  CHECK(e.error.param == "session.tools");
  CHECK(e.error.event_id == "evt_start");
}

TEST_CASE("acknowledgements, backend events, unknown and broken frames", "[live_events]") {
  ServerEvent e;
  REQUIRE(Parse(R"({"type":"session.commentary.appended","start_ms":1,"end_ms":2})", &e).ok());
  CHECK(e.type == ServerEventType::kLiveAck);
  REQUIRE(Parse(R"({"type":"response.event","event":{"type":"response.in_progress"}})", &e).ok());
  CHECK(e.type == ServerEventType::kBackendEvent);
  CHECK(e.backend_type == ServerEventType::kUnknown);  // new and unused types are tolerated
  // Realtime's names mean nothing here.
  REQUIRE(Parse(R"({"type":"response.done","response":{}})", &e).ok());
  CHECK(e.type == ServerEventType::kUnknown);
  REQUIRE(Parse(R"({"type":"session.fixture.new"})", &e).ok());
  CHECK(e.type == ServerEventType::kUnknown);
  CHECK_FALSE(Parse("[]", &e).ok());
  CHECK_FALSE(Parse(R"({"type":1})", &e).ok());
  CHECK_FALSE(Parse("{", &e).ok());
}

TEST_CASE("response.event: the delegation backend's Responses events", "[live_events]") {
  ServerEvent e;
  REQUIRE(Parse(R"({"type":"response.event","delegation_id":"dlg_1","event":{
      "type":"response.created","response":{"id":"resp_1","status":"in_progress","output":[]}}})",
                &e)
              .ok());
  CHECK(e.type == ServerEventType::kBackendEvent);
  CHECK(e.backend_type == ServerEventType::kResponseCreated);
  CHECK(e.delegation_id == "dlg_1");
  CHECK(e.response.id == "resp_1");
  REQUIRE(Parse(R"({"type":"response.event","delegation_id":"dlg_1","event":{
      "type":"response.output_item.done","output_index":0,"item":{"id":"fc_1",
      "type":"function_call","status":"completed","call_id":"call_1","name":"uptime",
      "arguments":"{}"}}})",
                &e)
              .ok());
  CHECK(e.backend_type == ServerEventType::kOutputItemDone);
  CHECK(e.item.type == "function_call");
  CHECK(e.item.call_id == "call_1");
  CHECK(e.item.name == "uptime");
  CHECK(e.item.arguments == "{}");
  CHECK(e.response_id.empty());  // Responses' output items name no response
  REQUIRE(Parse(R"({"type":"response.event","event":{"type":"response.completed",
      "response":{"id":"resp_1","status":"completed","model":"gpt-5.5","output":[],
      "usage":{"input_tokens":120,"output_tokens":30,"total_tokens":150,
      "input_tokens_details":{"cached_tokens":100},"output_tokens_details":{"reasoning_tokens":4}}}}})",
                &e)
              .ok());
  CHECK(e.backend_type == ServerEventType::kResponseDone);
  CHECK(e.response.status == "completed");
  CHECK(e.session_model == "gpt-5.5");
  CHECK(e.usage.present);
  CHECK(e.usage.input == 120);
  CHECK(e.usage.output == 30);
  CHECK(e.usage.cached == 100);
  CHECK(e.usage.invalid == 0);
  REQUIRE(Parse(R"({"type":"response.event","event":{"type":"response.failed","response":{
      "id":"resp_2","error":{"code":"server_error","message":"boom"}}}})",
                &e)
              .ok());
  CHECK(e.backend_type == ServerEventType::kResponseDone);
  CHECK(e.response.status == "failed");  // the event's word, when the response has none
  CHECK(e.response.error_code == "server_error");
  REQUIRE(Parse(R"({"type":"response.event","event":{"type":"response.incomplete","response":{
      "id":"resp_3","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}}})",
                &e)
              .ok());
  CHECK(e.response.reason == "max_output_tokens");
}

TEST_CASE("response.event that lacks what it needs is refused", "[live_events]") {
  ServerEvent e;
  for (const char* bad : {
           R"({"type":"response.event"})",
           R"({"type":"response.event","event":"response.created"})",
           R"({"type":"response.event","event":{}})",
           R"({"type":"response.event","event":{"type":7}})",
           R"({"type":"response.event","event":{"type":"response.created"}})",
           R"({"type":"response.event","event":{"type":"response.completed","response":[]}})",
           R"({"type":"response.event","event":{"type":"response.output_item.done"}})",
       }) {
    INFO(bad);
    CHECK_FALSE(Parse(bad, &e).ok());
  }
  // Usage that is not counts is skipped, never the event.
  REQUIRE(Parse(R"({"type":"response.event","event":{"type":"response.completed","response":{
      "id":"r","usage":{"input_tokens":-1,"output_tokens":"many"}}}})",
                &e)
              .ok());
  CHECK(e.usage.invalid == 2);
}
