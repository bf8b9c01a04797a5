// PCM16 from the wire: base64 of little-endian 16-bit mono samples at 24 kHz.
// Thread safety: pure function; the caller owns the buffer.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace voxterm {

// Decodes an audio delta into *samples (resized to fit, reused across calls). Returns the number
// of samples, or nullopt when the text is not valid base64. An odd trailing byte is dropped.
std::optional<size_t> DecodePcm16(std::string_view base64, std::vector<int16_t>* samples);

}  // namespace voxterm
