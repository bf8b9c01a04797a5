// Parsing untrusted JSON with bounded cost and bounded reads. RapidJSON's iterative mode
// protects the stack, but a frame of nested brackets still costs about 25 times its size in DOM
// and parser stack, and code that walks a DOM recursively would overflow. Realtime events nest
// fewer than ten levels, so nesting deeper than kMaxJsonDepth is refused before it costs anything.
// A wide frame costs as much: 15 MB of "{}," is 5 million values and 170 MB of DOM. Realtime
// events hold a few hundred values at most (a session with its tools' schemas), so a frame of
// more than kMaxJsonValues is refused too, as soon as the parser reaches it.
// Thread safety: pure functions.
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace voxterm {

constexpr int kMaxJsonDepth = 64;
constexpr size_t kMaxJsonValues = size_t{1} << 17;

// RapidJSON's SSE2 code (on in every build: an audio delta is one string of tens of kilobytes)
// scans strings and whitespace in aligned 16-byte blocks, so in place it reads up to 15 bytes
// past the NUL that ends the text: past the end of its heap block unless the text is padded.
// (Parse(text, length) reads through a bounded stream instead and needs no padding.)
constexpr size_t kJsonPadding = 16;

// Parses *text in place: strings are decoded where they lie and the document's strings point
// into *text, which must outlive the document. *text is consumed: it is changed, and
// kJsonPadding NULs are appended (no copy when its capacity has room, as the transport leaves).
// The text ends at its first NUL. On failure the message says why and where.
Status ParseJsonInsitu(std::string* text, rapidjson::Document* doc);

// A server event's frame, parsed in place as ParseJsonInsitu does: an error unless it is a JSON
// object with a string "type", which *type then views.
Status ParseEventFrame(std::string* text, rapidjson::Document* doc, std::string_view* type);

// Reading a server event's members, which are untrusted: a member absent, null or of another
// type reads as empty, -1 or null (optional fields are often null in practice: PROTOCOL.md
// section l, item 5). View: a string value as it lies in the document.
std::string_view JsonView(const rapidjson::Value& v);
std::string_view OptString(const rapidjson::Value& obj, const char* key);
int64_t OptInt(const rapidjson::Value& obj, const char* key);
const rapidjson::Value* OptObject(const rapidjson::Value& obj, const char* key);
// "TYPE: missing or mistyped "WHAT"": the error of an event that lacks a member it needs.
Status Missing(std::string_view type, const char* what);

}  // namespace voxterm
