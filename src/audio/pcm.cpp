#include "audio/pcm.h"

#include "util/base64.h"

namespace voxterm {

std::optional<size_t> DecodePcm16(std::string_view base64, std::vector<int16_t>* samples) {
  // Decoded straight into the sample buffer: the host is little-endian, as the wire is.
  samples->resize(Base64DecodedMaxSize(base64.size()) / 2 + 1);
  auto bytes = Base64DecodeTo(base64, reinterpret_cast<uint8_t*>(samples->data()));
  if (!bytes) return std::nullopt;
  return *bytes / 2;
}

}  // namespace voxterm
