#include "ui/terminal_text.h"

#include <locale.h>
#include <wchar.h>

#include "util/utf8.h"

namespace voxterm {

int CharColumns(char32_t c) {
  if (c < 0x7f) return 1;
  // Made once, never freed: the process's own copy of the C library's UTF-8 tables.
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  int width = -1;
  if (utf8 != static_cast<locale_t>(0)) {
    const locale_t before = uselocale(utf8);
    width = wcwidth(static_cast<wchar_t>(c));
    uselocale(before);
  } else if (c >= 0x300 && c <= 0x36f) {  // no UTF-8 locale at all: roughly
    width = 0;
  } else if (c >= 0x1100) {
    width = 2;
  }
  return width < 0 ? 1 : width;
}

size_t TextColumns(std::string_view text) {
  size_t columns = 0;
  while (!text.empty()) {
    const Utf8Char ch = DecodeUtf8(text);
    columns +=
        ch.kind == Utf8Char::Kind::kValid ? static_cast<size_t>(CharColumns(ch.code_point)) : 1;
    text.remove_prefix(ch.length);
  }
  return columns;
}

std::string TerminalFilter::Filter(std::string_view text) {
  std::string joined;
  if (!held_.empty()) {
    joined = held_ + std::string(text);
    text = joined;
    held_.clear();
  }
  const size_t tail = IncompleteUtf8Tail(text);
  std::string out;
  out.reserve(text.size());
  AppendForDisplay(text.substr(0, text.size() - tail), LineBreaks::kKeep, &out);
  held_ = std::string(text.substr(text.size() - tail));
  return out;
}

}  // namespace voxterm
