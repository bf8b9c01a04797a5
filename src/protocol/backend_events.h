// The Responses API's streaming events, as GPT-Live's response.event carries them from the
// delegation backend (../shared/protocol/LIVE.md sections 4 and 5c). Each is read into a
// ServerEvent's fields as its Realtime namesake is, so that what runs tool calls
// (conversation/tool_calls.h) reads both alike. Untrusted like every server message.
//
//   response.created                    kResponseCreated: response.id and status
//   response.output_item.added / .done  kOutputItemAdded / kOutputItemDone: the item (output
//                                       items carry no response id: the caller knows it)
//   response.completed, .failed, .incomplete, .cancelled
//                                       kResponseDone: response.status (the event's own word
//                                       when absent), incomplete_details.reason as the reason,
//                                       error.code and .message, the function_call items of
//                                       output, usage (input_tokens, output_tokens,
//                                       total_tokens, input_tokens_details.cached_tokens)
//   anything else                       kUnknown: read nothing (new types are tolerated)
// Thread safety: pure functions.
#pragma once

#include <rapidjson/document.h>

#include "protocol/server_events.h"
#include "util/status.h"

namespace voxterm {

// Reads the nested event into *e, its type into e->backend_type. An event that is not an object
// with a string "type", or lacks what its type needs, is an error.
Status ReadBackendEvent(const rapidjson::Value& event, ServerEvent* e);

}  // namespace voxterm
