#include "ui/terminal_text.h"

namespace voxterm {

// Only bytes are inspected; multi-byte UTF-8 other than C2 80..9F passes unchanged.
std::string TerminalFilter::Filter(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (pending_c2_) {
      pending_c2_ = false;
      if (c >= 0x80 && c <= 0x9F) continue;  // a C1 control: drop both bytes
      out += '\xC2';
    }
    if (c == 0xC2) {
      pending_c2_ = true;  // decided by the next byte
      continue;
    }
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) continue;
    out += static_cast<char>(c);
  }
  return out;
}

}  // namespace voxterm
