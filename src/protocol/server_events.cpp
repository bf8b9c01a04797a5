#include "protocol/server_events.h"

#include <rapidjson/document.h>

#include <cmath>
#include <cstdint>
#include <unordered_map>

#include "protocol/backend_events.h"
#include "protocol/json_parse.h"
#include "util/log.h"

namespace voxterm {
namespace {

using rapidjson::Value;
using Type = ServerEventType;

Status RequireString(const Value& obj, const char* key, std::string_view type,
                     std::string_view* out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return Missing(type, key);
  *out = JsonView(it->value);
  return Status::Ok();
}

// Items carry text in different places: content[0].text for text, content[0].transcript for
// audio. Only the first part is read: voxterm sends a message's text first, and its images
// (input_image, --image and /image) after it, which History does not keep.
void ReadItem(const Value& v, ItemInfo* item) {
  item->id = OptString(v, "id");
  item->type = OptString(v, "type");
  item->role = OptString(v, "role");
  item->status = OptString(v, "status");
  item->call_id = OptString(v, "call_id");
  item->name = OptString(v, "name");
  item->arguments = OptString(v, "arguments");
  auto arguments = v.FindMember("arguments");
  item->arguments_not_string = arguments != v.MemberEnd() && !arguments->value.IsString();
  item->output = OptString(v, "output");
  item->server_label = OptString(v, "server_label");
  if (const Value* error = OptObject(v, "error")) {
    item->error_type = OptString(*error, "type");
    item->error_message = OptString(*error, "message");
  }
  auto tools = v.FindMember("tools");
  if (tools != v.MemberEnd() && tools->value.IsArray()) item->tool_count = tools->value.Size();
  auto content = v.FindMember("content");
  if (content == v.MemberEnd() || !content->value.IsArray() || content->value.Empty()) return;
  const Value& part = content->value[0];
  if (!part.IsObject()) return;
  item->text = OptString(part, "text");
  if (item->text.empty()) item->text = OptString(part, "transcript");
}

void Invalid(UsageInfo* u, const char* key) {
  if (u->invalid++ == 0) u->first_invalid = key;
}

// A token count: the schema says integer, and a count cannot be negative. Null counts as absent
// (optional fields are often null); a count beyond int64_t saturates rather than wraps.
int64_t ReadCount(const Value& obj, const char* key, UsageInfo* u) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return -1;
  const Value& v = it->value;
  if (v.IsInt64() && v.GetInt64() >= 0) return v.GetInt64();
  if (v.IsUint64()) return INT64_MAX;
  // 2^64 and beyond parse as a double: still a whole count, only too large.
  if (v.IsDouble() && v.GetDouble() >= 9.2e18 && std::isfinite(v.GetDouble()) &&
      std::floor(v.GetDouble()) == v.GetDouble()) {
    return INT64_MAX;
  }
  Invalid(u, key);
  return -1;
}

const Value* ReadDetails(const Value& obj, const char* key, UsageInfo* u) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
  if (!it->value.IsObject()) {
    Invalid(u, key);
    return nullptr;
  }
  return &it->value;
}

// A usage the server sent wrong is skipped, never the event that carries it: the answer still
// counts, only its bill is unknown. input_details: where the input's parts are (the Responses
// API says input_tokens_details, with the cached count only).
void ReadUsage(const Value& parent, UsageInfo* u,
               const char* input_details = "input_token_details") {
  const Value* usage = ReadDetails(parent, "usage", u);
  if (!usage) return;
  u->present = true;
  u->input = ReadCount(*usage, "input_tokens", u);
  u->output = ReadCount(*usage, "output_tokens", u);
  u->total = ReadCount(*usage, "total_tokens", u);
  if (const Value* in = ReadDetails(*usage, input_details, u)) {
    u->input_text = ReadCount(*in, "text_tokens", u);
    u->input_audio = ReadCount(*in, "audio_tokens", u);
    u->input_image = ReadCount(*in, "image_tokens", u);
    u->cached = ReadCount(*in, "cached_tokens", u);
    if (const Value* cached = ReadDetails(*in, "cached_tokens_details", u)) {
      u->cached_text = ReadCount(*cached, "text_tokens", u);
      u->cached_audio = ReadCount(*cached, "audio_tokens", u);
      u->cached_image = ReadCount(*cached, "image_tokens", u);
    }
  }
  if (const Value* out = ReadDetails(*usage, "output_token_details", u)) {
    u->output_text = ReadCount(*out, "text_tokens", u);
    u->output_audio = ReadCount(*out, "audio_tokens", u);
  }
  // A transcription billed by duration: seconds of audio, a number.
  auto seconds = usage->FindMember("seconds");
  if (seconds != usage->MemberEnd() && !seconds->value.IsNull()) {
    const double s = seconds->value.IsNumber() ? seconds->value.GetDouble() : -1;
    if (std::isfinite(s) && s >= 0) {
      u->seconds = s;
    } else {
      Invalid(u, "seconds");
    }
  }
}

// status_details is null while a response runs, and carries the reason once it is cancelled,
// incomplete or failed.
void ReadResponse(const Value& v, ResponseInfo* r) {
  r->id = OptString(v, "id");
  r->status = OptString(v, "status");
  const Value* details = OptObject(v, "status_details");
  if (!details) return;
  r->reason = OptString(*details, "reason");
  if (const Value* error = OptObject(*details, "error")) {
    r->error_code = OptString(*error, "code");
    r->error_message = OptString(*error, "message");
  }
}

// The function_call items of a response.done's output; other items, and what is not an object,
// are passed over.
void ReadCalls(const Value& response, ResponseInfo* r) {
  auto output = response.FindMember("output");
  if (output == response.MemberEnd() || !output->value.IsArray()) return;
  for (const Value& v : output->value.GetArray()) {
    if (r->calls.size() >= ResponseInfo::kMaxCalls) break;
    if (!v.IsObject() || OptString(v, "type") != "function_call") continue;
    ReadItem(v, &r->calls.emplace_back());
  }
}

// Each event type's reader checks the fields the type cannot do without and copies them out. A
// frame that lacks one is skipped as a whole, so the conversation logic never sees a half-event.
// Fields common to many events are read before, in ParseServerEvent.
using FieldReader = Status (*)(const Value& doc, ServerEvent* e);

Status ReadError(const Value& doc, ServerEvent* e) {
  const Value* error = OptObject(doc, "error");
  if (!error) return Missing(e->type_name, "error");
  e->error.type = OptString(*error, "type");
  e->error.code = OptString(*error, "code");
  e->error.message = OptString(*error, "message");
  e->error.param = OptString(*error, "param");
  e->error.event_id = OptString(*error, "event_id");
  return Status::Ok();
}

Status ReadSession(const Value& doc, ServerEvent* e) {
  const Value* session = OptObject(doc, "session");
  if (!session) return Missing(e->type_name, "session");
  e->expires_at = OptInt(*session, "expires_at");
  e->session_model = OptString(*session, "model");
  // GA audio.input.transcription.model, beta input_audio_transcription.model.
  const Value* transcription = OptObject(*session, "input_audio_transcription");
  if (const Value* audio = OptObject(*session, "audio")) {
    if (const Value* input = OptObject(*audio, "input")) {
      transcription = OptObject(*input, "transcription");
    }
  }
  if (transcription) e->session_transcription_model = OptString(*transcription, "model");
  return Status::Ok();
}

Status ReadItemEvent(const Value& doc, ServerEvent* e) {
  const Value* item = OptObject(doc, "item");
  if (!item) return Missing(e->type_name, "item");
  ReadItem(*item, &e->item);
  e->item_id = e->item.id;
  return Status::Ok();
}

// response.created and response.done: the response, and what only its end carries, its usage
// and its calls.
Status ReadResponseEvent(const Value& doc, ServerEvent* e) {
  const Value* response = OptObject(doc, "response");
  if (!response) return Missing(e->type_name, "response");
  ReadResponse(*response, &e->response);
  e->response_id = e->response.id;
  if (e->type == Type::kResponseDone) {
    ReadUsage(*response, &e->usage);
    ReadCalls(*response, &e->response);
  }
  return Status::Ok();
}

Status ReadDelta(const Value& doc, ServerEvent* e) {
  return RequireString(doc, "delta", e->type_name, &e->delta);
}

Status ReadText(const Value& doc, ServerEvent* e) {
  return RequireString(doc, "text", e->type_name, &e->text);
}

Status ReadTranscript(const Value& doc, ServerEvent* e) {
  return RequireString(doc, "transcript", e->type_name, &e->text);
}

Status ReadInputTranscript(const Value& doc, ServerEvent* e) {
  ReadUsage(doc, &e->usage);
  return ReadTranscript(doc, e);
}

Status ReadArguments(const Value& doc, ServerEvent* e) {
  if (e->call_id.empty()) return Missing(e->type_name, "call_id");
  return RequireString(doc, "arguments", e->type_name, &e->text);
}

// A hosted MCP call's events name their item; the arguments come as the .done's "arguments".
Status ReadMcpItemId(const Value&, ServerEvent* e) {
  return e->item_id.empty() ? Missing(e->type_name, "item_id") : Status::Ok();
}

Status ReadMcpArguments(const Value& doc, ServerEvent* e) {
  Status s = ReadMcpItemId(doc, e);
  return s.ok() ? RequireString(doc, "arguments", e->type_name, &e->text) : s;
}

Status ReadTranscriptionFailure(const Value& doc, ServerEvent* e) {
  if (const Value* error = OptObject(doc, "error")) e->error.message = OptString(*error, "message");
  return Status::Ok();
}

struct Name {
  std::string_view wire;
  Type type;
  FieldReader read;  // nullptr: the event has no field it cannot do without
};

// Both dialects' names for every event voxterm understands, and how each is read.
constexpr Name kNames[] = {
    {"error", Type::kError, ReadError},
    {"session.created", Type::kSessionCreated, ReadSession},
    {"session.updated", Type::kSessionUpdated, ReadSession},
    {"conversation.created", Type::kConversationCreated, nullptr},
    {"conversation.item.added", Type::kItemAdded, ReadItemEvent},
    {"conversation.item.created", Type::kItemAdded, ReadItemEvent},
    {"conversation.item.done", Type::kItemDone, ReadItemEvent},
    {"conversation.item.truncated", Type::kItemTruncated, nullptr},
    {"conversation.item.deleted", Type::kItemDeleted, nullptr},
    {"conversation.item.retrieved", Type::kItemRetrieved, ReadItemEvent},
    {"conversation.item.input_audio_transcription.delta", Type::kInputTranscriptDelta, ReadDelta},
    {"conversation.item.input_audio_transcription.completed", Type::kInputTranscriptCompleted,
     ReadInputTranscript},
    {"conversation.item.input_audio_transcription.failed", Type::kInputTranscriptFailed,
     ReadTranscriptionFailure},
    {"input_audio_buffer.speech_started", Type::kSpeechStarted, nullptr},
    {"input_audio_buffer.speech_stopped", Type::kSpeechStopped, nullptr},
    {"input_audio_buffer.committed", Type::kBufferCommitted, nullptr},
    {"input_audio_buffer.cleared", Type::kBufferCleared, nullptr},
    {"input_audio_buffer.timeout_triggered", Type::kBufferTimeout, nullptr},
    {"response.created", Type::kResponseCreated, ReadResponseEvent},
    {"response.done", Type::kResponseDone, ReadResponseEvent},
    {"response.output_item.added", Type::kOutputItemAdded, ReadItemEvent},
    {"response.output_item.done", Type::kOutputItemDone, ReadItemEvent},
    {"response.content_part.added", Type::kContentPartAdded, nullptr},
    {"response.content_part.done", Type::kContentPartDone, nullptr},
    {"response.output_text.delta", Type::kTextDelta, ReadDelta},
    {"response.text.delta", Type::kTextDelta, ReadDelta},
    {"response.output_text.done", Type::kTextDone, ReadText},
    {"response.text.done", Type::kTextDone, ReadText},
    {"response.output_audio.delta", Type::kAudioDelta, ReadDelta},
    {"response.audio.delta", Type::kAudioDelta, ReadDelta},
    {"response.output_audio.done", Type::kAudioDone, nullptr},
    {"response.audio.done", Type::kAudioDone, nullptr},
    {"response.output_audio_transcript.delta", Type::kAudioTranscriptDelta, ReadDelta},
    {"response.audio_transcript.delta", Type::kAudioTranscriptDelta, ReadDelta},
    {"response.output_audio_transcript.done", Type::kAudioTranscriptDone, ReadTranscript},
    {"response.audio_transcript.done", Type::kAudioTranscriptDone, ReadTranscript},
    {"response.function_call_arguments.delta", Type::kFunctionArgsDelta, ReadDelta},
    {"response.function_call_arguments.done", Type::kFunctionArgsDone, ReadArguments},
    {"rate_limits.updated", Type::kRateLimits, nullptr},
    {"response.mcp_call_arguments.delta", Type::kMcpCallArgsDelta, ReadMcpItemId},
    {"response.mcp_call_arguments.done", Type::kMcpCallArgsDone, ReadMcpArguments},
    {"response.mcp_call.in_progress", Type::kMcpCallInProgress, ReadMcpItemId},
    {"response.mcp_call.completed", Type::kMcpCallCompleted, ReadMcpItemId},
    {"response.mcp_call.failed", Type::kMcpCallFailed, ReadMcpItemId},
    {"mcp_list_tools.in_progress", Type::kMcpListTools, nullptr},
    {"mcp_list_tools.completed", Type::kMcpListTools, nullptr},
    {"mcp_list_tools.failed", Type::kMcpListTools, nullptr},
};

// Built once; a hash lookup per event on the network path. nullptr for a name not in kNames.
const Name* Lookup(std::string_view name) {
  static const auto* table = [] {
    auto* t = new std::unordered_map<std::string_view, const Name*>();
    for (const Name& n : kNames) t->emplace(n.wire, &n);
    return t;
  }();
  auto it = table->find(name);
  return it == table->end() ? nullptr : it->second;
}

// A backend response: Responses names the end in the event ("response.failed") and the
// response's status; an error and incomplete_details say why.
Status ReadBackendResponse(const Value& event, std::string_view ending, ServerEvent* e) {
  const Value* response = OptObject(event, "response");
  if (!response) return Missing(e->type_name, "response");
  e->response.id = OptString(*response, "id");
  e->response.status = OptString(*response, "status");
  if (e->response.status.empty()) e->response.status = ending;
  e->session_model = OptString(*response, "model");
  e->response_id = e->response.id;
  if (e->backend_type != Type::kResponseDone) return Status::Ok();
  if (const Value* error = OptObject(*response, "error")) {
    e->response.error_code = OptString(*error, "code");
    e->response.error_message = OptString(*error, "message");
  }
  if (const Value* incomplete = OptObject(*response, "incomplete_details")) {
    e->response.reason = OptString(*incomplete, "reason");
  }
  ReadUsage(*response, &e->usage, "input_tokens_details");
  ReadCalls(*response, &e->response);
  return Status::Ok();
}

}  // namespace

Status ReadBackendEvent(const Value& event, ServerEvent* e) {
  if (!event.IsObject()) return Missing(e->type_name, "event");
  const std::string_view type = OptString(event, "type");
  if (type.empty()) return Missing(e->type_name, "event.type");
  static constexpr struct {
    std::string_view wire, status;
  } kEnds[] = {{"response.completed", "completed"},
               {"response.failed", "failed"},
               {"response.incomplete", "incomplete"},
               {"response.cancelled", "cancelled"}};
  if (type == "response.created") {
    e->backend_type = Type::kResponseCreated;
    return ReadBackendResponse(event, "in_progress", e);
  }
  for (const auto& end : kEnds) {
    if (type != end.wire) continue;
    e->backend_type = Type::kResponseDone;
    return ReadBackendResponse(event, end.status, e);
  }
  if (type == "response.output_item.added" || type == "response.output_item.done") {
    e->backend_type =
        type == "response.output_item.done" ? Type::kOutputItemDone : Type::kOutputItemAdded;
    const Value* item = OptObject(event, "item");
    if (!item) return Missing(e->type_name, "event.item");
    ReadItem(*item, &e->item);
    e->item_id = e->item.id;
    return Status::Ok();
  }
  return Status::Ok();  // kUnknown
}

// For logs only: a linear scan is fine.
std::string FailureReason(const ResponseInfo& response) {
  const std::string code = Printable(std::string(response.error_code), 100);
  const std::string message = Printable(std::string(response.error_message), 300);
  if (code.empty() && message.empty()) return " (the server gave no reason)";
  if (code.empty() || message.empty()) return ": " + code + message;
  return ": " + code + ": " + message;
}

const char* ToString(ServerEventType type) {
  for (const Name& n : kNames) {
    if (n.type == type) return n.wire.data();
  }
  return "unknown";
}

Status ParseServerEvent(std::string* buffer, ServerEvent* event) {
  *event = ServerEvent();
  rapidjson::Document doc;
  Status parsed = ParseEventFrame(buffer, &doc, &event->type_name);
  if (!parsed.ok()) return parsed;
  const Name* known = Lookup(event->type_name);
  event->type = known ? known->type : Type::kUnknown;
  // Fields common to many events are read once, up front; absent ones stay empty.
  event->event_id = OptString(doc, "event_id");
  event->response_id = OptString(doc, "response_id");
  event->item_id = OptString(doc, "item_id");
  event->previous_item_id = OptString(doc, "previous_item_id");
  event->call_id = OptString(doc, "call_id");
  event->name = OptString(doc, "name");
  event->output_index = OptInt(doc, "output_index");
  event->content_index = OptInt(doc, "content_index");
  event->audio_start_ms = OptInt(doc, "audio_start_ms");
  event->audio_end_ms = OptInt(doc, "audio_end_ms");
  return known && known->read ? known->read(doc, event) : Status::Ok();
}

}  // namespace voxterm
