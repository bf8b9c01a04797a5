#include "app/session_settings.h"

#include <cctype>
#include <string>

#include "app/api_select.h"
#include "conversation/tool_calls.h"

namespace voxterm {
namespace {

// What every mode sends: the model's settings and the output's.
SessionSettings CommonSettings(const Config& config) {
  SessionSettings s;
  s.instructions = config.instructions;
  s.voice = config.voice;
  s.tools = ToolSpecs(config.tools);
  s.hosted_mcp = config.hosted_mcp_servers;
  s.speed = config.speed;
  s.max_output_tokens = config.max_output_tokens;
  s.reasoning_effort = config.reasoning_effort;
  // Several calls in one response is what reasoning models do best, and what voxterm's tool
  // calls handle; other models do not take the field at all, so it is sent for them only
  // when the config file asks. (On Azure the model is a deployment name: ask there too.)
  if (config.parallel_tool_calls) {
    s.parallel_tool_calls = config.parallel_tool_calls;
  } else if (IsReasoningModel(config.model)) {
    s.parallel_tool_calls = true;
  }
  return s;
}

// "--flag (config key)": how a setting is named in messages, as either may have set it.
std::string Named(const char* flag, const char* key) {
  return std::string(flag) + " (\"" + key + "\")";
}

}  // namespace

std::string TranscriptionModel(const Config& config) {
  if (config.transcribe.kind == Transcription::Kind::kOff) return "";
  if (config.transcribe.kind == Transcription::Kind::kModel) return config.transcribe.model;
  return config.dialect == Dialect::kGa ? kDefaultTranscribeModel : kBetaTranscribeModel;
}

bool IsReasoningModel(std::string_view model) {
  constexpr std::string_view kFamily = "gpt-realtime-2";
  if (model.substr(0, kFamily.size()) != kFamily) return false;
  // gpt-realtime-2, gpt-realtime-2.1, gpt-realtime-2-2026-..., not gpt-realtime-20xx snapshots.
  return model.size() == kFamily.size() || model[kFamily.size()] == '.' ||
         model[kFamily.size()] == '-';
}

bool IsKnownNotReasoningModel(std::string_view model) {
  auto starts = [model](std::string_view prefix) {
    return model.substr(0, prefix.size()) == prefix;
  };
  if (starts("gpt-4o-") || model == "gpt-realtime") return true;
  if (!starts("gpt-realtime-")) return false;
  std::string_view rest = model.substr(std::string_view("gpt-realtime-").size());
  auto rest_starts = [rest](std::string_view prefix) {
    return rest.substr(0, prefix.size()) == prefix;
  };
  // -mini and -mini-<date>, -1.5 and its snapshots, and gpt-realtime's own snapshots
  // (gpt-realtime-2025-08-28: a year, not the reasoning family gpt-realtime-2).
  const bool mini = rest == "mini" || rest_starts("mini-");
  const bool one_five = rest == "1.5" || rest_starts("1.5-");
  const bool dated = rest.size() >= 5 && rest_starts("20") &&
                     isdigit(static_cast<unsigned char>(rest[2])) &&
                     isdigit(static_cast<unsigned char>(rest[3])) && rest[4] == '-';
  return mini || one_five || dated;
}

SessionSettings VoiceSessionSettings(const Config& config) {
  SessionSettings s = CommonSettings(config);
  s.output = Modality::kAudio;
  s.transcription_model = TranscriptionModel(config);
  if (!s.transcription_model.empty()) {
    s.transcription_language = config.transcribe_language;
    s.transcription_prompt = config.transcribe_prompt;
  }
  s.noise_reduction = config.noise_reduction;
  if (UsesLive(config)) {
    // GPT-Live takes the turns itself, always: what the engine knows as the server's VAD.
    s.turns = SessionSettings::Turns::kDetect;
  } else if (config.vad == Vad::kOff) {
    s.turns = SessionSettings::Turns::kOff;
  } else {
    s.turns = SessionSettings::Turns::kDetect;
    s.turn_detection.type = config.vad == Vad::kSemantic ? TurnDetection::Type::kSemanticVad
                                                         : TurnDetection::Type::kServerVad;
    s.turn_detection.threshold = config.vad_threshold;
    s.turn_detection.silence_duration_ms = config.vad_silence_ms;
    s.turn_detection.prefix_padding_ms = config.vad_prefix_ms;
    s.turn_detection.idle_timeout_ms = config.idle_timeout_ms;
    s.turn_detection.eagerness = config.vad_eagerness;
  }
  return s;
}

SessionSettings TextSessionSettings(const Config& config) {
  SessionSettings s = CommonSettings(config);
  s.output = config.speak ? Modality::kAudio : Modality::kText;
  return s;
}

Status CheckSessionOptions(const Config& config) {
  // !(in range) rather than (out of range): NaN is in no range.
  if (!(config.vad_threshold >= 0 && config.vad_threshold <= 1))
    return Status::Error(Named("--vad-threshold", "vad_threshold") +
                         " must be a number from 0 to 1");
  if (config.speed != 0 && !(config.speed >= 0.25 && config.speed <= 1.5))
    return Status::Error(Named("--speed", "speed") + " must be a number from 0.25 to 1.5");
  if (config.dialect == Dialect::kBeta) {
    const struct {
      bool set;
      std::string name;
    } ga_only[] = {
        {config.speed > 0, Named("--speed", "speed")},
        {config.idle_timeout_ms > 0, Named("--idle-timeout-ms", "idle_timeout_ms")},
        {config.reasoning_effort != ReasoningEffort::kLeaveDefault,
         Named("--reasoning-effort", "reasoning_effort")},
        {config.parallel_tool_calls.has_value(), "\"parallel_tool_calls\""},
    };
    for (const auto& option : ga_only) {
      if (option.set)
        return Status::Error(option.name +
                             " is not in the beta dialect's session (GA only: --dialect ga)");
    }
  }
  if (config.vad_eagerness != VadEagerness::kLeaveDefault && config.vad != Vad::kSemantic) {
    return Status::Error(Named("--vad-eagerness", "vad_eagerness") +
                         " is for --vad semantic, not --vad " + VadName(config.vad));
  }
  if (config.idle_timeout_ms > 0 && config.vad != Vad::kServer) {
    return Status::Error(Named("--idle-timeout-ms", "idle_timeout_ms") +
                         " is for --vad server, not --vad " + VadName(config.vad));
  }
  if (config.transcribe.kind == Transcription::Kind::kOff &&
      (!config.transcribe_language.empty() || !config.transcribe_prompt.empty())) {
    return Status::Error((config.transcribe_language.empty()
                              ? Named("--transcribe-prompt", "transcribe_prompt")
                              : Named("--transcribe-language", "transcribe_language")) +
                         " needs transcription, which --transcribe off turns off");
  }
  return Status::Ok();
}

}  // namespace voxterm
