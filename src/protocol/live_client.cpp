#include "protocol/live_client.h"

#include <algorithm>

#include "protocol/client_events.h"
#include "protocol/json_write.h"
#include "protocol/live_events.h"
#include "util/base64.h"
#include "util/log.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

// Every string goes out as valid UTF-8, repaired with the run's one warning, as Realtime's
// (protocol/client_events.h says why).
void Str(JsonWriter& w, std::string_view s) {
  std::string repaired;
  s = ValidTextForServer(s, &repaired);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void Key(JsonWriter& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

// The newest context that fits the limits, oldest first: the newest messages whole while they
// fit, then the end of the next one (the words nearest to them) in the room they leave, cut
// between characters. So a message longer than the whole budget, wherever it stands, still
// leaves the newest words it can. Sizes are counted as the text goes out: repaired.
std::vector<LiveInputMessage> WithinLimits(const std::vector<LiveInputMessage>& input) {
  std::vector<LiveInputMessage> kept;
  size_t bytes = 0;
  for (auto it = input.rbegin(); it != input.rend() && kept.size() < kMaxInputMessages; ++it) {
    std::string repaired;
    const std::string_view text = ValidTextForServer(it->text, &repaired);
    if (text.empty()) continue;
    const size_t room = kMaxInputBytes - bytes;
    const std::string_view part = Utf8Tail(text, room);
    if (!part.empty()) kept.push_back({it->role, std::string(part)});
    bytes += part.size();
    if (part.size() < text.size()) break;  // the budget is spent
  }
  std::reverse(kept.begin(), kept.end());
  return kept;
}

void WriteInput(JsonWriter& w, const std::vector<LiveInputMessage>& input) {
  Key(w, "input");
  w.StartArray();
  for (const LiveInputMessage& message : WithinLimits(input)) {
    const bool user = message.role == LiveInputMessage::Role::kUser;
    w.StartObject();
    Key(w, "type");
    Str(w, "message");
    Key(w, "role");
    Str(w, user ? "user" : "assistant");
    Key(w, "content");
    w.StartArray();  // exactly one part
    w.StartObject();
    Key(w, "type");
    Str(w, user ? "input_text" : "output_text");
    Key(w, "text");
    Str(w, message.text);
    w.EndObject();
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

// Responses delegation with the declared tools (LIVE.md section 2): the backend's model, its
// function tools, and parallel_tool_calls when the config sets it.
void WriteDelegation(JsonWriter& w, const SessionSettings& settings,
                     std::string_view delegate_model) {
  Key(w, "delegation");
  w.StartObject();
  Key(w, "type");
  if (settings.tools.empty()) {
    Str(w, "client");
    w.EndObject();
    return;
  }
  Str(w, "responses");
  Key(w, "responses");
  w.StartObject();
  Key(w, "model");
  Str(w, delegate_model);
  WriteFunctionTools(w, settings.tools);
  if (settings.parallel_tool_calls) {
    Key(w, "parallel_tool_calls");
    w.Bool(*settings.parallel_tool_calls);
  }
  w.EndObject();
  w.EndObject();
}

}  // namespace

// The format is always sent: OpenAI does not document the default (LIVE.md section 9.8), and
// the audio path is PCM16 at 24 kHz.
std::string EncodeLiveStart(std::string_view model, const SessionSettings& settings,
                            const std::vector<LiveInputMessage>& input,
                            std::string_view delegate_model) {
  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Key(w, "type");
  Str(w, "session.start");
  Key(w, "session");
  w.StartObject();
  Key(w, "model");
  Str(w, model);
  if (!settings.instructions.empty()) {
    Key(w, "instructions");
    Str(w, settings.instructions);
  }
  Key(w, "audio");
  w.StartObject();
  Key(w, "format");
  w.StartObject();
  Key(w, "type");
  Str(w, kLiveAudioType);
  Key(w, "rate");
  w.Int(kLiveAudioRateHz);
  w.EndObject();
  if (!settings.voice.empty()) {
    Key(w, "output");
    w.StartObject();
    Key(w, "voice");
    Str(w, settings.voice);
    w.EndObject();
  }
  w.EndObject();
  WriteDelegation(w, settings, delegate_model);
  if (!input.empty()) WriteInput(w, input);
  w.EndObject();
  w.EndObject();
  return buf.str();
}

std::string EncodeLiveAudioAppend(const int16_t* samples, size_t count) {
  // The hot path, as EncodeAudioAppend: base64 straight into the message.
  static constexpr std::string_view kHead = R"({"type":"session.input_audio.append","audio":")";
  static constexpr std::string_view kTail = R"("})";
  const size_t bytes = count * sizeof(int16_t);  // little-endian host: the wire order
  std::string out;
  out.resize(kHead.size() + Base64EncodedSize(bytes) + kTail.size());
  char* p = std::copy(kHead.begin(), kHead.end(), out.data());
  Base64EncodeTo(reinterpret_cast<const uint8_t*>(samples), bytes, p);
  p += Base64EncodedSize(bytes);
  std::copy(kTail.begin(), kTail.end(), p);
  return out;
}

std::string EncodeLiveCommentary(std::string_view delegation_id, std::string_view words) {
  return EncodeLiveAppend("session.commentary.append", delegation_id, words);
}

// delegation_id is required as a key: a string, or null for the session as a whole.
std::string EncodeLiveAppend(std::string_view type, std::string_view delegation_id,
                             std::string_view content) {
  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Key(w, "type");
  Str(w, type);
  Key(w, "delegation_id");
  if (delegation_id.empty()) {
    w.Null();
  } else {
    Str(w, delegation_id);
  }
  Key(w, "content");
  Str(w, content);
  w.EndObject();
  return buf.str();
}

std::string EncodeLiveClose() { return R"({"type":"session.close"})"; }

std::string EncodeLiveToolOutput(std::string_view call_id, std::string_view output) {
  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Key(w, "type");
  Str(w, "response.item.create");
  Key(w, "item");
  w.StartObject();
  Key(w, "type");
  Str(w, "function_call_output");
  Key(w, "call_id");
  Str(w, call_id);
  Key(w, "output");
  Str(w, output);
  w.EndObject();
  w.EndObject();
  return buf.str();
}

std::string EncodeLiveBackendContinue() { return R"({"type":"response.create"})"; }

void LiveClient::BeginStart(const SessionSettings& settings) {
  settings_ = settings;
  if (changed_instructions_) settings_.instructions = *changed_instructions_;
  if (changed_voice_) settings_.voice = *changed_voice_;
  input_.clear();
  collecting_ = true;
  start_sent_ = started_ = muted_ = false;
  if (delegate_model_.empty()) settings_.tools.clear();
  delegating_ = !settings_.tools.empty();
}

void LiveClient::SendStart() {
  collecting_ = false;
  start_sent_ = true;
  messages_->Send(EncodeLiveStart(model_, settings_, input_, delegate_model_));
  input_.clear();
}

void LiveClient::Close() {
  if (start_sent_) messages_->Send(EncodeLiveClose());
}

// The first call after session.start is the conversation's answer to session.started. Later
// ones are /instructions and /voice during the session (ConversationCore sends only the field
// that changed): GPT-Live adds rules with session.instructions.append, and keeps its voice.
void LiveClient::ConfigureSession(const SessionSettings& settings) {
  if (!start_sent_) return;
  if (!started_) {
    started_ = true;
    if (settings.turns == SessionSettings::Turns::kOff) MuteInput(true);  // keys take turns
    return;
  }
  // Either is the next session's own, whatever the start is given.
  if (!settings.instructions.empty()) {
    changed_instructions_ = settings.instructions;
    messages_->Send(EncodeLiveAppend("session.instructions.append", {}, settings.instructions));
  }
  if (!settings.voice.empty()) {
    changed_voice_ = settings.voice;
    LOG_WARN(
        "GPT-Live keeps a session's voice from its start: the voice changes in the next "
        "session");
  }
}

void LiveClient::MuteInput(bool muted) {
  if (!started_ || muted == muted_) return;
  muted_ = muted;
  messages_->Send(muted ? R"({"type":"session.input_audio.mute"})"
                        : R"({"type":"session.input_audio.unmute"})");
}

void LiveClient::AppendAudio(const int16_t* samples, size_t count) {
  // PCM16 payloads must be non-empty (an even byte count they always are).
  if (!started_ || count == 0) return;
  messages_->Send(EncodeLiveAudioAppend(samples, count));
}

// After the start, a line without an event id is the History's replay into a resumed session
// (ConversationCore): session.start carried it already. One with an id is a typed line.
void LiveClient::AddUserText(std::string_view text, std::string_view event_id, std::string_view) {
  if (collecting_) {
    input_.push_back({LiveInputMessage::Role::kUser, std::string(text)});
    return;
  }
  if (event_id.empty() || !started_) return;
  if (text.size() > kMaxTypedLineBytes) {
    LOG_WARN("the typed line was cut to %zu bytes: GPT-Live takes at most 500 tokens at a time",
             kMaxTypedLineBytes);
    text = text.substr(0, kMaxTypedLineBytes);  // Str repairs a character cut in two
  }
  messages_->Send(EncodeLiveAppend("session.commentary.append", {},
                                   std::string(kTypedLineRequest) + std::string(text)));
}

void LiveClient::AddUserImages(std::string_view text, const std::vector<InputImage>& images,
                               std::string_view event_id, std::string_view item_id) {
  LOG_WARN("GPT-Live takes no images: %zu image(s) left out of the turn", images.size());
  AddUserText(text, event_id, item_id);
}

void LiveClient::AddAssistantText(std::string_view text, std::string_view, bool) {
  if (collecting_) input_.push_back({LiveInputMessage::Role::kAssistant, std::string(text)});
}

// An id is the server's, sent back: one longer than any real id is not echoed, and the words
// go to the session as a whole (null) instead, so that the model still hears them.
void LiveClient::AnswerDelegation(std::string_view delegation_id, std::string_view words) {
  if (!started_) return;
  if (delegation_id.size() > kMaxDelegationIdBytes) delegation_id = {};
  messages_->Send(EncodeLiveCommentary(delegation_id, words));
}

// Outputs of a call the backend made on this connection (ToolCalls never gives another: the
// connection's calls die with it, tools_delegated()).
void LiveClient::AddToolOutput(std::string_view call_id, std::string_view output,
                               std::string_view) {
  if (!started_ || !delegating_) return;
  messages_->Send(EncodeLiveToolOutput(call_id, output));
}

void LiveClient::ContinueDelegation() {
  if (started_ && delegating_) messages_->Send(EncodeLiveBackendContinue());
}

}  // namespace voxterm
