// LiveClient: session.start first, with the conversation so far as `input` within its limits;
// nothing else before session.started; audio as session.input_audio.append; the requests
// GPT-Live has no event for send nothing, and never a Realtime event.
#include "protocol/live_client.h"

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "fakes/fake_transport.h"
#include "util/utf8.h"

using namespace voxterm;

namespace {

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
  CHECK(SentField(start, "/type") == "session.start");
  CHECK(SentField(start, "/session/model") == "gpt-live-1.1");
  CHECK(SentField(start, "/session/instructions") == "Be brief.");
  CHECK(SentField(start, "/session/audio/format/type") == "audio/pcm");
  CHECK(SentField(start, "/session/audio/format/rate") == "24000");
  CHECK(SentField(start, "/session/audio/output/voice") == "marin");
  CHECK(SentField(start, "/session/delegation/type") == "client");
  CHECK(SentField(start, "/session/input") == "<missing>");  // nothing said yet
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
  CHECK(SentField(sink.sent[1], "/type") == "session.input_audio.append");
  CHECK(SentField(sink.sent[1], "/audio") == "AQACAAMABAA=");
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
  CHECK(SentField(sink.sent[0], "/type") == "session.commentary.append");
  CHECK(SentField(sink.sent[0], "/delegation_id") == "null");
  CHECK(SentField(sink.sent[0], "/content") == std::string(kTypedLineRequest) + "typed");
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
  CHECK(SentField(sink.sent[1], "/type") == "session.commentary.append");
  CHECK(SentField(sink.sent[1], "/delegation_id") == "item_dlg_1");
  CHECK(SentField(sink.sent[1], "/content") == "I cannot do that.");
  CHECK(SentField(sink.sent[2], "/delegation_id") == "null");  // the key is required
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
  CHECK(SentField(start, "/session/input") == "[2]");
  CHECK(SentField(start, "/session/input/0/role") == "user");
  CHECK(SentField(start, "/session/input/0/content") == "[1]");
  CHECK(SentField(start, "/session/input/0/content/0/type") == "input_text");
  CHECK(SentField(start, "/session/input/0/content/0/text") == "What's seven times six?");
  CHECK(SentField(start, "/session/input/1/role") == "assistant");
  CHECK(SentField(start, "/session/input/1/content/0/type") == "output_text");
  // A second connection starts afresh: nothing of the first's input is left.
  live.BeginStart(Settings());
  live.SendStart();
  CHECK(SentField(sink.sent[1], "/session/input") == "<missing>");
}

TEST_CASE("input keeps the newest 128 messages within the byte budget", "[live_client]") {
  std::vector<LiveInputMessage> input;
  for (int i = 0; i < 200; ++i) input.push_back({LiveInputMessage::Role::kUser, std::to_string(i)});
  std::string start = EncodeLiveStart("gpt-live-1", {}, input);
  CHECK(SentField(start, "/session/input") == "[128]");
  CHECK(SentField(start, "/session/input/0/content/0/text") == "72");
  CHECK(SentField(start, "/session/input/127/content/0/text") == "199");

  input.clear();
  input.push_back({LiveInputMessage::Role::kUser, std::string(kMaxInputBytes - 10, 'a')});
  input.push_back({LiveInputMessage::Role::kAssistant, std::string(20, 'b')});
  start = EncodeLiveStart("gpt-live-1", {}, input);
  CHECK(SentField(start, "/session/input") == "[2]");  // the oldest's end, in the room left
  CHECK(SentField(start, "/session/input/0/content/0/text").size() == kMaxInputBytes - 20);
  // One message over the whole budget keeps its end, as valid UTF-8.
  input = {{LiveInputMessage::Role::kUser, "\xC3\xA9" + std::string(kMaxInputBytes, 'z')}};
  start = EncodeLiveStart("gpt-live-1", {}, input);
  CHECK(SentField(start, "/session/input/0/content/0/text").size() == kMaxInputBytes);
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
  CHECK(SentField(sink.sent[1], "/type") == "session.instructions.append");
  CHECK(SentField(sink.sent[1], "/content") == "Answer in French.");
  CHECK(SentField(sink.sent[1], "/delegation_id") == "null");
  SessionSettings voice;
  voice.voice = "cedar";
  live.ConfigureSession(voice);
  CHECK(sink.sent.size() == 2);
  // Both are the next session's, whatever its start is given.
  live.BeginStart(Settings());
  live.SendStart();
  CHECK(SentField(sink.sent[2], "/session/instructions") == "Answer in French.");
  CHECK(SentField(sink.sent[2], "/session/audio/output/voice") == "cedar");
}

TEST_CASE("a delegation id no server would send is not echoed", "[live_client]") {
  FakeTransport sink;
  LiveClient live("gpt-live-1", &sink);
  live.BeginStart(Settings());
  live.SendStart();
  live.ConfigureSession(Settings());
  live.AnswerDelegation(std::string(kMaxDelegationIdBytes + 1, 'x'), "no");
  REQUIRE(sink.sent.size() == 2);
  CHECK(SentField(sink.sent[1], "/delegation_id") == "null");  // the words still reach the model
  live.AnswerDelegation(std::string(kMaxDelegationIdBytes, 'x'), "no");
  REQUIRE(sink.sent.size() == 3);
  CHECK(SentField(sink.sent[2], "/delegation_id") == std::string(kMaxDelegationIdBytes, 'x'));
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
  CHECK(SentField(start, "/session/delegation/type") == "responses");
  CHECK(SentField(start, "/session/delegation/responses/model") == "gpt-5.5");
  CHECK(SentField(start, "/session/delegation/responses/tools") == "[1]");
  CHECK(SentField(start, "/session/delegation/responses/tools/0/type") == "function");
  CHECK(SentField(start, "/session/delegation/responses/tools/0/name") == "uptime");
  CHECK(SentField(start, "/session/delegation/responses/tools/0/parameters/type") == "object");
  CHECK(SentField(start, "/session/delegation/responses/tool_choice") == "auto");
  CHECK(SentField(start, "/session/tools") == "<missing>");  // the voice model has no tools
  live.ConfigureSession(settings);
  CHECK(live.tools_delegated());
  live.AddToolOutput("call_1", "{\"exit_code\":0}", "voxterm_output_1");
  live.ContinueDelegation();
  REQUIRE(sink.sent.size() == 3);
  CHECK(SentField(sink.sent[1], "/type") == "response.item.create");
  CHECK(SentField(sink.sent[1], "/item/type") == "function_call_output");
  CHECK(SentField(sink.sent[1], "/item/call_id") == "call_1");
  CHECK(SentField(sink.sent[1], "/item/output") == "{\"exit_code\":0}");
  CHECK(SentField(sink.sent[1], "/item/id") == "<missing>");
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
    CHECK(SentField(sink.sent[0], "/session/delegation/type") == "client");
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

namespace {

// The texts of session.start's input, oldest first, and their bytes in all.
std::vector<std::string> InputTexts(const std::string& start, size_t* bytes) {
  rapidjson::Document doc;
  doc.Parse(start.data(), start.size());
  REQUIRE_FALSE(doc.HasParseError());
  std::vector<std::string> texts;
  *bytes = 0;
  const rapidjson::Value* input = rapidjson::Pointer("/session/input").Get(doc);
  if (!input) return texts;
  for (const auto& message : input->GetArray()) {
    const rapidjson::Value& text = message["content"][0]["text"];
    texts.emplace_back(text.GetString(), text.GetStringLength());
    *bytes += texts.back().size();
  }
  return texts;
}

std::vector<LiveInputMessage> Messages(const std::vector<std::string>& texts) {
  std::vector<LiveInputMessage> input;
  for (size_t i = 0; i < texts.size(); ++i) {
    input.push_back(
        {i % 2 ? LiveInputMessage::Role::kAssistant : LiveInputMessage::Role::kUser, texts[i]});
  }
  return input;
}

bool EndsWith(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

}  // namespace

TEST_CASE("a message over the input budget still leaves the newest context that fits",
          "[live_client]") {
  const std::string huge = "start " + std::string(kMaxInputBytes * 2, 'x') + " the end";
  size_t bytes = 0;
  SECTION("newest") {
    const auto texts = InputTexts(EncodeLiveStart("m", {}, Messages({"hi", "ok", huge})), &bytes);
    REQUIRE(texts.size() == 1);
    CHECK(EndsWith(texts[0], " the end"));
    CHECK(bytes == kMaxInputBytes);
  }
  SECTION("oldest: the newer messages, and the end of it in the room they leave") {
    const auto texts = InputTexts(EncodeLiveStart("m", {}, Messages({huge, "ok", "and?"})), &bytes);
    REQUIRE(texts.size() == 3);
    CHECK(EndsWith(texts[0], " the end"));
    CHECK(texts[1] == "ok");
    CHECK(texts[2] == "and?");
    CHECK(bytes == kMaxInputBytes);
  }
  SECTION("in the middle: what is older than it goes") {
    const auto texts =
        InputTexts(EncodeLiveStart("m", {}, Messages({"first", huge, "last"})), &bytes);
    REQUIRE(texts.size() == 2);
    CHECK(EndsWith(texts[0], " the end"));
    CHECK(texts[1] == "last");
    CHECK(bytes == kMaxInputBytes);
  }
}

TEST_CASE("input is cut between characters, never inside one", "[live_client]") {
  // 2-, 3- and 4-byte characters, offset so that the budget's edge falls inside one of each.
  for (const std::string ch : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
    for (size_t offset = 0; offset < ch.size(); ++offset) {
      std::string text;
      while (text.size() < kMaxInputBytes + 8) text += ch;
      text += std::string(offset, 'a');  // the budget's start, from the end, moves by offset
      INFO("character of " << ch.size() << " bytes, offset " << offset);
      size_t bytes = 0;
      const auto texts = InputTexts(EncodeLiveStart("m", {}, Messages({"hi", text})), &bytes);
      REQUIRE(texts.size() == 1);
      CHECK(IsValidUtf8(texts[0]));
      CHECK(texts[0].find("\xEF\xBF\xBD") == std::string::npos);  // no U+FFFD: nothing was cut
      CHECK(texts[0].compare(0, ch.size(), ch) == 0);
      CHECK(bytes <= kMaxInputBytes);
      CHECK(bytes > kMaxInputBytes - ch.size());
    }
  }
}
