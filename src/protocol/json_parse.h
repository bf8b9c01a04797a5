// Parsing untrusted JSON with bounded cost. RapidJSON's iterative mode protects the stack, but a
// frame of nested brackets still costs about 25 times its size in DOM and parser stack, and
// code that walks a DOM recursively would overflow. Realtime events nest fewer than ten levels,
// so nesting deeper than kMaxJsonDepth is refused before it costs anything.
// Thread safety: pure functions.
#pragma once

#include <rapidjson/document.h>

#include "util/status.h"

namespace voxterm {

constexpr int kMaxJsonDepth = 64;

// Parses NUL-terminated text in place (strings are decoded where they lie and the document's
// strings point into text). On failure the message says why and where.
Status ParseJsonInsitu(char* text, rapidjson::Document* doc);

}  // namespace voxterm
