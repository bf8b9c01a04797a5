// Fuzz target: an audio file as --input-file reads it (libsndfile's parsers and voxterm's
// checks and downmix), from an in-memory file.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "audio/file_device.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = memfd_create("fuzz-audio", 0);
  if (fd < 0) return 0;
  if (write(fd, data, size) == static_cast<ssize_t>(size)) {
    auto input = voxterm::FileInput::Open("/proc/self/fd/" + std::to_string(fd));
    if (input.ok()) {
      int16_t mono[480];
      // A header may promise more than is there; a bounded read is enough to cross it.
      for (int i = 0; i < 2000 && (*input)->ReadMono(mono, 480) > 0; ++i) {
      }
    }
  }
  close(fd);
  return 0;
}
