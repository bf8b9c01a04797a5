// UTF-8 as voxterm meets it: text from the user, from files and from the server, none of which
// is sure to be valid. Two uses:
//  - Text sent to the server must be valid UTF-8: a WebSocket text frame that is not makes the
//    server close the session (code 1007, RFC 6455 section 8.1). RepairUtf8 replaces what is
//    invalid with U+FFFD.
//  - Text shown on a terminal must not act on it: an escape sequence could set the clipboard
//    (OSC 52), clear the screen or move the cursor. AppendForDisplay writes what a terminal would
//    act on as visible escapes (below).
// Decoding follows RFC 3629 (no overlong forms, no surrogates, nothing past U+10FFFF); an
// invalid sequence is its maximal valid prefix, or one byte (Unicode's "maximal subpart", as
// Python's errors="replace" and WHATWG decoders count them).
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace voxterm {

struct Utf8Char {
  enum class Kind {
    kValid,       // code_point holds it
    kInvalid,     // bytes that cannot start or continue a character
    kIncomplete,  // a valid start that the text ends inside of (more may follow in a stream)
  };
  Kind kind;
  char32_t code_point;  // kValid only
  size_t length;        // bytes taken from the text: 1 to 4
};

// The character at the start of text, which must not be empty.
Utf8Char DecodeUtf8(std::string_view text);

bool IsValidUtf8(std::string_view text);

// text with every invalid or incomplete sequence replaced by U+FFFD (EF BF BD).
std::string RepairUtf8(std::string_view text);

enum class LineBreaks {
  kKeep,    // newline and tab pass: an answer keeps its lines
  kEscape,  // shown as \n and \t: a log line stays one line
};

// Appends text to out as a terminal should show it. Escaped, so that they are seen and not
// acted on:
//   C0 controls and DEL        \xHH (\n, \r, \t for those; newline and tab pass with kKeep)
//   C1 controls U+0080..U+009F \u00HH
//   bidi embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069), which would
//   reorder the text around them                                   \u20HH
//   each byte of invalid or incomplete UTF-8                       \xHH
// Everything else, backslashes included, passes unchanged. Stops before a character that would
// start at or past max_bytes of out; returns how many bytes of text were used.
size_t AppendForDisplay(std::string_view text, LineBreaks breaks, std::string* out,
                        size_t max_bytes = std::string::npos);

// The longest start of text, at most max_bytes long, that does not end inside a character:
// a cut that keeps valid text valid (the characters cut whole, never half of one).
std::string_view Utf8Head(std::string_view text, size_t max_bytes);
// The same for the end of text: the longest end, at most max_bytes, that starts at a character.
std::string_view Utf8Tail(std::string_view text, size_t max_bytes);

// How many bytes at the end of text start a character that is not complete yet (0 to 3): a
// stream holds them back until the rest arrives.
size_t IncompleteUtf8Tail(std::string_view text);

}  // namespace voxterm
