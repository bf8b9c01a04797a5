#include "protocol/live_client.h"

#include <algorithm>

#include "protocol/json_write.h"
#include "protocol/live_events.h"
#include "util/base64.h"
#include "util/log.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

// Every string goes out as valid UTF-8 (protocol/client_events.h says why); a message cut to
// the budget may have lost half a character.
void Str(JsonWriter& w, std::string_view s) {
  std::string repaired;
  if (!IsValidUtf8(s)) {
    repaired = RepairUtf8(s);
    s = repaired;
  }
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void Key(JsonWriter& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

// The newest messages that fit the limits, oldest first; a message alone over the byte budget
// keeps its end (the words nearest to now).
std::vector<LiveInputMessage> WithinLimits(const std::vector<LiveInputMessage>& input) {
  std::vector<LiveInputMessage> kept;
  size_t bytes = 0;
  for (auto it = input.rbegin(); it != input.rend() && kept.size() < kMaxInputMessages; ++it) {
    if (it->text.empty()) continue;
    if (bytes + it->text.size() > kMaxInputBytes) {
      if (kept.empty()) {
        kept.push_back({it->role, it->text.substr(it->text.size() - kMaxInputBytes)});
      }
      break;
    }
    bytes += it->text.size();
    kept.push_back(*it);
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

}  // namespace

// The format is always sent: OpenAI does not document the default (LIVE.md section 9.8), and
// the audio path is PCM16 at 24 kHz. Delegation is the client's (tools by delegation are issue
// 18 item 3): the model hands tasks to voxterm, which answers each (AnswerDelegation).
std::string EncodeLiveStart(std::string_view model, const SessionSettings& settings,
                            const std::vector<LiveInputMessage>& input) {
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
  Key(w, "delegation");
  w.StartObject();
  Key(w, "type");
  Str(w, "client");
  w.EndObject();
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

void LiveClient::BeginStart(const SessionSettings& settings) {
  settings_ = settings;
  if (changed_instructions_) settings_.instructions = *changed_instructions_;
  if (changed_voice_) settings_.voice = *changed_voice_;
  input_.clear();
  collecting_ = true;
  start_sent_ = started_ = false;
}

void LiveClient::SendStart() {
  collecting_ = false;
  start_sent_ = true;
  messages_->Send(EncodeLiveStart(model_, settings_, input_));
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
  } else if (!event_id.empty()) {
    LOG_WARN("typed text is not sent to GPT-Live yet: the line was not sent");
  }
}

void LiveClient::AddAssistantText(std::string_view text, std::string_view, bool) {
  if (collecting_) input_.push_back({LiveInputMessage::Role::kAssistant, std::string(text)});
}

void LiveClient::AnswerDelegation(std::string_view delegation_id, std::string_view words) {
  // An id is the server's, sent back: one no real id is as long as is not echoed.
  if (!started_ || delegation_id.size() > kMaxDelegationIdBytes) return;
  messages_->Send(EncodeLiveCommentary(delegation_id, words));
}

}  // namespace voxterm
