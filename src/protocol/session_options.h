// Session options with a fixed set of values (OpenAI's schema enums), parsed once at the edge
// (flags, config file) and written by EncodeSessionUpdate. kLeaveDefault: not sent, so the
// server keeps its own default.
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// A remote MCP server that the API itself calls: a GA session's {"type": "mcp"} tool (the
// schema's MCPTool). voxterm starts nothing for it; it only declares it, shows its calls and
// answers its approval requests (docs/config.md, "Hosted MCP servers").
struct HostedMcpServer {
  std::string label;  // server_label: the config entry's name
  std::string url;    // server_url: https only
  // Sent to the MCP server by the API; they hold secrets (Authorization), so their values are
  // masked wherever voxterm writes text (util/secret_mask.h) and never shown.
  std::vector<std::pair<std::string, std::string>> headers;
  // require_approval as JSON: "\"always\"", "\"never\"", or a filter object checked against the
  // schema's "MCP tool approval filter" when the config was read.
  std::string require_approval_json = "\"always\"";
  bool has_allowed_tools = false;  // false: allowed_tools is not sent (every tool allowed)
  std::vector<std::string> allowed_tools;
};

// nullopt for a word that is not one of the values (kLeaveDefault is never parsed).
std::optional<NoiseReduction> ParseNoiseReduction(std::string_view s);
std::optional<VadEagerness> ParseVadEagerness(std::string_view s);
std::optional<ReasoningEffort> ParseReasoningEffort(std::string_view s);

// "inf", or a whole number from 1 to 4096, as max_output_tokens takes it.
std::optional<int> ParseMaxOutputTokens(std::string_view s);

}  // namespace voxterm
