// LiveClient: session.start first, with the conversation so far as `input` within its limits;
// nothing else before session.started; audio as session.input_audio.append; the requests
// GPT-Live has no event for send nothing, and never a Realtime event.
#include "protocol/live_client.h"

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <catch2/catch.hpp>
#include <string>

#include "fakes/fake_transport.h"

using namespace voxterm;

namespace {

std::string Field(const std::string& event, const char* pointer) {
  rapidjson::Document doc;
  doc.Parse(event.data(), event.size());
  REQUIRE_FALSE(doc.HasParseError());
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(doc);
  if (!v) return "<missing>";
  if (v->IsString()) return v->GetString();
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsNull()) return "null";
  if (v->IsArray()) return "[" + std::to_string(v->Size()) + "]";
  return "<other>";
}

SessionSettings Settings() {
  SessionSettings settings;
  settings.instructions = "Be brief.";
  settings.voice = "marin";
  // Realtime's settings, which session.start (strict) must not carry.
  settings.transcription_model = "gpt-live-transcribe";
  settings.turns = SessionSettings::Turns::kDetect;
  return settings;
}

}  // namespace

TEST_CASE("session.start carries the model, instructions, format, voice and delegation",
          "[live_client]") {
  FakeTransport sink;
  LiveClient live("gpt-live-1.1", &sink);
  live.BeginStart(Settings());
  live.SendStart();
  REQUIRE(sink.sent.size() == 1);
  const std::string& start = sink.sent[0];
  CHECK(Field(start, "/type") == "session.start");
  CHECK(Field(start, "/session/model") == "gpt-live-1.1");
  CHECK(Field(start, "/session/instructions") == "Be brief.");
  CHECK(Field(start, "/session/audio/format/type") == "audio/pcm");
  CHECK(Field(start, "/session/audio/format/rate") == "24000");
  CHECK(Field(start, "/session/audio/output/voice") == "marin");
  CHECK(Field(start, "/session/delegation/type") == "client");
  CHECK(Field(start, "/session/input") == "<missing>");  // nothing said yet
  // Only the fields GPT-Live's strict session object knows.
  rapidjson::Document doc;
  doc.Parse(start.data(), start.size());
  for (const auto& member : doc["session"].GetObject()) {
    const std::string key = member.name.GetString();
    INFO(key);
    CHECK((key == "model" || key == "instructions" || key == "audio" || key == "delegation"));
  }
}

TEST_CASE("nothing but session.start before session.started", "[live_client]") {
  FakeTransport sink;
  LiveClient live("gpt-live-1", &sink);
  const int16_t samples[4] = {1, 2, 3, 4};
  live.AppendAudio(samples, 4);  // not even connected
  live.BeginStart(Settings());
  live.AppendAudio(samples, 4);
  live.SendStart();
  live.AppendAudio(samples, 4);
  live.AnswerDelegation("item_dlg_1", "no");
  REQUIRE(sink.sent.size() == 1);
  live.ConfigureSession(Settings());  // the conversation's answer to session.started
  CHECK(sink.sent.size() == 1);       // sends nothing: a session's settings are fixed
  live.AppendAudio(samples, 4);
  REQUIRE(sink.sent.size() == 2);
  CHECK(Field(sink.sent[1], "/type") == "session.input_audio.append");
  CHECK(Field(sink.sent[1], "/audio") == "AQACAAMABAA=");
  live.AppendAudio(samples, 0);  // an empty append is an error on the wire
  CHECK(sink.sent.size() == 2);
}

TEST_CASE("the requests GPT-Live has no event for send nothing", "[live_client]") {
  FakeTransport sink;
  LiveClient live("gpt-live-1", &sink);
  live.BeginStart(Settings());
  live.SendStart();
  live.ConfigureSession(Settings());
  sink.sent.clear();
  live.CommitAudio();
  live.ClearAudio();
  live.AddFunctionCall("call_1", "uptime", "{}", "item_c");
  live.AddToolOutput("call_1", "up", "item_o");
  live.RequestAnswer(Modality::kAudio, "ev", "");
  live.CancelAnswer();
  live.TruncateAnswer("item_a", 100);
  live.AddAssistantText("said", "item_a", true);
  live.AddUserText("replayed", {}, "item_u");  // a resumed conversation's replay: in the start
  CHECK(sink.sent.empty());
  live.AddUserText("typed", "ev", "item_u");  // a typed line: an append that asks for an answer
  REQUIRE(sink.sent.size() == 1);
  CHECK(Field(sink.sent[0], "/type") == "session.commentary.append");
  CHECK(Field(sink.sent[0], "/delegation_id") == "null");
  CHECK(Field(sink.sent[0], "/content") == std::string(kTypedLineRequest) + "typed");
}

TEST_CASE("a delegation is answered with a commentary append", "[live_client]") {
  FakeTransport sink;
  LiveClient live("gpt-live-1", &sink);
  live.BeginStart(Settings());
  live.SendStart();
  live.ConfigureSession(Settings());
  live.AnswerDelegation("item_dlg_1", "I cannot do that.");
  live.AnswerDelegation("", "general");
  REQUIRE(sink.sent.size() == 3);
  CHECK(Field(sink.sent[1], "/type") == "session.commentary.append");
  CHECK(Field(sink.sent[1], "/delegation_id") == "item_dlg_1");
  CHECK(Field(sink.sent[1], "/content") == "I cannot do that.");
  CHECK(Field(sink.sent[2], "/delegation_id") == "null");  // the key is required
}

TEST_CASE("session.close only on a connection that started a session", "[live_client]") {
  FakeTransport sink;
  LiveClient live("gpt-live-1", &sink);
  live.Close();
  CHECK(sink.sent.empty());
  live.BeginStart(Settings());
  live.SendStart();
  live.Close();
  REQUIRE(sink.sent.size() == 2);
  CHECK(sink.sent[1] == R"({"type":"session.close"})");
}

TEST_CASE("the conversation so far goes as input, one text part each", "[live_client]") {
  FakeTransport sink;
  LiveClient live("gpt-live-1", &sink);
  live.BeginStart(Settings());
  live.AddUserText("What's seven times six?", {}, "item_u");
  live.AddAssistantText("Forty-two.", "item_a", /*complete=*/false);
  live.SendStart();
  REQUIRE(sink.sent.size() == 1);
  const std::string& start = sink.sent[0];
  CHECK(Field(start, "/session/input") == "[2]");
  CHECK(Field(start, "/session/input/0/role") == "user");
  CHECK(Field(start, "/session/input/0/content") == "[1]");
  CHECK(Field(start, "/session/input/0/content/0/type") == "input_text");
  CHECK(Field(start, "/session/input/0/content/0/text") == "What's seven times six?");
  CHECK(Field(start, "/session/input/1/role") == "assistant");
  CHECK(Field(start, "/session/input/1/content/0/type") == "output_text");
  // A second connection starts afresh: nothing of the first's input is left.
  live.BeginStart(Settings());
  live.SendStart();
  CHECK(Field(sink.sent[1], "/session/input") == "<missing>");
}

TEST_CASE("input keeps the newest 128 messages within the byte budget", "[live_client]") {
  std::vector<LiveInputMessage> input;
  for (int i = 0; i < 200; ++i) input.push_back({LiveInputMessage::Role::kUser, std::to_string(i)});
  std::string start = EncodeLiveStart("gpt-live-1", {}, input);
  CHECK(Field(start, "/session/input") == "[128]");
  CHECK(Field(start, "/session/input/0/content/0/text") == "72");
  CHECK(Field(start, "/session/input/127/content/0/text") == "199");

  input.clear();
  input.push_back({LiveInputMessage::Role::kUser, std::string(kMaxInputBytes - 10, 'a')});
  input.push_back({LiveInputMessage::Role::kAssistant, std::string(20, 'b')});
  start = EncodeLiveStart("gpt-live-1", {}, input);
  CHECK(Field(start, "/session/input") == "[1]");  // the oldest went
  // One message over the whole budget keeps its end, as valid UTF-8.
  input = {{LiveInputMessage::Role::kUser, "\xC3\xA9" + std::string(kMaxInputBytes, 'z')}};
  start = EncodeLiveStart("gpt-live-1", {}, input);
  CHECK(Field(start, "/session/input/0/content/0/text").size() == kMaxInputBytes);
}

TEST_CASE("/instructions during a session are appended; a voice cannot change", "[live_client]") {
  FakeTransport sink;
  LiveClient live("gpt-live-1", &sink);
  live.BeginStart(Settings());
  live.SendStart();
  live.ConfigureSession(Settings());  // session.started
  SessionSettings change;
  change.instructions = "Answer in French.";
  live.ConfigureSession(change);
  REQUIRE(sink.sent.size() == 2);
  CHECK(Field(sink.sent[1], "/type") == "session.instructions.append");
  CHECK(Field(sink.sent[1], "/content") == "Answer in French.");
  CHECK(Field(sink.sent[1], "/delegation_id") == "null");
  SessionSettings voice;
  voice.voice = "cedar";
  live.ConfigureSession(voice);
  CHECK(sink.sent.size() == 2);
  // Both are the next session's, whatever its start is given.
  live.BeginStart(Settings());
  live.SendStart();
  CHECK(Field(sink.sent[2], "/session/instructions") == "Answer in French.");
  CHECK(Field(sink.sent[2], "/session/audio/output/voice") == "cedar");
}

TEST_CASE("a delegation id no server would send is not echoed", "[live_client]") {
  FakeTransport sink;
  LiveClient live("gpt-live-1", &sink);
  live.BeginStart(Settings());
  live.SendStart();
  live.ConfigureSession(Settings());
  live.AnswerDelegation(std::string(kMaxDelegationIdBytes + 1, 'x'), "no");
  REQUIRE(sink.sent.size() == 2);
  CHECK(Field(sink.sent[1], "/delegation_id") == "null");  // the words still reach the model
  live.AnswerDelegation(std::string(kMaxDelegationIdBytes, 'x'), "no");
  REQUIRE(sink.sent.size() == 3);
  CHECK(Field(sink.sent[2], "/delegation_id") == std::string(kMaxDelegationIdBytes, 'x'));
}

TEST_CASE("with tools, session.start asks for Responses delegation, and outputs go there",
          "[live_client]") {
  FakeTransport sink;
  LiveClient live("gpt-live-1.1", &sink, "gpt-5.5");
  SessionSettings settings = Settings();
  settings.tools = {{"uptime", "How long it is up.", R"({"type":"object","properties":{}})"}};
  settings.parallel_tool_calls = true;
  live.BeginStart(settings);
  live.AddToolOutput("call_0", "early", "");  // before session.started: nothing
  live.SendStart();
  REQUIRE(sink.sent.size() == 1);
  const std::string& start = sink.sent[0];
  CHECK(Field(start, "/session/delegation/type") == "responses");
  CHECK(Field(start, "/session/delegation/responses/model") == "gpt-5.5");
  CHECK(Field(start, "/session/delegation/responses/tools") == "[1]");
  CHECK(Field(start, "/session/delegation/responses/tools/0/type") == "function");
  CHECK(Field(start, "/session/delegation/responses/tools/0/name") == "uptime");
  CHECK(Field(start, "/session/delegation/responses/tools/0/parameters/type") == "object");
  CHECK(Field(start, "/session/delegation/responses/tool_choice") == "auto");
  CHECK(Field(start, "/session/tools") == "<missing>");  // the voice model has no tools
  live.ConfigureSession(settings);
  CHECK(live.tools_delegated());
  live.AddToolOutput("call_1", "{\"exit_code\":0}", "voxterm_output_1");
  live.ContinueDelegation();
  REQUIRE(sink.sent.size() == 3);
  CHECK(Field(sink.sent[1], "/type") == "response.item.create");
  CHECK(Field(sink.sent[1], "/item/type") == "function_call_output");
  CHECK(Field(sink.sent[1], "/item/call_id") == "call_1");
  CHECK(Field(sink.sent[1], "/item/output") == "{\"exit_code\":0}");
  CHECK(Field(sink.sent[1], "/item/id") == "<missing>");
  CHECK(sink.sent[2] == R"({"type":"response.create"})");
}

TEST_CASE("without tools, or without a backend model, the delegation stays the client's",
          "[live_client]") {
  for (const char* delegate : {"gpt-5.5", ""}) {
    FakeTransport sink;
    LiveClient live("gpt-live-1.1", &sink, delegate);
    SessionSettings settings = Settings();
    if (*delegate == '\0') settings.tools = {{"uptime", "", R"({"type":"object"})"}};
    live.BeginStart(settings);
    live.SendStart();
    live.ConfigureSession(settings);
    CHECK(Field(sink.sent[0], "/session/delegation/type") == "client");
    CHECK_FALSE(live.tools_delegated());
    live.AddToolOutput("call_1", "x", "");
    live.ContinueDelegation();
    CHECK(sink.sent.size() == 1);  // Responses events need Responses delegation
  }
}

TEST_CASE("push-to-talk: a session starts muted, and takes unmute it", "[live_client]") {
  FakeTransport sink;
  LiveClient live("gpt-live-1.1", &sink);
  SessionSettings settings = Settings();
  settings.turns = SessionSettings::Turns::kOff;  // the keys take the turns
  live.BeginStart(settings);
  live.MuteInput(false);  // before session.started: nothing
  live.SendStart();
  live.ConfigureSession(settings);
  live.MuteInput(true);  // muted already: nothing more
  live.MuteInput(false);
  live.MuteInput(false);
  live.MuteInput(true);
  CHECK(sink.SentTypes() == std::vector<std::string>{"session.start", "session.input_audio.mute",
                                                     "session.input_audio.unmute",
                                                     "session.input_audio.mute"});
  // A new session is unmuted until it starts, then muted again.
  live.BeginStart(settings);
  live.SendStart();
  live.ConfigureSession(settings);
  CHECK(sink.SentTypes().back() == "session.input_audio.mute");
}
