// Base64 (RFC 4648, standard alphabet, padded) for audio payloads.
// Decoding validates strictly: a wrong length, a character outside the alphabet or misplaced
// padding is an error, never silently skipped. Both directions write into caller buffers so the
// audio path can decode straight into place without a temporary.
// Thread safety: pure functions, callable from any thread except audio callbacks (no reason to).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace voxterm {

constexpr size_t Base64EncodedSize(size_t bytes) { return (bytes + 2) / 3 * 4; }
// An upper bound; the exact size depends on the padding.
constexpr size_t Base64DecodedMaxSize(size_t chars) { return chars / 4 * 3; }

// Writes exactly Base64EncodedSize(size) characters to out.
void Base64EncodeTo(const uint8_t* data, size_t size, char* out);
std::string Base64Encode(const uint8_t* data, size_t size);
inline std::string Base64Encode(std::string_view bytes) {
  return Base64Encode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// Decodes text into out, which must hold Base64DecodedMaxSize(text.size()) bytes.
// Returns the number of bytes written, or nullopt when text is not valid base64.
std::optional<size_t> Base64DecodeTo(std::string_view text, uint8_t* out);
std::optional<std::string> Base64Decode(std::string_view text);

// The decoded size of valid base64 text, from its length and padding alone.
size_t Base64DecodedSize(std::string_view text);

}  // namespace voxterm
