#include "ui/terminal_text.h"

#include "util/utf8.h"

namespace voxterm {

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
