#include "audio/alsa_messages.h"

#include <alsa/asoundlib.h>

#include <atomic>
#include <cstdarg>
#include <cstring>

namespace voxterm {
namespace {

std::atomic<uint64_t> xrun_messages{0};
std::atomic<uint64_t> other_messages{0};

// alsa-lib's snd_lib_error_handler_t. fmt is the message's format string: snd_pcm_recover's
// is "underrun occurred" or "overrun occurred", which is all that is needed to tell them apart.
void OnAlsaMessage(const char*, int, const char*, int, const char* fmt, ...) {
  if (fmt && (std::strstr(fmt, "underrun") || std::strstr(fmt, "overrun"))) {
    xrun_messages.fetch_add(1, std::memory_order_relaxed);
  } else {
    other_messages.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

void CountAlsaMessages() { snd_lib_error_set_handler(&OnAlsaMessage); }

AlsaMessageCounts AlsaMessages() {
  AlsaMessageCounts counts;
  counts.underruns = xrun_messages.load(std::memory_order_relaxed);
  counts.other = other_messages.load(std::memory_order_relaxed);
  return counts;
}

}  // namespace voxterm
