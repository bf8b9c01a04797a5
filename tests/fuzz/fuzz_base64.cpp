// Fuzz target: base64 decoding (the server's audio deltas), checked against re-encoding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "util/base64.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<uint8_t> out(voxterm::Base64DecodedMaxSize(size));
  auto decoded = voxterm::Base64DecodeTo(text, out.data());
  if (voxterm::Base64DecodedSize(text) > out.size()) abort();
  // What decodes must encode back to the same text: the decoder is strict.
  if (decoded && voxterm::Base64Encode(out.data(), *decoded) != text) abort();
  return 0;
}
