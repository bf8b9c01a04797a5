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

namespace voxterm {

enum class Modality { kText, kAudio };

struct TurnDetection {
  enum class Type { kServerVad, kSemanticVad };
  Type type = Type::kServerVad;
  double threshold = 0.5;         // server_vad only
  int prefix_padding_ms = 300;    // server_vad only
  int silence_duration_ms = 500;  // server_vad only
};

struct ToolSpec {
  std::string name;
  std::string description;
  std::string parameters_json;  // a JSON Schema object, as JSON text
};

// What voxterm asks of a session. Empty strings mean "leave the server's default".
struct SessionSettings {
  Modality output = Modality::kAudio;
  std::string instructions;
  std::string voice;
  std::string transcription_model;  // empty: no input transcription
  enum class Turns { kLeaveDefault, kOff, kDetect };
  Turns turns = Turns::kLeaveDefault;
  TurnDetection turn_detection;  // used when turns == kDetect
  std::vector<ToolSpec> tools;
};

// Every client event type voxterm can send, for tests that must cover them all.
extern const std::vector<std::string_view> kClientEventTypes;

std::string EncodeSessionUpdate(Dialect dialect, const SessionSettings& settings);
// item_id: the item's id, chosen by voxterm; empty lets the server choose. A replayed item keeps
// the id it had, so its echo is known for what it is (app/history.h).
std::string EncodeUserText(std::string_view text, std::string_view event_id = {}, std::string_view item_id = {});
// complete false marks an answer that was cut off (status "incomplete").
std::string EncodeAssistantText(Dialect dialect, std::string_view text, std::string_view item_id = {},
                                bool complete = true);
std::string EncodeFunctionCall(std::string_view call_id, std::string_view name,
                               std::string_view arguments_json, std::string_view item_id = {});
std::string EncodeFunctionCallOutput(std::string_view call_id, std::string_view output,
                                     std::string_view item_id = {});
// output: the modality to ask for; nullopt keeps the session's. instructions: this response's
// own, in place of the session's; empty keeps the session's.
std::string EncodeResponseCreate(Dialect dialect, std::optional<Modality> output,
                                 std::string_view event_id = {}, std::string_view instructions = {});
std::string EncodeResponseCancel(std::string_view event_id = {});
std::string EncodeAudioAppend(const int16_t* samples, size_t count);
std::string EncodeAudioCommit();
std::string EncodeAudioClear();
std::string EncodeTruncate(std::string_view item_id, int64_t audio_end_ms);

}  // namespace voxterm
