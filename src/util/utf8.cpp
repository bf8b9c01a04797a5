#include "util/utf8.h"

#include <cstdio>

namespace voxterm {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

void AppendHex(const char* format, unsigned value, std::string* out) {
  char hex[16];
  snprintf(hex, sizeof hex, format, value);
  *out += hex;
}

// The code points a terminal acts on, or that reorder the text around them, beyond C0 and DEL.
bool IsEscapedCodePoint(char32_t c) {
  return (c >= 0x80 && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

// The second byte's range is narrower after E0, ED, F0 and F4: that is what rules out overlong
// forms, surrogates and code points past U+10FFFF (RFC 3629 section 4).
Utf8Char DecodeUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char lead = s[0];
  if (lead < 0x80) return {Utf8Char::Kind::kValid, lead, 1};
  size_t continuation;
  char32_t code_point;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    continuation = 1;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuation = 2;
    code_point = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    continuation = 3;
    code_point = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {Utf8Char::Kind::kInvalid, 0, 1};
  }
  for (size_t i = 1; i <= continuation; ++i) {
    if (i >= text.size()) return {Utf8Char::Kind::kIncomplete, 0, i};
    const unsigned char c = s[i];
    if (c < low || c > high) return {Utf8Char::Kind::kInvalid, 0, i};
    code_point = (code_point << 6) | (c & 0x3F);
    low = 0x80;
    high = 0xBF;
  }
  return {Utf8Char::Kind::kValid, code_point, continuation + 1};
}

bool IsValidUtf8(std::string_view text) {
  if (IsAscii(text)) return true;  // most text: one pass, no decoding
  for (size_t i = 0; i < text.size();) {
    const Utf8Char c = DecodeUtf8(text.substr(i));
    if (c.kind != Utf8Char::Kind::kValid) return false;
    i += c.length;
  }
  return true;
}

std::string RepairUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const Utf8Char c = DecodeUtf8(text.substr(i));
    if (c.kind == Utf8Char::Kind::kValid) {
      out.append(text.substr(i, c.length));
    } else {
      out.append(kReplacement);
    }
    i += c.length;
  }
  return out;
}

size_t AppendForDisplay(std::string_view text, LineBreaks breaks, std::string* out,
                        size_t max_bytes) {
  size_t i = 0;
  while (i < text.size() && out->size() < max_bytes) {
    const Utf8Char c = DecodeUtf8(text.substr(i));
    if (c.kind != Utf8Char::Kind::kValid) {
      for (size_t k = 0; k < c.length; ++k) {
        AppendHex("\\x%02x", static_cast<unsigned char>(text[i + k]), out);
      }
    } else if (c.code_point < 0x20 || c.code_point == 0x7F) {
      const bool keep = breaks == LineBreaks::kKeep;
      switch (c.code_point) {
        case '\n': *out += keep ? "\n" : "\\n"; break;
        case '\t': *out += keep ? "\t" : "\\t"; break;
        case '\r': *out += "\\r"; break;
        default: AppendHex("\\x%02x", c.code_point, out);
      }
    } else if (IsEscapedCodePoint(c.code_point)) {
      AppendHex("\\u%04x", c.code_point, out);
    } else {
      out->append(text.substr(i, c.length));
    }
    i += c.length;
  }
  return i;
}

namespace {
bool IsContinuation(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }
}  // namespace

std::string_view Utf8Head(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;  // text[end] is the first byte left out: it must start a character
  while (end > 0 && IsContinuation(text[end])) --end;
  return text.substr(0, end);
}

std::string_view Utf8Tail(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t start = text.size() - max_bytes;
  while (start < text.size() && IsContinuation(text[start])) ++start;
  return text.substr(start);
}

size_t IncompleteUtf8Tail(std::string_view text) {
  for (size_t back = 1; back <= 3 && back <= text.size(); ++back) {
    const auto byte = static_cast<unsigned char>(text[text.size() - back]);
    if (byte < 0x80) return 0;
    if (byte >= 0xC0) {  // a lead byte: the tail is incomplete only if it is a valid start
      const Utf8Char c = DecodeUtf8(text.substr(text.size() - back));
      return c.kind == Utf8Char::Kind::kIncomplete ? back : 0;
    }
  }
  return 0;
}

}  // namespace voxterm
