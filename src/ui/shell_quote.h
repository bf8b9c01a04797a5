// ShellQuote: one word of a command line, written so that the user sees exactly what it is.
// A "confirm" tool's question shows the command about to run, and its words come from the
// model: a right-to-left override, a zero-width space, a no-break space or an escape sequence
// would make the line on the screen differ from what runs. Each word is written as bash would
// read it back (printf %q style): bare when it is plain, in single quotes when it has spaces or
// shell characters, in $'...' with escapes when it has anything a terminal would not show as
// itself. Nothing is dropped and nothing is cut.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace voxterm {

// word, quoted:
//   /var/log              -> /var/log
//   it's a  b             -> 'it'\''s a  b'
//   a<TAB>b<U+202E>c      -> $'a\tb\u202Ec'
// In $'...': \t \n \r \a \b \v \f \E (escape) and \xHH for the other C0 controls, DEL and bytes
// that are not UTF-8; \uXXXX (\UXXXXXXXX) for C1 controls, bidirectional controls, invisible
// and unusual space characters, variation selectors, tags and private-use characters.
std::string ShellQuote(std::string_view word);

}  // namespace voxterm
