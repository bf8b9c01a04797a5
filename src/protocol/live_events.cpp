#include "protocol/live_events.h"

#include <rapidjson/document.h>

#include <cmath>
#include <string_view>

#include "protocol/backend_events.h"
#include "protocol/json_parse.h"

namespace voxterm {
namespace {

using rapidjson::Value;
using Type = ServerEventType;

// usage.seconds: a non-negative finite number, at most kMaxLiveUsageSeconds; anything else is
// counted as invalid and leaves seconds at -1 (the event itself still counts).
void ReadSeconds(const Value& doc, UsageInfo* u) {
  const Value* usage = OptObject(doc, "usage");
  if (!usage) return;
  u->present = true;
  auto it = usage->FindMember("seconds");
  if (it == usage->MemberEnd() || it->value.IsNull()) return;
  const double seconds = it->value.IsNumber() ? it->value.GetDouble() : -1;
  if (std::isfinite(seconds) && seconds >= 0 && seconds <= kMaxLiveUsageSeconds) {
    u->seconds = seconds;
  } else {
    u->invalid = 1;
    u->first_invalid = "seconds";
  }
}

// session.audio.format, if the server gave one: its type and rate, or kUnreadableFormat.
void ReadAudioFormat(const Value& session, ServerEvent* e) {
  const Value* audio = OptObject(session, "audio");
  if (!audio) return;
  auto format = audio->FindMember("format");
  if (format == audio->MemberEnd() || format->value.IsNull()) return;
  e->session_audio_type = kUnreadableFormat;
  if (!format->value.IsObject()) return;
  auto type = format->value.FindMember("type");
  auto rate = format->value.FindMember("rate");
  if (type == format->value.MemberEnd() || !type->value.IsString()) return;
  if (rate != format->value.MemberEnd() && !rate->value.IsInt64()) return;
  e->session_audio_type = JsonView(type->value);
  if (rate != format->value.MemberEnd()) e->session_audio_rate_hz = rate->value.GetInt64();
}

Status ReadEvent(const Value& doc, ServerEvent* e) {
  switch (e->type) {
    case Type::kSessionCreated: {
      const Value* session = OptObject(doc, "session");
      if (!session) return Missing(e->type_name, "session");
      e->expires_at = OptInt(*session, "expires_at");
      e->session_model = OptString(*session, "model");
      ReadAudioFormat(*session, e);
      return Status::Ok();
    }
    case Type::kSessionClosed:
      e->text = OptString(doc, "reason");
      ReadSeconds(doc, &e->usage);
      return Status::Ok();
    case Type::kUsageUpdated: ReadSeconds(doc, &e->usage); return Status::Ok();
    case Type::kDelegationCreated: {
      const Value* delegation = OptObject(doc, "delegation");
      if (!delegation) return Missing(e->type_name, "delegation");
      e->item_id = OptString(*delegation, "id");
      e->name = OptString(*delegation, "target");
      if (e->item_id.empty()) return Missing(e->type_name, "delegation.id");
      return Status::Ok();
    }
    case Type::kLiveOutputAudio:
    case Type::kLiveOutputTranscript:
    case Type::kLiveInputTranscript: {
      auto delta = doc.FindMember("delta");
      if (delta == doc.MemberEnd() || !delta->value.IsString())
        return Missing(e->type_name, "delta");
      e->delta = JsonView(delta->value);
      e->audio_start_ms = OptInt(doc, "start_ms");
      e->audio_end_ms = OptInt(doc, "end_ms");
      return Status::Ok();
    }
    case Type::kError: {
      const Value* error = OptObject(doc, "error");
      if (!error) return Missing(e->type_name, "error");
      e->error.type = OptString(*error, "type");
      e->error.code = OptString(*error, "code");
      e->error.message = OptString(*error, "message");
      e->error.param = OptString(*error, "param");
      e->error.event_id = OptString(*error, "client_event_id");
      if (e->error.event_id.empty()) e->error.event_id = OptString(doc, "client_event_id");
      return Status::Ok();
    }
    case Type::kBackendEvent: {
      e->delegation_id = OptString(doc, "delegation_id");
      auto nested = doc.FindMember("event");
      if (nested == doc.MemberEnd()) return Missing(e->type_name, "event");
      return ReadBackendEvent(nested->value, e);
    }
    default: return Status::Ok();
  }
}

struct Name {
  std::string_view wire;
  Type type;
};

constexpr Name kNames[] = {
    {"session.started", Type::kSessionCreated},
    {"session.closed", Type::kSessionClosed},
    {"session.usage.updated", Type::kUsageUpdated},
    {"session.delegation.created", Type::kDelegationCreated},
    {"session.output_audio.delta", Type::kLiveOutputAudio},
    {"session.output_transcript.delta", Type::kLiveOutputTranscript},
    {"session.input_transcript.delta", Type::kLiveInputTranscript},
    {"error", Type::kError},
    {"session.updated", Type::kLiveAck},
    {"session.input_audio.muted", Type::kLiveAck},
    {"session.input_audio.unmuted", Type::kLiveAck},
    {"session.instructions.appended", Type::kLiveAck},
    {"session.thinking.appended", Type::kLiveAck},
    {"session.commentary.appended", Type::kLiveAck},
    {"info", Type::kLiveAck},
    {"response.event", Type::kBackendEvent},
};

}  // namespace

Status ParseLiveEvent(std::string* buffer, ServerEvent* event) {
  *event = ServerEvent();
  rapidjson::Document doc;
  Status parsed = ParseEventFrame(buffer, &doc, &event->type_name);
  if (!parsed.ok()) return parsed;
  event->type = Type::kUnknown;
  for (const Name& name : kNames) {  // a short table: a scan costs less than a hash
    if (name.wire == event->type_name) event->type = name.type;
  }
  event->event_id = OptString(doc, "event_id");
  return ReadEvent(doc, event);
}

}  // namespace voxterm
