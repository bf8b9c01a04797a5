// Server events: JSON text in, one typed ServerEvent out. No I/O.
// Everything the server sends is untrusted: a frame that is not a JSON object, has no string
// "type", or lacks a field its type needs is an error to log and skip, never a crash. Unknown
// types parse as kUnknown; unknown fields are ignored. Both dialects' names map to one type.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace voxterm {

enum class ServerEventType {
  kUnknown,
  kError,
  kSessionCreated,
  kSessionUpdated,
  kConversationCreated,
  kItemAdded,  // GA conversation.item.added, beta (and legacy GA) conversation.item.created
  kItemDone,   // GA conversation.item.done
  kItemTruncated,
  kItemDeleted,
  kItemRetrieved,
  kInputTranscriptDelta,
  kInputTranscriptCompleted,
  kInputTranscriptFailed,
  kSpeechStarted,
  kSpeechStopped,
  kBufferCommitted,
  kBufferCleared,
  kBufferTimeout,
  kResponseCreated,
  kResponseDone,
  kOutputItemAdded,
  kOutputItemDone,
  kContentPartAdded,
  kContentPartDone,
  kTextDelta,             // response.output_text.delta / response.text.delta
  kTextDone,              // response.output_text.done / response.text.done
  kAudioDelta,            // response.output_audio.delta / response.audio.delta
  kAudioDone,             // response.output_audio.done / response.audio.done
  kAudioTranscriptDelta,  // response.output_audio_transcript.delta /
                          // response.audio_transcript.delta
  kAudioTranscriptDone,   // response.output_audio_transcript.done / response.audio_transcript.done
  kFunctionArgsDelta,
  kFunctionArgsDone,
  kRateLimits,
  // A hosted MCP server's (GA only): a call's progress, keyed by item_id; the listing of its
  // tools (mcp_list_tools.in_progress / completed / failed, told apart by type_name).
  kMcpCallArgsDelta,  // response.mcp_call_arguments.delta
  kMcpCallArgsDone,   // response.mcp_call_arguments.done: arguments in text
  kMcpCallInProgress,
  kMcpCallCompleted,
  kMcpCallFailed,
  kMcpListTools,
  // GPT-Live (protocol/live_events.h). Its session.started parses as kSessionCreated: either
  // announces the session the conversation may use.
  kSessionClosed,         // session.closed: reason in text, the session's usage
  kUsageUpdated,          // session.usage.updated: usage.seconds, cumulative
  kDelegationCreated,     // session.delegation.created: its id in item_id
  kLiveOutputAudio,       // session.output_audio.delta: one continuous stream, no response
  kLiveOutputTranscript,  // session.output_transcript.delta
  kLiveInputTranscript,   // session.input_transcript.delta
  kLiveAck,               // *.appended, input_audio.muted / unmuted, session.updated, info
  kBackendEvent,          // response.event: the Responses backend's, in backend_type
};

const char* ToString(ServerEventType type);

// The parts of an item voxterm uses (message, function_call, a hosted MCP server's items).
struct ItemInfo {
  std::string_view id, type, role, status;
  std::string_view call_id, name, arguments;   // function_call items, and mcp_call's and
                                               // mcp_approval_request's name and arguments
  std::string_view server_label;               // mcp_call, mcp_approval_request, mcp_list_tools
  std::string_view error_type, error_message;  // mcp_call's "error", when an object
  int64_t tool_count = -1;                     // mcp_list_tools: the length of "tools"
  bool arguments_not_string = false;           // "arguments" was there, and not a JSON string
  std::string_view output;                     // function_call_output and mcp_call items
  std::string_view text;  // the first content part's text or transcript, when a string
};

struct ResponseInfo {
  std::string_view id, status;
  std::string_view reason;                     // status_details.reason
  std::string_view error_code, error_message;  // status_details.error, for "failed"
  // response.done: the function_call items of "output", in their order; the first kMaxCalls.
  // (A call a server announces only here still needs its output.)
  static constexpr size_t kMaxCalls = 128;
  std::vector<ItemInfo> calls;
};

// What a response.done's "usage" (RealtimeResponse.usage) or a finished transcription's
// "usage" (TranscriptTextUsageTokens / TranscriptTextUsageDuration) says was billed. Untrusted
// like the rest: a count is -1 when absent or null, and when the server sent something that is
// not a non-negative integer (a negative number, a fraction, a string, an object), which is
// also counted in `invalid`; a whole count beyond int64_t (2^64 and more included) is saturated
// at INT64_MAX.
struct UsageInfo {
  bool present = false;  // "usage" was an object
  int64_t input = -1, output = -1, total = -1;
  // input_token_details; the cached counts are a part of the input counts, not added to them.
  int64_t input_text = -1, input_audio = -1, input_image = -1;
  int64_t cached = -1, cached_text = -1, cached_audio = -1, cached_image = -1;
  int64_t output_text = -1, output_audio = -1;  // output_token_details
  double seconds = -1;             // a transcription billed by duration ("type": "duration")
  int invalid = 0;                 // values skipped as not what the schema allows
  const char* first_invalid = "";  // the first such value's key, for a debug line
};

// ": CODE: MESSAGE" (or the one of them the server sent) for a failed response, printable;
// " (the server gave no reason)" when it sent neither.
std::string FailureReason(const ResponseInfo& response);

struct ErrorInfo {
  std::string_view type, code, message, param, event_id;
};

// String views point into the buffer given to ParseServerEvent and live as long as it does.
// A field the event did not carry is empty, or -1 for numbers.
// session_audio_type of a session.audio.format that is there but cannot be read.
constexpr std::string_view kUnreadableFormat = "(unreadable)";

struct ServerEvent {
  ServerEventType type = ServerEventType::kUnknown;
  std::string_view type_name;
  std::string_view event_id, response_id, item_id, previous_item_id, call_id, name;
  std::string_view delta;  // text, transcript, base64 audio or argument delta
  std::string_view text;   // text / transcript / arguments of a .done event
  int64_t output_index = -1, content_index = -1;
  int64_t audio_start_ms = -1, audio_end_ms = -1;
  int64_t expires_at = -1;  // session events, Unix seconds
  // session events: session.model; a delegation backend's response (kBackendEvent): its model
  std::string_view session_model;
  // session events: audio.input.transcription.model (GA), input_audio_transcription.model (beta)
  std::string_view session_transcription_model;
  // GPT-Live's session.started: session.audio.format, as the server gave it. Empty and -1 when
  // it left the format out; kUnreadableFormat when the format is not {type: string, rate: int}.
  std::string_view session_audio_type;
  int64_t session_audio_rate_hz = -1;
  ItemInfo item;
  ResponseInfo response;
  ErrorInfo error;
  UsageInfo usage;  // response.done and input_audio_transcription.completed
  // GPT-Live's response.event (kBackendEvent): the envelope's delegation_id, and the Responses
  // streaming event it carries, read into the fields above as its Realtime namesake would be
  // (protocol/live_events.h); kUnknown for one voxterm does not use.
  std::string_view delegation_id;
  ServerEventType backend_type = ServerEventType::kUnknown;
  int64_t received_ns = 0;  // when it arrived whole (MonotonicNs), set by whoever received it
};

// Parses one frame in place: *buffer is consumed (RapidJSON's in-situ mode decodes strings where
// they lie, so no string is copied; protocol/json_parse.h pads it for the SSE2 scan).
Status ParseServerEvent(std::string* buffer, ServerEvent* event);

}  // namespace voxterm
