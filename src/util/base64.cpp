#include "util/base64.h"

#include <array>

namespace voxterm {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kInvalid = 0xFF;

// A 256-entry table: one load per character and one test per four characters for validity.
constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (uint8_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = i;
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

// Three bytes to four characters at a time; the tail is padded with '='.
void Base64EncodeTo(const uint8_t* data, size_t size, char* out) {
  size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    *out++ = kAlphabet[(v >> 18) & 63];
    *out++ = kAlphabet[(v >> 12) & 63];
    *out++ = kAlphabet[(v >> 6) & 63];
    *out++ = kAlphabet[v & 63];
  }
  size_t rest = size - i;
  if (rest == 0) return;
  uint32_t v = uint32_t{data[i]} << 16;
  if (rest == 2) v |= uint32_t{data[i + 1]} << 8;
  *out++ = kAlphabet[(v >> 18) & 63];
  *out++ = kAlphabet[(v >> 12) & 63];
  *out++ = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
  *out++ = '=';
}

std::string Base64Encode(const uint8_t* data, size_t size) {
  std::string out(Base64EncodedSize(size), '\0');
  Base64EncodeTo(data, size, out.data());
  return out;
}

size_t Base64DecodedSize(std::string_view text) {
  const size_t whole = text.size() / 4 * 3;
  if (text.size() % 4 != 0 || text.empty()) return whole;  // not valid base64: an estimate
  size_t padding = (text.back() == '=') + (text[text.size() - 2] == '=');
  return whole - padding;
}

// Strict: padded input only, no whitespace, canonical final bits. A server that sends anything
// else is sending something other than audio.
std::optional<size_t> Base64DecodeTo(std::string_view text, uint8_t* out) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return 0;
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());
  const size_t full_quads = text.size() / 4 - 1;  // the last quad may carry padding
  uint8_t* start = out;
  for (size_t q = 0; q < full_quads; ++q, in += 4) {
    uint32_t a = kDecode[in[0]], b = kDecode[in[1]], c = kDecode[in[2]], d = kDecode[in[3]];
    // One test for all four: kInvalid is the only value with bit 7 set.
    if ((a | b | c | d) & 0x80) return std::nullopt;
    uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    *out++ = static_cast<uint8_t>(v >> 16);
    *out++ = static_cast<uint8_t>(v >> 8);
    *out++ = static_cast<uint8_t>(v);
  }
  uint32_t a = kDecode[in[0]], b = kDecode[in[1]];
  if ((a | b) & 0x80) return std::nullopt;
  if (in[2] == '=') {
    // "xx==": one byte; the unused low bits of b must be zero (canonical form).
    if (in[3] != '=' || (b & 0x0F)) return std::nullopt;
    *out++ = static_cast<uint8_t>((a << 2) | (b >> 4));
    return static_cast<size_t>(out - start);
  }
  uint32_t c = kDecode[in[2]];
  if (c & 0x80) return std::nullopt;
  if (in[3] == '=') {
    if (c & 0x03) return std::nullopt;
    uint32_t v = (a << 18) | (b << 12) | (c << 6);
    *out++ = static_cast<uint8_t>(v >> 16);
    *out++ = static_cast<uint8_t>(v >> 8);
    return static_cast<size_t>(out - start);
  }
  uint32_t d = kDecode[in[3]];
  if (d & 0x80) return std::nullopt;
  uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
  *out++ = static_cast<uint8_t>(v >> 16);
  *out++ = static_cast<uint8_t>(v >> 8);
  *out++ = static_cast<uint8_t>(v);
  return static_cast<size_t>(out - start);
}

std::optional<std::string> Base64Decode(std::string_view text) {
  std::string out(Base64DecodedMaxSize(text.size()), '\0');
  auto n = Base64DecodeTo(text, reinterpret_cast<uint8_t*>(out.data()));
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}

}  // namespace voxterm
