// TerminalFilter: makes untrusted text safe to write to a terminal.
// Answers and transcripts come from the server. On a terminal, an escape sequence in them could
// move the cursor, clear the screen, rewrite the window title or set the clipboard (OSC 52), and
// a bidi override could make the text read other than it is. So what a terminal would act on is
// shown escaped instead, visible and inert: \x1b for ESC, \u009b for a C1 control, \u202e for an
// override, \xff for a byte that is not UTF-8 (util/utf8.h, AppendForDisplay, has the list).
// Newline and tab pass. Not used when the output is a pipe: a pipeline gets the text byte for
// byte.
// Thread safety: one instance per stream, one thread.
#pragma once

#include <string>
#include <string_view>

namespace voxterm {

// The columns a terminal gives a character: 2 for wide ones (CJK, most emoji), 0 for those
// that join the one before (combining marks, joiners), 1 for the rest; what the C library's
// wcwidth says in a UTF-8 locale, whatever the user's locale is. Control characters count 1
// (voxterm never writes them raw). Line editing and the screen's bottom rows count with it.
int CharColumns(char32_t c);
// The columns of UTF-8 text that has no control characters in it.
size_t TextColumns(std::string_view text);

class TerminalFilter {
 public:
  // Returns text with what a terminal would act on escaped. Stateful because a character may be
  // split between two deltas: its start is held back until the rest arrives (at most 3 bytes),
  // and shown escaped if what follows does not complete it.
  std::string Filter(std::string_view text);

 private:
  std::string held_;  // the start of a character that the last text ended inside
};

}  // namespace voxterm
