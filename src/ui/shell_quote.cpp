#include "ui/shell_quote.h"

#include <cstdint>
#include <cstdio>

namespace voxterm {
namespace {

// Characters a terminal shows as nothing, as a space, or not where they are: control and
// format characters (bidirectional controls among them), spaces other than U+0020, fillers,
// variation selectors, tags, private use and noncharacters. (Unicode's Cc, Cf, Zs, Zl, Zp,
// Co, the Default_Ignorable_Code_Point set, and the blanks fonts draw as nothing.)
bool Hidden(uint32_t c) {
  if (c < 0x20 || (c >= 0x7F && c <= 0xA0)) return true;  // C0, DEL, C1, no-break space
  static constexpr struct {
    uint32_t first, last;
  } kRanges[] = {
      {0x00AD, 0x00AD},     // soft hyphen
      {0x034F, 0x034F},     // combining grapheme joiner
      {0x061C, 0x061C},     // Arabic letter mark
      {0x115F, 0x1160},     // Hangul fillers
      {0x1680, 0x1680},     // Ogham space mark
      {0x17B4, 0x17B5},     // Khmer inherent vowels
      {0x180B, 0x180F},     // Mongolian variation selectors and vowel separator
      {0x2000, 0x200F},     // spaces of other widths, zero-width characters, LRM, RLM
      {0x2028, 0x202F},     // line and paragraph separators, embeddings and overrides, NNBSP
      {0x205F, 0x206F},     // medium space, word joiner, invisible operators, isolates
      {0x2800, 0x2800},     // braille blank
      {0x3000, 0x3000},     // ideographic space
      {0x3164, 0x3164},     // Hangul filler
      {0xE000, 0xF8FF},     // private use
      {0xFDD0, 0xFDEF},     // noncharacters
      {0xFE00, 0xFE0F},     // variation selectors
      {0xFEFF, 0xFEFF},     // zero-width no-break space (byte order mark)
      {0xFFA0, 0xFFA0},     // halfwidth Hangul filler
      {0xFFF0, 0xFFFB},     // interlinear annotations, unassigned specials
      {0xFFFE, 0xFFFF},     // noncharacters
      {0x1BCA0, 0x1BCA3},   // shorthand format controls
      {0x1D173, 0x1D17A},   // musical format controls
      {0xE0000, 0xE0FFF},   // tags, variation selectors supplement
      {0xF0000, 0x10FFFF},  // supplementary private use
  };
  for (const auto& r : kRanges) {
    if (c >= r.first && c <= r.last) return true;
  }
  return (c & 0xFFFE) == 0xFFFE;  // the noncharacters at the end of every plane
}

// The UTF-8 sequence at text[i]: its length and code point, or length 0 when it is not UTF-8
// (overlong forms, surrogates and code points past U+10FFFF are not).
size_t Decode(std::string_view text, size_t i, uint32_t* code) {
  const auto b = static_cast<unsigned char>(text[i]);
  const size_t length = b < 0x80           ? 1
                        : (b >> 5) == 0x6  ? 2
                        : (b >> 4) == 0xE  ? 3
                        : (b >> 3) == 0x1E ? 4
                                           : 0;
  if (length == 0 || i + length > text.size() || (length == 2 && b < 0xC2)) return 0;
  *code = length == 1 ? b : length == 2 ? b & 0x1F : length == 3 ? b & 0x0F : b & 0x07;
  for (size_t k = 1; k < length; ++k) {
    const auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    *code = (*code << 6) | (c & 0x3F);
  }
  if (length == 3 && (*code < 0x800 || (*code >= 0xD800 && *code <= 0xDFFF))) return 0;
  if (length == 4 && (*code < 0x10000 || *code > 0x10FFFF)) return 0;
  return length;
}

bool Plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '@' || c == '%' || c == '+' || c == '=' || c == ':' || c == ',' || c == '.' ||
         c == '/' || c == '-';
}

std::string Hex(const char* format, uint32_t value) {
  char buffer[16];
  snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// The word in $'...', every hidden character and stray byte escaped.
std::string AnsiC(std::string_view word) {
  std::string out = "$'";
  for (size_t i = 0; i < word.size();) {
    uint32_t code = 0;
    const size_t length = Decode(word, i, &code);
    if (length == 0) {
      out += Hex("\\x%02X", static_cast<unsigned char>(word[i]));
      ++i;
      continue;
    }
    switch (code) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\v': out += "\\v"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      case 0x1B: out += "\\E"; break;
      default:
        if (code < 0x20 || code == 0x7F) {
          out += Hex("\\x%02X", code);
        } else if (Hidden(code)) {
          out += Hex(code > 0xFFFF ? "\\U%08X" : "\\u%04X", code);
        } else {
          out.append(word, i, length);
        }
    }
    i += length;
  }
  return out + "'";
}

}  // namespace

std::string ShellQuote(std::string_view word) {
  bool plain = !word.empty();
  for (size_t i = 0; i < word.size();) {
    uint32_t code = 0;
    const size_t length = Decode(word, i, &code);
    if (length == 0 || Hidden(code)) return AnsiC(word);
    plain = plain && length == 1 && Plain(word[i]);
    i += length;
  }
  if (plain) return std::string(word);
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace voxterm
