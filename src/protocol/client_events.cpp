#include "protocol/client_events.h"

#include <rapidjson/document.h>

#include <atomic>
#include <cmath>
#include <initializer_list>
#include <utility>

#include "protocol/json_write.h"
#include "util/base64.h"
#include "util/log.h"
#include "util/utf8.h"

namespace voxterm {

const std::vector<std::string_view> kClientEventTypes = {
    "session.update",           "conversation.item.create",   "response.create",
    "response.cancel",          "input_audio_buffer.append",  "input_audio_buffer.commit",
    "input_audio_buffer.clear", "conversation.item.truncate",
};

namespace {

using Writer = JsonWriter;

// Once per run: a pipe of many bad lines should not bury the answers in warnings.
void WarnRepaired() {
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true)) {
    LOG_WARN("replaced invalid UTF-8 with U+FFFD in text for the server (said once)");
  }
}

void Str(Writer& w, std::string_view s) {
  std::string repaired;
  s = ValidTextForServer(s, &repaired);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void Key(Writer& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void KeyStr(Writer& w, std::string_view key, std::string_view value) {
  Key(w, key);
  Str(w, value);
}

// Starts {"type":..., ["event_id":...]; the caller closes the object.
// event_id is optional on every client event; when set, an error the event causes echoes it.
void Begin(Writer& w, std::string_view type, std::string_view event_id) {
  w.StartObject();
  KeyStr(w, "type", type);
  if (!event_id.empty()) KeyStr(w, "event_id", event_id);
}

std::string Finish(const JsonBuffer& buf) { return buf.str(); }

// Beta lists every modality: ["text"] or ["text","audio"].
void BetaModalities(Writer& w, Modality output) {
  Key(w, "modalities");
  w.StartArray();
  Str(w, "text");
  if (output == Modality::kAudio) Str(w, "audio");
  w.EndArray();
}

// GA takes exactly one output modality; audio always brings its transcript.
void GaModalities(Writer& w, Modality output) {
  Key(w, "output_modalities");
  w.StartArray();
  Str(w, output == Modality::kAudio ? "audio" : "text");
  w.EndArray();
}

void WriteModalities(Writer& w, Dialect dialect, Modality output) {
  if (dialect == Dialect::kGa) {
    GaModalities(w, output);
  } else {
    BetaModalities(w, output);
  }
}

// null turns VAD off (push-to-talk); semantic_vad takes no thresholds, only its eagerness.
// idle_timeout_ms exists in GA's server_vad only.
void WriteTurnDetection(Writer& w, Dialect dialect, const SessionSettings& s) {
  Key(w, "turn_detection");
  if (s.turns == SessionSettings::Turns::kOff) {
    w.Null();
    return;
  }
  const TurnDetection& td = s.turn_detection;
  w.StartObject();
  if (td.type == TurnDetection::Type::kSemanticVad) {
    KeyStr(w, "type", "semantic_vad");
    if (td.eagerness != VadEagerness::kLeaveDefault) KeyStr(w, "eagerness", ToString(td.eagerness));
  } else {
    KeyStr(w, "type", "server_vad");
    // The schema's threshold is a number: a value that is not one (NaN) leaves the server's.
    if (std::isfinite(td.threshold)) {
      Key(w, "threshold");
      w.Double(td.threshold);
    }
    Key(w, "prefix_padding_ms");
    w.Int(td.prefix_padding_ms);
    Key(w, "silence_duration_ms");
    w.Int(td.silence_duration_ms);
    if (dialect == Dialect::kGa && td.idle_timeout_ms > 0) {
      Key(w, "idle_timeout_ms");
      w.Int(td.idle_timeout_ms);
    }
  }
  w.EndObject();
}

// {"model":...,"language":...,"prompt":...}: the same object in both dialects.
void WriteTranscription(Writer& w, std::string_view key, const SessionSettings& s) {
  Key(w, key);
  w.StartObject();
  KeyStr(w, "model", s.transcription_model);
  if (!s.transcription_language.empty()) KeyStr(w, "language", s.transcription_language);
  if (!s.transcription_prompt.empty()) KeyStr(w, "prompt", s.transcription_prompt);
  w.EndObject();
}

// {"type":"near_field"|"far_field"}, or null for off.
void WriteNoiseReduction(Writer& w, std::string_view key, NoiseReduction nr) {
  if (nr == NoiseReduction::kLeaveDefault) return;
  Key(w, key);
  if (nr == NoiseReduction::kOff) {
    w.Null();
    return;
  }
  w.StartObject();
  KeyStr(w, "type", ToString(nr));
  w.EndObject();
}

// An integer from 1 to 4096, or the string "inf".
void WriteMaxOutputTokens(Writer& w, std::string_view key, int tokens) {
  if (tokens == 0) return;
  Key(w, key);
  if (tokens == kMaxOutputTokensInf) {
    Str(w, "inf");
  } else {
    w.Int(tokens);
  }
}

void WritePcmFormat(Writer& w) {
  Key(w, "format");
  w.StartObject();
  KeyStr(w, "type", "audio/pcm");
  Key(w, "rate");
  w.Int(24000);
  w.EndObject();
}

// GA nests audio settings under audio.input / audio.output and requires session.type; the
// format is sent explicitly so that a server with other defaults still sends 24 kHz PCM.
void WriteGaSession(Writer& w, const SessionSettings& s) {
  KeyStr(w, "type", "realtime");
  GaModalities(w, s.output);
  if (!s.instructions.empty()) KeyStr(w, "instructions", s.instructions);
  Key(w, "audio");
  w.StartObject();
  Key(w, "input");
  w.StartObject();
  WritePcmFormat(w);
  if (!s.transcription_model.empty()) WriteTranscription(w, "transcription", s);
  WriteNoiseReduction(w, "noise_reduction", s.noise_reduction);
  if (s.turns != SessionSettings::Turns::kLeaveDefault) WriteTurnDetection(w, Dialect::kGa, s);
  w.EndObject();
  Key(w, "output");
  w.StartObject();
  WritePcmFormat(w);
  if (!s.voice.empty()) KeyStr(w, "voice", s.voice);
  if (s.speed > 0 && std::isfinite(s.speed)) {
    Key(w, "speed");
    w.Double(s.speed);
  }
  w.EndObject();
  w.EndObject();
  WriteMaxOutputTokens(w, "max_output_tokens", s.max_output_tokens);
  if (s.reasoning_effort != ReasoningEffort::kLeaveDefault) {
    Key(w, "reasoning");
    w.StartObject();
    KeyStr(w, "effort", ToString(s.reasoning_effort));
    w.EndObject();
  }
}

// Beta keeps every setting flat at the top of the session. It has no speed, reasoning,
// parallel_tool_calls or idle_timeout_ms: those are left out.
void WriteBetaSession(Writer& w, const SessionSettings& s) {
  BetaModalities(w, s.output);
  if (!s.instructions.empty()) KeyStr(w, "instructions", s.instructions);
  if (!s.voice.empty()) KeyStr(w, "voice", s.voice);
  KeyStr(w, "input_audio_format", "pcm16");
  KeyStr(w, "output_audio_format", "pcm16");
  if (!s.transcription_model.empty()) WriteTranscription(w, "input_audio_transcription", s);
  WriteNoiseReduction(w, "input_audio_noise_reduction", s.noise_reduction);
  if (s.turns != SessionSettings::Turns::kLeaveDefault) WriteTurnDetection(w, Dialect::kBeta, s);
  WriteMaxOutputTokens(w, "max_response_output_tokens", s.max_output_tokens);
}

// {"type":"conversation.item.create","item":{"id":ID,"type":"message","role":ROLE,
//   "status":STATUS,"content":[{"type":CONTENT_TYPE,"text":TEXT}, IMAGES...]}}
// Text is escaped by the writer: user input can never break out of its string. Images follow
// the text as input_image parts (GA); a message of images alone has no text part.
std::string MessageItem(std::string_view role, std::string_view content_type, std::string_view text,
                        std::string_view event_id, std::string_view item_id,
                        std::string_view status = {},
                        const std::vector<InputImage>* images = nullptr) {
  JsonBuffer buf;
  if (images) {  // megabytes: one allocation, not a growing buffer's copies
    size_t bytes = 256 + text.size();
    for (const InputImage& image : *images) bytes += image.data_url.size() + 64;
    buf.Reserve(bytes);
  }
  Writer w(buf);
  Begin(w, "conversation.item.create", event_id);
  Key(w, "item");
  w.StartObject();
  if (!item_id.empty()) KeyStr(w, "id", item_id);
  KeyStr(w, "type", "message");
  KeyStr(w, "role", role);
  if (!status.empty()) KeyStr(w, "status", status);
  Key(w, "content");
  w.StartArray();
  if (!images || images->empty() || !text.empty()) {
    w.StartObject();
    KeyStr(w, "type", content_type);
    KeyStr(w, "text", text);
    w.EndObject();
  }
  if (images) {
    for (const InputImage& image : *images) {
      w.StartObject();
      KeyStr(w, "type", "input_image");
      KeyStr(w, "image_url", image.data_url);  // base64: nothing to escape, nothing to repair
      KeyStr(w, "detail", "auto");
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return Finish(buf);
}

// conversation.item.create of an item whose fields are all strings (function calls and results).
std::string FlatItem(std::string_view item_id,
                     std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  JsonBuffer buf;
  Writer w(buf);
  Begin(w, "conversation.item.create", {});
  Key(w, "item");
  w.StartObject();
  if (!item_id.empty()) KeyStr(w, "id", item_id);
  for (const auto& [key, value] : fields) KeyStr(w, key, value);
  w.EndObject();
  w.EndObject();
  return Finish(buf);
}

std::string Bare(std::string_view type, std::string_view event_id = {}) {
  JsonBuffer buf;
  Writer w(buf);
  Begin(w, type, event_id);
  w.EndObject();
  return Finish(buf);
}

}  // namespace

// Every string goes out as valid UTF-8: a text frame that is not makes the server close the
// session (code 1007), and every line after it would be lost. Strings come from the user's
// lines, the command line, the config, tools' output and the server's own earlier events.
std::string_view ValidTextForServer(std::string_view s, std::string* repaired) {
  if (IsValidUtf8(s)) return s;
  WarnRepaired();
  *repaired = RepairUtf8(s);
  return *repaired;
}

namespace {

// {"type":"mcp","server_label":L,"server_url":U,"headers":{...},"require_approval":...,
//  "allowed_tools":[...]}: the config checked every part of it.
void WriteHostedMcpTool(Writer& w, const HostedMcpServer& server) {
  w.StartObject();
  KeyStr(w, "type", "mcp");
  KeyStr(w, "server_label", server.label);
  KeyStr(w, "server_url", server.url);
  if (!server.headers.empty()) {
    Key(w, "headers");
    w.StartObject();
    for (const auto& [name, value] : server.headers) KeyStr(w, name, value);
    w.EndObject();
  }
  Key(w, "require_approval");
  std::string repaired;
  const std::string_view approval = ValidTextForServer(server.require_approval_json, &repaired);
  w.RawValue(approval.data(), approval.size(),
             approval.front() == '"' ? rapidjson::kStringType : rapidjson::kObjectType);
  if (server.has_allowed_tools) {
    Key(w, "allowed_tools");
    w.StartArray();
    for (const std::string& name : server.allowed_tools) Str(w, name);
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

void WriteFunctionTools(JsonWriter& w, const std::vector<ToolSpec>& tools,
                        const std::vector<HostedMcpServer>& hosted) {
  Key(w, "tools");
  w.StartArray();
  for (const ToolSpec& tool : tools) {
    w.StartObject();
    KeyStr(w, "type", "function");
    KeyStr(w, "name", tool.name);
    if (!tool.description.empty()) KeyStr(w, "description", tool.description);
    Key(w, "parameters");
    // The schema was validated as a JSON object when the config was loaded.
    // Invalid UTF-8 can only be inside its strings, so the repaired text is JSON still.
    std::string repaired;
    const std::string_view schema = ValidTextForServer(tool.parameters_json, &repaired);
    w.RawValue(schema.data(), schema.size(), rapidjson::kObjectType);
    w.EndObject();
  }
  for (const HostedMcpServer& server : hosted) WriteHostedMcpTool(w, server);
  w.EndArray();
  KeyStr(w, "tool_choice", "auto");
}

std::string EncodeSessionUpdate(Dialect dialect, const SessionSettings& settings) {
  JsonBuffer buf;
  Writer w(buf);
  Begin(w, "session.update", {});
  Key(w, "session");
  w.StartObject();
  if (dialect == Dialect::kGa) {
    WriteGaSession(w, settings);
  } else {
    WriteBetaSession(w, settings);
  }
  // Beta has no "mcp" tools: the command line refuses hosted servers there
  // (app/api_select.h), and none is sent.
  const bool hosted = dialect == Dialect::kGa && !settings.hosted_mcp.empty();
  if (!settings.tools.empty() || hosted) {
    WriteFunctionTools(w, settings.tools,
                       hosted ? settings.hosted_mcp : std::vector<HostedMcpServer>{});
    if (dialect == Dialect::kGa && settings.parallel_tool_calls) {
      Key(w, "parallel_tool_calls");
      w.Bool(*settings.parallel_tool_calls);
    }
  } else if (settings.tools_changed) {  // none left: an empty list, and no tool_choice for it
    Key(w, "tools");
    w.StartArray();
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  return Finish(buf);
}

std::string EncodeUserText(std::string_view text, std::string_view event_id,
                           std::string_view item_id) {
  return MessageItem("user", "input_text", text, event_id, item_id);
}

std::string EncodeUserMessage(std::string_view text, const std::vector<InputImage>& images,
                              std::string_view event_id, std::string_view item_id) {
  return MessageItem("user", "input_text", text, event_id, item_id, {}, &images);
}

std::string EncodeAssistantText(Dialect dialect, std::string_view text, std::string_view item_id,
                                bool complete) {
  return MessageItem("assistant", dialect == Dialect::kGa ? "output_text" : "text", text, {},
                     item_id, complete ? "" : "incomplete");
}

std::string EncodeFunctionCall(std::string_view call_id, std::string_view name,
                               std::string_view arguments_json, std::string_view item_id) {
  return FlatItem(item_id, {{"type", "function_call"},
                            {"call_id", call_id},
                            {"name", name},
                            {"arguments", arguments_json}});
}

std::string EncodeFunctionCallOutput(std::string_view call_id, std::string_view output,
                                     std::string_view item_id) {
  return FlatItem(item_id,
                  {{"type", "function_call_output"}, {"call_id", call_id}, {"output", output}});
}

std::string EncodeMcpApprovalResponse(std::string_view request_id, bool approve,
                                      std::string_view reason, std::string_view item_id) {
  JsonBuffer buf;
  Writer w(buf);
  Begin(w, "conversation.item.create", {});
  Key(w, "item");
  w.StartObject();
  KeyStr(w, "id", item_id);
  KeyStr(w, "type", "mcp_approval_response");
  KeyStr(w, "approval_request_id", request_id);
  Key(w, "approve");
  w.Bool(approve);
  if (!reason.empty()) KeyStr(w, "reason", reason);
  w.EndObject();
  w.EndObject();
  return Finish(buf);
}

std::string EncodeResponseCreate(Dialect dialect, std::optional<Modality> output,
                                 std::string_view event_id, std::string_view instructions) {
  JsonBuffer buf;
  Writer w(buf);
  Begin(w, "response.create", event_id);
  if (output || !instructions.empty()) {
    Key(w, "response");
    w.StartObject();
    if (output) WriteModalities(w, dialect, *output);
    if (!instructions.empty()) KeyStr(w, "instructions", instructions);
    w.EndObject();
  }
  w.EndObject();
  return Finish(buf);
}

std::string EncodeResponseCancel(std::string_view event_id) {
  return Bare("response.cancel", event_id);
}

std::string EncodeAudioAppend(const int16_t* samples, size_t count) {
  // The hot path of a voice session: base64 straight into the message, no JSON library needed
  // because nothing in it needs escaping.
  static constexpr std::string_view kHead = R"({"type":"input_audio_buffer.append","audio":")";
  static constexpr std::string_view kTail = R"("})";
  const size_t bytes = count * sizeof(int16_t);  // little-endian host: the wire order
  std::string out;
  out.resize(kHead.size() + Base64EncodedSize(bytes) + kTail.size());
  char* p = out.data();
  p = std::copy(kHead.begin(), kHead.end(), p);
  Base64EncodeTo(reinterpret_cast<const uint8_t*>(samples), bytes, p);
  p += Base64EncodedSize(bytes);
  std::copy(kTail.begin(), kTail.end(), p);
  return out;
}

std::string EncodeAudioCommit() { return Bare("input_audio_buffer.commit"); }

std::string EncodeAudioClear() { return Bare("input_audio_buffer.clear"); }

// content_index is always 0: an assistant message has one audio part.
std::string EncodeTruncate(std::string_view item_id, int64_t audio_end_ms) {
  JsonBuffer buf;
  Writer w(buf);
  Begin(w, "conversation.item.truncate", {});
  KeyStr(w, "item_id", item_id);
  Key(w, "content_index");
  w.Int(0);
  Key(w, "audio_end_ms");
  w.Int64(audio_end_ms < 0 ? 0 : audio_end_ms);
  w.EndObject();
  return Finish(buf);
}

}  // namespace voxterm
