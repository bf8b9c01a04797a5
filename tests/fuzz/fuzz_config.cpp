// Fuzz target: the config file parser, tools included.
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  voxterm::Config config;
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)voxterm::ParseConfig(text, "fuzz.json", &config);
  (void)voxterm::HoldsApiKey(text);
  return 0;
}
