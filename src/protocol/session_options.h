// Session options with a fixed set of values (OpenAI's schema enums), parsed once at the edge
// (flags, config file) and written by EncodeSessionUpdate. kLeaveDefault: not sent, so the
// server keeps its own default.
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

namespace voxterm {

// audio.input.noise_reduction (GA), input_audio_noise_reduction (beta). kOff sends null.
enum class NoiseReduction { kLeaveDefault, kOff, kNearField, kFarField };

// turn_detection.eagerness of semantic_vad.
enum class VadEagerness { kLeaveDefault, kLow, kMedium, kHigh, kAuto };

// reasoning.effort (GA only), for reasoning models such as gpt-realtime-2.
enum class ReasoningEffort { kLeaveDefault, kMinimal, kLow, kMedium, kHigh, kXhigh };

// max_output_tokens (GA) or max_response_output_tokens (beta): 1 to 4096, or "inf".
constexpr int kMaxOutputTokensLimit = 4096;
constexpr int kMaxOutputTokensInf = -1;  // "inf"; 0 leaves the server's default

// The wire words; "off" for NoiseReduction::kOff, which goes out as null.
const char* ToString(NoiseReduction v);
const char* ToString(VadEagerness v);
const char* ToString(ReasoningEffort v);

// nullopt for a word that is not one of the values (kLeaveDefault is never parsed).
std::optional<NoiseReduction> ParseNoiseReduction(std::string_view s);
std::optional<VadEagerness> ParseVadEagerness(std::string_view s);
std::optional<ReasoningEffort> ParseReasoningEffort(std::string_view s);

// "inf", or a whole number from 1 to 4096, as max_output_tokens takes it.
std::optional<int> ParseMaxOutputTokens(std::string_view s);

}  // namespace voxterm
