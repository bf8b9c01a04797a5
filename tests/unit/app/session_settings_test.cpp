#include "app/session_settings.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace voxterm;

TEST_CASE("the default session outlives the retirements", "[session_settings]") {
  Config config;
  CHECK(config.model == "gpt-realtime-2.1");
  CHECK(VoiceSessionSettings(config).transcription_model == "gpt-live-transcribe");
  config.dialect = Dialect::kBeta;
  CHECK(VoiceSessionSettings(config).transcription_model == "gpt-4o-mini-transcribe");
  config.transcribe = {Transcription::Kind::kModel,
                       "gpt-live-transcribe"};  // asked for: sent as it is, in beta too
  CHECK(VoiceSessionSettings(config).transcription_model == "gpt-live-transcribe");
  config.transcribe.kind = Transcription::Kind::kOff;
  CHECK(VoiceSessionSettings(config).transcription_model.empty());
}

TEST_CASE("the config's session fields reach the settings of each mode", "[session_settings]") {
  Config config;
  config.noise_reduction = NoiseReduction::kNearField;
  config.speed = 1.5;
  config.idle_timeout_ms = 6000;
  config.transcribe_language = "en";
  config.transcribe_prompt = "p";
  config.max_output_tokens = 10;
  config.reasoning_effort = ReasoningEffort::kHigh;
  SessionSettings voice = VoiceSessionSettings(config);
  CHECK(voice.noise_reduction == NoiseReduction::kNearField);
  CHECK(voice.speed == 1.5);
  CHECK(voice.turn_detection.idle_timeout_ms == 6000);
  CHECK(voice.transcription_language == "en");
  CHECK(voice.transcription_prompt == "p");
  CHECK(voice.max_output_tokens == 10);
  CHECK(voice.reasoning_effort == ReasoningEffort::kHigh);
  SessionSettings text = TextSessionSettings(config);
  CHECK(text.output == Modality::kText);
  CHECK(text.max_output_tokens == 10);
  CHECK(text.reasoning_effort == ReasoningEffort::kHigh);
  CHECK(text.noise_reduction == NoiseReduction::kLeaveDefault);  // no microphone
  CHECK(text.transcription_model.empty());
}

TEST_CASE("parallel tool calls: on for reasoning models, else as the config says",
          "[session_settings]") {
  CHECK(IsReasoningModel("gpt-realtime-2"));
  CHECK(IsReasoningModel("gpt-realtime-2.1"));
  CHECK(IsReasoningModel("gpt-realtime-2.1-mini"));
  CHECK(IsReasoningModel("gpt-realtime-2-2026-05-01"));
  CHECK_FALSE(IsReasoningModel("gpt-realtime"));
  CHECK_FALSE(IsReasoningModel("gpt-realtime-2025-08-28"));
  CHECK_FALSE(IsReasoningModel("gpt-realtime-mini"));
  CHECK_FALSE(IsReasoningModel("gpt-realtime-1.5"));
  Config config;
  CHECK(TextSessionSettings(config).parallel_tool_calls == true);
  config.model = "gpt-realtime-mini";
  CHECK_FALSE(TextSessionSettings(config).parallel_tool_calls.has_value());
  config.parallel_tool_calls = true;
  CHECK(TextSessionSettings(config).parallel_tool_calls == true);
  config.model = "gpt-realtime-2.1";
  config.parallel_tool_calls = false;
  CHECK(TextSessionSettings(config).parallel_tool_calls == false);
}

TEST_CASE("settings a dialect or the VAD cannot take are refused, by flag and key",
          "[session_settings]") {
  CHECK(CheckSessionOptions(Config()).ok());
  Config beta;
  beta.dialect = Dialect::kBeta;
  beta.noise_reduction = NoiseReduction::kFarField;  // beta has it
  beta.max_output_tokens = kMaxOutputTokensInf;
  CHECK(CheckSessionOptions(beta).ok());
  Config c = beta;
  c.speed = 1.1;
  CHECK(CheckSessionOptions(c).message() ==
        "--speed (\"speed\") is not in the beta dialect's session (GA only: --dialect ga)");
  c = beta;
  c.reasoning_effort = ReasoningEffort::kLow;
  CHECK_FALSE(CheckSessionOptions(c).ok());
  c = beta;
  c.parallel_tool_calls = false;
  CHECK_FALSE(CheckSessionOptions(c).ok());
  c = Config();
  c.vad_eagerness = VadEagerness::kHigh;
  CHECK(CheckSessionOptions(c).message() ==
        "--vad-eagerness (\"vad_eagerness\") is for --vad semantic, not --vad server");
  c.vad = Vad::kSemantic;
  CHECK(CheckSessionOptions(c).ok());
  c.idle_timeout_ms = 5000;
  CHECK_FALSE(CheckSessionOptions(c).ok());
  c = Config();
  c.transcribe.kind = Transcription::Kind::kOff;
  c.transcribe_prompt = "x";
  CHECK(CheckSessionOptions(c).message() ==
        "--transcribe-prompt (\"transcribe_prompt\") needs transcription, which --transcribe off "
        "turns off");
}

TEST_CASE("a number out of range, NaN and the infinities included, is refused",
          "[session_settings]") {
  // Whatever set it: the flags and the file refuse them first, this is the last check.
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(), -1.0, 1.6}) {
    Config c;
    c.vad_threshold = bad;
    CHECK(CheckSessionOptions(c).message() ==
          "--vad-threshold (\"vad_threshold\") must be a number from 0 to 1");
    c = Config();
    c.speed = bad;
    CHECK(CheckSessionOptions(c).message() ==
          "--speed (\"speed\") must be a number from 0.25 to 1.5");
  }
  Config c;
  c.vad_threshold = 0;
  c.speed = 0;  // not sent
  CHECK(CheckSessionOptions(c).ok());
}

TEST_CASE("models known not to reason, and the ones voxterm cannot tell", "[session_settings]") {
  for (const char* model : {"gpt-realtime", "gpt-realtime-2025-08-28", "gpt-realtime-mini",
                            "gpt-realtime-mini-2025-10-06", "gpt-realtime-1.5",
                            "gpt-4o-realtime-preview", "gpt-4o-mini-realtime-preview-2024-12-17"}) {
    CHECK(IsKnownNotReasoningModel(model));
    CHECK_FALSE(IsReasoningModel(model));
  }
  for (const char* model : {"gpt-realtime-2", "gpt-realtime-2.1", "gpt-realtime-2.1-mini",
                            "gpt-realtime-2-2026-05-01"}) {
    CHECK_FALSE(IsKnownNotReasoningModel(model));
    CHECK(IsReasoningModel(model));
  }
  for (const char* model :
       {"my-deployment", "gpt-realtime-3", "gpt-realtime-minimal", "gpt-4o", ""}) {
    CHECK_FALSE(IsKnownNotReasoningModel(model));
  }
}
