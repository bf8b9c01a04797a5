// Prints one of every client event voxterm can send, in both dialects, as JSON lines
// {"dialect":"ga","event":{...}}, for tests/integration/test_client_schema.py to validate
// against OpenAI's schema. Settings are chosen to exercise every optional part.
#include <cstdio>
#include <string>

#include "protocol/client_events.h"

using namespace voxterm;

namespace {

void Print(Dialect dialect, const std::string& event) {
  printf("{\"dialect\":\"%s\",\"event\":%s}\n", ToString(dialect), event.c_str());
}

}  // namespace

int main() {
  for (Dialect dialect : {Dialect::kGa, Dialect::kBeta}) {
    SessionSettings voice;
    voice.output = Modality::kAudio;
    voice.instructions = "Be brief.";
    voice.voice = "marin";
    voice.transcription_model = "gpt-live-transcribe";
    voice.turns = SessionSettings::Turns::kDetect;
    voice.tools.push_back(
        {"disk_usage", "Disk usage of a directory.",
         R"({"type":"object","properties":{"path":{"type":"string"}},"required":["path"]})"});
    Print(dialect, EncodeSessionUpdate(dialect, voice));
    // Every optional session field (the encoder leaves out what beta does not have).
    voice.transcription_language = "en";
    voice.transcription_prompt = "Expect words about terminals.";
    voice.noise_reduction = NoiseReduction::kNearField;
    voice.speed = 1.5;
    voice.turn_detection.idle_timeout_ms = 5000;
    voice.max_output_tokens = 4096;
    voice.reasoning_effort = ReasoningEffort::kMinimal;
    voice.parallel_tool_calls = true;
    Print(dialect, EncodeSessionUpdate(dialect, voice));
    voice.turn_detection.type = TurnDetection::Type::kSemanticVad;
    voice.turn_detection.eagerness = VadEagerness::kAuto;
    voice.noise_reduction = NoiseReduction::kOff;
    voice.max_output_tokens = kMaxOutputTokensInf;
    Print(dialect, EncodeSessionUpdate(dialect, voice));
    SessionSettings text;
    text.output = Modality::kText;
    text.turns = SessionSettings::Turns::kOff;
    Print(dialect, EncodeSessionUpdate(dialect, text));
    Print(dialect, EncodeSessionUpdate(dialect, SessionSettings()));

    Print(dialect, EncodeUserText("Name a prime number.", "voxterm_item_1"));
    Print(dialect, EncodeAssistantText(dialect, "Seven."));
    Print(dialect, EncodeFunctionCall("call_C1", "get_weather", R"({"city":"Oslo"})"));
    Print(dialect,
          EncodeFunctionCallOutput("call_C1", R"({"exit_code":0,"stdout":"4C","stderr":""})"));
    Print(dialect, EncodeResponseCreate(dialect, Modality::kText, "voxterm_response_1"));
    Print(dialect, EncodeResponseCreate(dialect, Modality::kAudio));
    Print(dialect, EncodeResponseCreate(dialect, std::nullopt));
    // A replay after a reconnect: items with voxterm's ids, an answer cut off, and the request
    // that asks it to go on.
    Print(dialect, EncodeUserText("Name a prime number.", "voxterm_item_1", "voxterm_user_1"));
    Print(dialect, EncodeAssistantText(dialect, "Sev", "item_A1", /*complete=*/false));
    Print(dialect, EncodeFunctionCall("call_C1", "get_weather", R"({"city":"Oslo"})", "item_C1"));
    Print(dialect, EncodeFunctionCallOutput("call_C1", "{}", "voxterm_output_1"));
    Print(dialect, EncodeResponseCreate(dialect, Modality::kText, "voxterm_response_2", "Go on."));
    Print(dialect, EncodeResponseCreate(dialect, std::nullopt, {}, "Go on."));
    Print(dialect, EncodeResponseCancel());
    const int16_t samples[480] = {1, -1, 300};
    Print(dialect, EncodeAudioAppend(samples, 480));
    Print(dialect, EncodeAudioCommit());
    Print(dialect, EncodeAudioClear());
    Print(dialect, EncodeTruncate("item_A1", 1500));
  }
  return 0;
}
