// Client events: typed values in, JSON text out, for either dialect. No I/O, but for one warning
// on stderr the first time a string was not valid UTF-8: every string is sent as valid UTF-8,
// with U+FFFD for what was not (the server would close the session over it).
// Every event built here validates against OpenAI's schema for its dialect
// (tests/integration/test_client_schema.py checks each kind).
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/dialect.h"
#include "protocol/session_options.h"
#include "util/image_file.h"

namespace voxterm {

// s as it may go to the server: s itself when it is valid UTF-8, else a copy in *repaired with
// U+FFFD for each invalid sequence, and the run's one warning that text was repaired. Every
// encoder of either API sends its strings through this.
std::string_view ValidTextForServer(std::string_view s, std::string* repaired);

enum class Modality { kText, kAudio };

struct TurnDetection {
  enum class Type { kServerVad, kSemanticVad };
  Type type = Type::kServerVad;
  double threshold = 0.5;         // server_vad only
  int prefix_padding_ms = 300;    // server_vad only
  int silence_duration_ms = 500;  // server_vad only
  int idle_timeout_ms = 0;        // server_vad only, GA only: 5000 to 30000; 0: not sent
  VadEagerness eagerness = VadEagerness::kLeaveDefault;  // semantic_vad only
};

struct ToolSpec {
  std::string name;
  std::string description;
  std::string parameters_json;  // a JSON Schema object, as JSON text
};

// What voxterm asks of a session. Empty strings, zeros and kLeaveDefault mean "leave the
// server's default": the field is not sent. Fields a dialect does not have (marked GA only) are
// not sent in beta; the command line refuses them there (app/session_settings.h).
struct SessionSettings {
  Modality output = Modality::kAudio;
  std::string instructions;
  std::string voice;
  std::string transcription_model;     // empty: no input transcription
  std::string transcription_language;  // ISO-639-1 hint; only with a transcription model
  std::string transcription_prompt;    // a hint of vocabulary or style; likewise
  NoiseReduction noise_reduction = NoiseReduction::kLeaveDefault;
  double speed = 0;           // audio.output.speed, 0.25 to 1.5; GA only; 0: not sent
  int max_output_tokens = 0;  // 1 to 4096, or kMaxOutputTokensInf; 0: not sent
  ReasoningEffort reasoning_effort = ReasoningEffort::kLeaveDefault;  // GA only
  // parallel_tool_calls, GA only, sent with tools: nullopt leaves the server's default.
  std::optional<bool> parallel_tool_calls;
  enum class Turns { kLeaveDefault, kOff, kDetect };
  Turns turns = Turns::kLeaveDefault;
  TurnDetection turn_detection;  // used when turns == kDetect
  std::vector<ToolSpec> tools;
  // Sends "tools" even when there are none (and no hosted server): a change that left none.
  // Otherwise an update without tools leaves the session's as they are.
  bool tools_changed = false;
  // GA only: the hosted MCP servers, as "mcp" tools after the functions. A session.update that
  // sends tools sends these with them, since "tools" replaces the whole list.
  std::vector<HostedMcpServer> hosted_mcp;
};

class JsonWriter;
// Into the object w is writing: "tools", each a function tool with its parameters, then each
// hosted MCP server as an "mcp" tool (the schema's MCPTool), and "tool_choice": "auto". The
// Realtime session's, and GPT-Live's delegation backend's (which has no hosted servers).
void WriteFunctionTools(JsonWriter& w, const std::vector<ToolSpec>& tools,
                        const std::vector<HostedMcpServer>& hosted = {});

// Every client event type voxterm can send, for tests that must cover them all.
extern const std::vector<std::string_view> kClientEventTypes;

std::string EncodeSessionUpdate(Dialect dialect, const SessionSettings& settings);
// item_id: the item's id, chosen by voxterm; empty lets the server choose. A replayed item keeps
// the id it had, so its echo is known for what it is (app/history.h).
std::string EncodeUserText(std::string_view text, std::string_view event_id = {},
                           std::string_view item_id = {});
// A user message of text and images, the images after the text as input_image parts with their
// data: URLs (GA only: the beta dialect has no image input, and voxterm sends it none). Empty
// text leaves the text part out.
std::string EncodeUserMessage(std::string_view text, const std::vector<InputImage>& images,
                              std::string_view event_id = {}, std::string_view item_id = {});
// complete false marks an answer that was cut off (status "incomplete").
std::string EncodeAssistantText(Dialect dialect, std::string_view text,
                                std::string_view item_id = {}, bool complete = true);
std::string EncodeFunctionCall(std::string_view call_id, std::string_view name,
                               std::string_view arguments_json, std::string_view item_id = {});
std::string EncodeFunctionCallOutput(std::string_view call_id, std::string_view output,
                                     std::string_view item_id = {});
// The user's answer to a hosted MCP server's approval request (GA): an mcp_approval_response
// item. item_id is required by the schema; reason is left out when empty.
std::string EncodeMcpApprovalResponse(std::string_view request_id, bool approve,
                                      std::string_view reason, std::string_view item_id);
// output: the modality to ask for; nullopt keeps the session's. instructions: this response's
// own, in place of the session's; empty keeps the session's.
std::string EncodeResponseCreate(Dialect dialect, std::optional<Modality> output,
                                 std::string_view event_id = {},
                                 std::string_view instructions = {});
std::string EncodeResponseCancel(std::string_view event_id = {});
std::string EncodeAudioAppend(const int16_t* samples, size_t count);
std::string EncodeAudioCommit();
std::string EncodeAudioClear();
std::string EncodeTruncate(std::string_view item_id, int64_t audio_end_ms);

}  // namespace voxterm
