// TerminalFilter: makes untrusted text safe to write to a terminal.
// Answer text comes from the server. On a terminal, an escape sequence in it could move the
// cursor, rewrite the window title or set the clipboard (OSC 52), so C0 and C1 control
// characters are dropped, except newline and tab. Not used when stdout is a pipe: a pipeline gets
// the answer byte for byte.
// Thread safety: one instance per stream, one thread.
#pragma once

#include <string>
#include <string_view>

namespace voxterm {

class TerminalFilter {
 public:
  // Returns text without control characters. Stateful because a C1 control is two bytes in
  // UTF-8 (C2 80..C2 9F) and a delta may end between them.
  std::string Filter(std::string_view text);

 private:
  bool pending_c2_ = false;  // the last byte seen was 0xC2
};

}  // namespace voxterm
