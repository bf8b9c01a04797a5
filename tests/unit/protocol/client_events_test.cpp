// Shape checks per dialect. Validation against OpenAI's schema of every kind of event is in
// tests/integration/test_client_schema.py (the schema is JSON Schema 2020-12, which RapidJSON's
// validator does not read).
#include "protocol/client_events.h"

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <catch2/catch.hpp>
#include <limits>

#include "protocol/json_write.h"
#include "util/base64.h"

using namespace voxterm;

namespace {

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());  // with its length: no SSE2 read past the end
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::string At(const rapidjson::Document& doc, const char* pointer) {
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(doc);
  if (!v) return "<missing>";
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsNull()) return "null";
  if (v->IsInt()) return std::to_string(v->GetInt());
  return "<other>";
}

SessionSettings VoiceSettings() {
  SessionSettings s;
  s.output = Modality::kAudio;
  s.instructions = "Be brief.";
  s.voice = "marin";
  s.transcription_model = "gpt-4o-mini-transcribe";
  s.turns = SessionSettings::Turns::kDetect;
  s.tools.push_back({"disk_usage", "Disk usage.", R"({"type":"object","properties":{}})"});
  return s;
}

}  // namespace

TEST_CASE("GA session.update nests audio settings", "[client_events]") {
  auto doc = Json(EncodeSessionUpdate(Dialect::kGa, VoiceSettings()));
  CHECK(At(doc, "/type") == "session.update");
  CHECK(At(doc, "/session/type") == "realtime");
  CHECK(At(doc, "/session/output_modalities/0") == "audio");
  CHECK(At(doc, "/session/output_modalities/1") == "<missing>");
  CHECK(At(doc, "/session/audio/input/format/type") == "audio/pcm");
  CHECK(At(doc, "/session/audio/input/format/rate") == "24000");
  CHECK(At(doc, "/session/audio/input/transcription/model") == "gpt-4o-mini-transcribe");
  CHECK(At(doc, "/session/audio/input/turn_detection/type") == "server_vad");
  CHECK(At(doc, "/session/audio/output/voice") == "marin");
  CHECK(At(doc, "/session/voice") == "<missing>");
  CHECK(At(doc, "/session/tools/0/name") == "disk_usage");
  CHECK(At(doc, "/session/tools/0/parameters/type") == "object");
  CHECK(At(doc, "/session/tool_choice") == "auto");
}

TEST_CASE("beta session.update is flat", "[client_events]") {
  auto doc = Json(EncodeSessionUpdate(Dialect::kBeta, VoiceSettings()));
  CHECK(At(doc, "/session/type") == "<missing>");
  CHECK(At(doc, "/session/modalities/0") == "text");
  CHECK(At(doc, "/session/modalities/1") == "audio");
  CHECK(At(doc, "/session/voice") == "marin");
  CHECK(At(doc, "/session/input_audio_format") == "pcm16");
  CHECK(At(doc, "/session/input_audio_transcription/model") == "gpt-4o-mini-transcribe");
  CHECK(At(doc, "/session/turn_detection/type") == "server_vad");
}

TEST_CASE("turn detection can be turned off with null", "[client_events]") {
  SessionSettings s;
  s.turns = SessionSettings::Turns::kOff;
  CHECK(At(Json(EncodeSessionUpdate(Dialect::kGa, s)), "/session/audio/input/turn_detection") ==
        "null");
  CHECK(At(Json(EncodeSessionUpdate(Dialect::kBeta, s)), "/session/turn_detection") == "null");
  s.turns = SessionSettings::Turns::kLeaveDefault;
  CHECK(At(Json(EncodeSessionUpdate(Dialect::kGa, s)), "/session/audio/input/turn_detection") ==
        "<missing>");
}

TEST_CASE("text from the user is escaped, never spliced", "[client_events]") {
  const std::string hostile = "quote\" backslash\\ newline\n nul? \x01 {\"type\":\"x\"} é";
  auto doc = Json(EncodeUserText(hostile, "id1"));
  CHECK(At(doc, "/type") == "conversation.item.create");
  CHECK(At(doc, "/event_id") == "id1");
  CHECK(At(doc, "/item/role") == "user");
  CHECK(At(doc, "/item/content/0/type") == "input_text");
  CHECK(At(doc, "/item/content/0/text") == hostile);
}

TEST_CASE("a user message carries its images after the text, as data URLs",
          "[client_events][image]") {
  InputImage png;
  png.data_url = ImageDataUrl(ImageType::kPng, std::string("\x89PNG\r\n\x1a\n\x00\x01", 10));
  InputImage gif;
  gif.data_url = ImageDataUrl(ImageType::kGif, "GIF89a");
  auto doc = Json(EncodeUserMessage("What is this?", {png, gif}, "ev_1", "item_u"));
  CHECK(At(doc, "/type") == "conversation.item.create");
  CHECK(At(doc, "/event_id") == "ev_1");
  CHECK(At(doc, "/item/id") == "item_u");
  CHECK(At(doc, "/item/role") == "user");
  CHECK(At(doc, "/item/content/0/type") == "input_text");
  CHECK(At(doc, "/item/content/0/text") == "What is this?");
  CHECK(At(doc, "/item/content/1/type") == "input_image");
  CHECK(At(doc, "/item/content/1/image_url") == png.data_url);
  CHECK(At(doc, "/item/content/1/detail") == "auto");
  CHECK(At(doc, "/item/content/2/image_url") == "data:image/gif;base64,R0lGODlh");
  CHECK(At(doc, "/item/content/3/type") == "<missing>");
}

TEST_CASE("a user message of an image alone has no text part", "[client_events][image]") {
  InputImage jpeg;
  jpeg.data_url = ImageDataUrl(ImageType::kJpeg, "\xff\xd8\xff");
  auto doc = Json(EncodeUserMessage("", {jpeg}));
  CHECK(At(doc, "/item/content/0/type") == "input_image");
  CHECK(At(doc, "/item/content/0/image_url") == "data:image/jpeg;base64,/9j/");
  CHECK(At(doc, "/item/content/1/type") == "<missing>");
  // Without images it is the text message it always was.
  CHECK(EncodeUserMessage("hi", {}, "e", "i") == EncodeUserText("hi", "e", "i"));
}

TEST_CASE("response.create names the modality in each dialect's words", "[client_events]") {
  CHECK(At(Json(EncodeResponseCreate(Dialect::kGa, Modality::kText)),
           "/response/output_modalities/0") == "text");
  CHECK(At(Json(EncodeResponseCreate(Dialect::kBeta, Modality::kText)), "/response/modalities/0") ==
        "text");
  CHECK(At(Json(EncodeResponseCreate(Dialect::kGa, std::nullopt)), "/response") == "<missing>");
}

TEST_CASE("assistant history uses each dialect's content type", "[client_events]") {
  CHECK(At(Json(EncodeAssistantText(Dialect::kGa, "hi")), "/item/content/0/type") == "output_text");
  CHECK(At(Json(EncodeAssistantText(Dialect::kBeta, "hi")), "/item/content/0/type") == "text");
}

TEST_CASE("audio appends carry the samples as base64 little-endian PCM", "[client_events]") {
  const int16_t samples[] = {0, 1, -1, 32767, -32768};
  auto doc = Json(EncodeAudioAppend(samples, 5));
  CHECK(At(doc, "/type") == "input_audio_buffer.append");
  auto bytes = Base64Decode(At(doc, "/audio"));
  REQUIRE(bytes.has_value());
  CHECK(*bytes == std::string("\x00\x00\x01\x00\xff\xff\xff\x7f\x00\x80", 10));
}

TEST_CASE("truncate never asks for a negative position", "[client_events]") {
  auto doc = Json(EncodeTruncate("item_A1", -5));
  CHECK(At(doc, "/item_id") == "item_A1");
  CHECK(At(doc, "/content_index") == "0");
  CHECK(At(doc, "/audio_end_ms") == "0");
}

TEST_CASE("every control character is escaped, wherever it falls in a long string",
          "[client_events]") {
  // RapidJSON 1.1.0's SSE2 string scan for Writer<StringBuffer> let 0x1A..0x1F through raw in
  // its 16-byte blocks (protocol/json_write.h): this fails with that writer.
  for (int c = 0; c < 0x20; ++c) {
    for (size_t at = 0; at < 48; ++at) {
      std::string text(64, 'x');
      text[at] = static_cast<char>(c);
      const std::string json = EncodeUserText(text);
      for (unsigned char b : json) REQUIRE(b >= 0x20);
      CHECK(At(Json(json), "/item/content/0/text") == text);
    }
  }
}

TEST_CASE("strings that are not UTF-8 go out repaired, with U+FFFD", "[client_events]") {
  const std::string r = "\xef\xbf\xbd";
  CHECK(At(Json(EncodeUserText("bad \xff line \xe2\x82")), "/item/content/0/text") ==
        "bad " + r + " line " + r);
  SessionSettings s = VoiceSettings();
  s.instructions = "caf\xe9";
  s.tools[0].description = "d\xc0";
  s.tools[0].parameters_json = "{\"type\":\"object\",\"description\":\"\xff\"}";
  const rapidjson::Document doc = Json(EncodeSessionUpdate(Dialect::kGa, s));
  CHECK(At(doc, "/session/instructions") == "caf" + r);
  CHECK(At(doc, "/session/tools/0/description") == "d" + r);
  CHECK(At(doc, "/session/tools/0/parameters/description") == r);
  CHECK(At(Json(EncodeFunctionCallOutput("c1", "out \x80")), "/item/output") == "out " + r);
}

namespace {

// Every optional session field set, for the dialect tests below.
SessionSettings AllFields() {
  SessionSettings s = VoiceSettings();
  s.transcription_language = "de";
  s.transcription_prompt = "Terms: voxterm, PortAudio.";
  s.noise_reduction = NoiseReduction::kFarField;
  s.speed = 1.25;
  s.turn_detection.idle_timeout_ms = 7000;
  s.max_output_tokens = 512;
  s.reasoning_effort = ReasoningEffort::kXhigh;
  s.parallel_tool_calls = true;
  return s;
}

double Number(const rapidjson::Document& doc, const char* pointer) {
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(doc);
  return v && v->IsNumber() ? v->GetDouble() : -1;
}

}  // namespace

TEST_CASE("GA session.update carries every session field where the schema puts it",
          "[client_events]") {
  auto doc = Json(EncodeSessionUpdate(Dialect::kGa, AllFields()));
  CHECK(At(doc, "/session/audio/input/transcription/language") == "de");
  CHECK(At(doc, "/session/audio/input/transcription/prompt") == "Terms: voxterm, PortAudio.");
  CHECK(At(doc, "/session/audio/input/noise_reduction/type") == "far_field");
  CHECK(Number(doc, "/session/audio/output/speed") == 1.25);
  CHECK(At(doc, "/session/audio/input/turn_detection/idle_timeout_ms") == "7000");
  CHECK(At(doc, "/session/max_output_tokens") == "512");
  CHECK(At(doc, "/session/reasoning/effort") == "xhigh");
  const rapidjson::Value* parallel = rapidjson::Pointer("/session/parallel_tool_calls").Get(doc);
  REQUIRE(parallel);
  CHECK(parallel->IsBool());
  CHECK(parallel->GetBool());
}

TEST_CASE("beta session.update carries the fields beta has, flat, and leaves out the rest",
          "[client_events]") {
  auto doc = Json(EncodeSessionUpdate(Dialect::kBeta, AllFields()));
  CHECK(At(doc, "/session/input_audio_transcription/language") == "de");
  CHECK(At(doc, "/session/input_audio_transcription/prompt") == "Terms: voxterm, PortAudio.");
  CHECK(At(doc, "/session/input_audio_noise_reduction/type") == "far_field");
  CHECK(At(doc, "/session/max_response_output_tokens") == "512");
  CHECK(At(doc, "/session/max_output_tokens") == "<missing>");
  CHECK(At(doc, "/session/speed") == "<missing>");
  CHECK(At(doc, "/session/turn_detection/idle_timeout_ms") == "<missing>");
  CHECK(At(doc, "/session/reasoning") == "<missing>");
  CHECK(At(doc, "/session/parallel_tool_calls") == "<missing>");
}

TEST_CASE("unset session fields are not sent", "[client_events]") {
  for (Dialect d : {Dialect::kGa, Dialect::kBeta}) {
    const std::string json = EncodeSessionUpdate(d, VoiceSettings());
    for (const char* word :
         {"noise_reduction", "speed", "idle_timeout_ms", "eagerness", "max_output_tokens",
          "max_response_output_tokens", "reasoning", "parallel_tool_calls", "language", "prompt"}) {
      INFO(ToString(d) << " " << word);
      CHECK(json.find(word) == std::string::npos);
    }
  }
}

TEST_CASE("noise reduction off is null, max_output_tokens inf a string", "[client_events]") {
  SessionSettings s;
  s.noise_reduction = NoiseReduction::kOff;
  s.max_output_tokens = kMaxOutputTokensInf;
  auto ga = Json(EncodeSessionUpdate(Dialect::kGa, s));
  CHECK(At(ga, "/session/audio/input/noise_reduction") == "null");
  CHECK(At(ga, "/session/max_output_tokens") == "inf");
  auto beta = Json(EncodeSessionUpdate(Dialect::kBeta, s));
  CHECK(At(beta, "/session/input_audio_noise_reduction") == "null");
  CHECK(At(beta, "/session/max_response_output_tokens") == "inf");
}

TEST_CASE("semantic VAD sends its eagerness and no server_vad fields", "[client_events]") {
  SessionSettings s = AllFields();
  s.turn_detection.type = TurnDetection::Type::kSemanticVad;
  s.turn_detection.eagerness = VadEagerness::kHigh;
  auto ga = Json(EncodeSessionUpdate(Dialect::kGa, s));
  CHECK(At(ga, "/session/audio/input/turn_detection/type") == "semantic_vad");
  CHECK(At(ga, "/session/audio/input/turn_detection/eagerness") == "high");
  CHECK(At(ga, "/session/audio/input/turn_detection/idle_timeout_ms") == "<missing>");
  CHECK(At(ga, "/session/audio/input/turn_detection/threshold") == "<missing>");
  auto beta = Json(EncodeSessionUpdate(Dialect::kBeta, s));
  CHECK(At(beta, "/session/turn_detection/eagerness") == "high");
}

TEST_CASE("parallel_tool_calls goes out only with tools", "[client_events]") {
  SessionSettings s;
  s.parallel_tool_calls = false;
  CHECK(At(Json(EncodeSessionUpdate(Dialect::kGa, s)), "/session/parallel_tool_calls") ==
        "<missing>");
  s.tools.push_back({"t", "", R"({"type":"object"})"});
  const rapidjson::Document doc = Json(EncodeSessionUpdate(Dialect::kGa, s));
  const rapidjson::Value* v = rapidjson::Pointer("/session/parallel_tool_calls").Get(doc);
  REQUIRE(v);
  CHECK(v->IsFalse());
}

TEST_CASE("session option words parse to the schema's values and back", "[client_events]") {
  CHECK(ParseNoiseReduction("near_field") == NoiseReduction::kNearField);
  CHECK(ParseNoiseReduction("off") == NoiseReduction::kOff);
  CHECK_FALSE(ParseNoiseReduction("nearfield"));
  CHECK(std::string(ToString(NoiseReduction::kFarField)) == "far_field");
  CHECK(ParseVadEagerness("auto") == VadEagerness::kAuto);
  CHECK_FALSE(ParseVadEagerness("eager"));
  CHECK(ParseReasoningEffort("minimal") == ReasoningEffort::kMinimal);
  CHECK(std::string(ToString(ReasoningEffort::kXhigh)) == "xhigh");
  CHECK_FALSE(ParseReasoningEffort("none"));
  CHECK(ParseMaxOutputTokens("inf") == kMaxOutputTokensInf);
  CHECK(ParseMaxOutputTokens("1") == 1);
  CHECK(ParseMaxOutputTokens("4096") == 4096);
  for (const char* bad : {"0", "4097", "-1", "", "12a", "+5", "99999", "Inf"}) {
    INFO(bad);
    CHECK_FALSE(ParseMaxOutputTokens(bad));
  }
}

TEST_CASE("a number that is not finite never makes the session's JSON invalid", "[client_events]") {
  // RapidJSON writes nothing for NaN after the key: "threshold":, and the server waits on it.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (Dialect dialect : {Dialect::kGa, Dialect::kBeta}) {
    for (double bad : {nan, inf, -inf}) {
      SessionSettings s = VoiceSettings();
      s.turns = SessionSettings::Turns::kDetect;
      s.turn_detection.threshold = bad;
      s.speed = bad;
      auto doc = Json(EncodeSessionUpdate(dialect, s));  // REQUIREs valid JSON
      const char* td = dialect == Dialect::kGa ? "/session/audio/input/turn_detection"
                                               : "/session/turn_detection";
      CHECK(At(doc, (std::string(td) + "/type").c_str()) == "server_vad");
      CHECK(At(doc, (std::string(td) + "/threshold").c_str()) ==
            "<missing>");  // the server's default
      CHECK(At(doc, "/session/audio/output/speed") == "<missing>");
    }
  }
}

TEST_CASE("JsonWriter writes null for a number JSON cannot hold", "[client_events]") {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  w.Double(std::numeric_limits<double>::quiet_NaN());
  w.Double(-std::numeric_limits<double>::infinity());
  w.Double(0.5);
  w.EndArray();
  CHECK(buffer.str() == "[null,null,0.5]");
}
