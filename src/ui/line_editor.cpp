#include "ui/line_editor.h"

#include <algorithm>
#include <utility>

#include "ui/terminal_text.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// The UTF-8 of one code point.
std::string Encode(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

// One character on the screen: a code point and the zero-width ones that join it.
struct Cell {
  size_t start;       // in the line's bytes
  std::string shown;  // what the terminal is given
  size_t columns;
};

// The cells of text, each with what the row shows for it.
std::vector<Cell> Cells(const std::string& text) {
  std::vector<Cell> cells;
  std::string_view rest(text);
  size_t at = 0;
  while (!rest.empty()) {
    const Utf8Char ch = DecodeUtf8(rest);
    const std::string_view bytes = rest.substr(0, ch.length);
    const bool valid = ch.kind == Utf8Char::Kind::kValid;
    const int width = valid ? CharColumns(ch.code_point) : 1;
    if (valid && width == 0 && !cells.empty() && ch.code_point >= 0x300) {
      cells.back().shown += bytes;  // joins the character before it
    } else if (valid && ch.code_point == '\n') {
      cells.push_back({at, "\u21b5", 1});
    } else if (valid && ch.code_point == '\t') {
      cells.push_back({at, " ", 1});
    } else {
      std::string shown;
      AppendForDisplay(bytes, LineBreaks::kEscape, &shown);
      cells.push_back({at, shown, shown == bytes ? static_cast<size_t>(width) : shown.size()});
    }
    at += ch.length;
    rest.remove_prefix(ch.length);
  }
  return cells;
}

}  // namespace

LineEditor::Outcome LineEditor::Handle(const Key& key) {
  using T = Key::Type;
  if (key.release) return Outcome::kIgnored;
  if (pasting_) return Paste(key);
  if (key.alt) return Alt(key);
  switch (key.type) {
    case T::kChar: Insert(Encode(key.ch)); return Outcome::kChanged;
    case T::kSpace: Insert(" "); return Outcome::kChanged;
    case T::kPasteStart:
      pasting_ = true;
      paste_cut_ = false;
      return Outcome::kIgnored;
    case T::kEnter: return Outcome::kSubmit;
    case T::kLeft: return Move(Previous(cursor_));
    case T::kRight: return Move(Next(cursor_));
    case T::kWordLeft: return Move(WordStart(cursor_));
    case T::kWordRight: return Move(WordEnd(cursor_));
    case T::kHome: return Move(0);
    case T::kEnd: return Move(text_.size());
    case T::kUp: return Recall(recalled_ == 0 ? recalled_ : recalled_ - 1);
    case T::kDown: return Recall(recalled_ >= history_.size() ? recalled_ : recalled_ + 1);
    case T::kBackspace:
      if (cursor_ == 0) return Outcome::kIgnored;
      Cut(Previous(cursor_), cursor_, /*keep=*/false);
      return Outcome::kChanged;
    case T::kDelete:
    case T::kCtrlD:  // Ctrl-D at the line's end (or on none) is the caller's
      if (cursor_at_end()) return Outcome::kIgnored;
      Cut(cursor_, Next(cursor_), /*keep=*/false);
      return Outcome::kChanged;
    case T::kCtrl: return Control(key.ch);
    default: return Outcome::kIgnored;
  }
}

// Alt and a key, as a shell's line editor has them: words.
LineEditor::Outcome LineEditor::Alt(const Key& key) {
  if (key.type == Key::Type::kBackspace) {
    Cut(WordStart(cursor_), cursor_);
    return Outcome::kChanged;
  }
  if (key.type != Key::Type::kChar) return Outcome::kIgnored;
  switch (Key::Folded(key.ch)) {
    case U'b': return Move(WordStart(cursor_));
    case U'f': return Move(WordEnd(cursor_));
    case U'd': Cut(cursor_, WordEnd(cursor_)); return Outcome::kChanged;
    default: return Outcome::kIgnored;
  }
}

// Inside a bracketed paste, keys are text: Enter is a newline. Ctrl-C ends it (a paste whose
// end mark never came must not take the keyboard), and is then the caller's.
LineEditor::Outcome LineEditor::Paste(const Key& key) {
  switch (key.type) {
    case Key::Type::kPasteEnd: pasting_ = false; return Outcome::kChanged;
    case Key::Type::kCtrlC: pasting_ = false; return Outcome::kIgnored;
    case Key::Type::kEnter: Insert("\n"); break;
    case Key::Type::kTab: Insert("\t"); break;
    case Key::Type::kSpace: Insert(" "); break;
    case Key::Type::kChar: Insert(Encode(key.ch)); break;
    default: break;  // nothing else is text
  }
  return Outcome::kIgnored;  // drawn at the paste's end
}

// Ctrl and a letter, as a shell's line editor has them.
LineEditor::Outcome LineEditor::Control(char32_t letter) {
  switch (letter) {
    case U'a': return Move(0);
    case U'e': return Move(text_.size());
    case U'b': return Move(Previous(cursor_));
    case U'f': return Move(Next(cursor_));
    case U'p': return Handle(Key{Key::Type::kUp});
    case U'n': return Handle(Key{Key::Type::kDown});
    case U'u': Cut(0, cursor_); return Outcome::kChanged;
    case U'k': Cut(cursor_, text_.size()); return Outcome::kChanged;
    case U'w': Cut(WordStart(cursor_), cursor_); return Outcome::kChanged;
    case U'y': Insert(cut_); return Outcome::kChanged;
    default: return Outcome::kIgnored;
  }
}

LineEditor::Outcome LineEditor::Move(size_t to) {
  cursor_ = to;
  return Outcome::kChanged;
}

void LineEditor::Insert(std::string_view bytes) {
  if (pasting_ && paste_cut_) return;  // the rest of a paste that did not fit
  const size_t room = kMaxBytes - std::min(kMaxBytes, text_.size());
  if (bytes.size() > room) {
    truncated_ = true;
    paste_cut_ = pasting_;
    bytes = bytes.substr(0, room - IncompleteUtf8Tail(bytes.substr(0, room)));
  }
  text_.insert(cursor_, bytes);
  cursor_ += bytes.size();
}

size_t LineEditor::Previous(size_t at) const {
  while (at > 0) {
    --at;
    if ((static_cast<unsigned char>(text_[at]) & 0xC0) != 0x80) break;
  }
  return at;
}

size_t LineEditor::Next(size_t at) const {
  if (at >= text_.size()) return text_.size();
  return at + DecodeUtf8(std::string_view(text_).substr(at)).length;
}

size_t LineEditor::WordStart(size_t at) const {
  while (at > 0 && IsSpace(text_[at - 1])) --at;
  while (at > 0 && !IsSpace(text_[at - 1])) --at;
  return at;
}

size_t LineEditor::WordEnd(size_t at) const {
  while (at < text_.size() && IsSpace(text_[at])) ++at;
  while (at < text_.size() && !IsSpace(text_[at])) ++at;
  return at;
}

void LineEditor::Cut(size_t from, size_t to, bool keep) {
  if (from == to) return;
  if (keep) cut_ = text_.substr(from, to - from);
  text_.erase(from, to - from);
  cursor_ = from;
}

LineEditor::Outcome LineEditor::Recall(size_t index) {
  if (index == recalled_) return Outcome::kIgnored;  // no line further that way
  if (recalled_ == history_.size()) draft_ = text_;
  recalled_ = index;
  text_ = index == history_.size() ? draft_ : history_[index];
  cursor_ = text_.size();
  return Outcome::kChanged;
}

std::string LineEditor::TakeLine() {
  std::string line = std::move(text_);
  Clear();
  if (!line.empty() && (history_.empty() || history_.back() != line)) {
    if (history_.size() == kMaxHistory) history_.erase(history_.begin());
    history_.push_back(line);
  }
  recalled_ = history_.size();
  return line;
}

void LineEditor::Clear() {
  text_.clear();
  draft_.clear();
  cursor_ = 0;
  scroll_ = 0;
  pasting_ = false;
  recalled_ = history_.size();
}

LineEditor::Row LineEditor::Render(std::string_view prompt, size_t columns) {
  const size_t prompt_columns = TextColumns(prompt);
  const size_t room = columns > prompt_columns + 2 ? columns - 1 - prompt_columns : 1;
  const std::vector<Cell> cells = Cells(text_);
  size_t cursor_column = 0;
  for (const Cell& cell : cells) {
    if (cell.start >= cursor_) break;
    cursor_column += cell.columns;
  }
  // The window moves only as far as the cursor needs; the cursor's own cell stays in it. With
  // room to spare (a wider terminal, a shorter line), it moves back: no columns go unused.
  size_t total = 0;
  for (const Cell& cell : cells) total += cell.columns;
  scroll_ = std::min(scroll_, total + 1 > room ? total + 1 - room : 0);
  if (cursor_column < scroll_) scroll_ = cursor_column;
  if (cursor_column + 1 > scroll_ + room) scroll_ = cursor_column + 1 - room;
  Row row;
  row.text = std::string(prompt);
  size_t column = 0;
  for (const Cell& cell : cells) {
    const size_t end = column + cell.columns;
    if (column >= scroll_ && end <= scroll_ + room) {
      row.text += cell.shown;
    } else if (end > scroll_ && column < scroll_ + room) {
      // A wide character cut by the window's edge: blanks where its columns show.
      const size_t from = std::max(column, scroll_);
      const size_t to = std::min(end, scroll_ + room);
      row.text += std::string(to - from, ' ');
    }
    column = end;
  }
  row.cursor = prompt_columns + cursor_column - scroll_;
  row.columns = prompt_columns + std::min(total - std::min(total, scroll_), room);
  return row;
}

}  // namespace voxterm
