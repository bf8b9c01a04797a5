// LineEditor: the line a user types at a terminal, edited with a shell's keys, and the lines
// sent before it to go back to.
//   Left/Right, Ctrl-B/F          a character         Ctrl-Left/Right   a word
//   Home/End, Ctrl-A/E            the line's ends     Up/Down, Ctrl-P/N the lines sent before
//   Backspace, Delete, Ctrl-D     a character         Ctrl-W            the word before
//   Ctrl-U/Ctrl-K                 to the start/end    Ctrl-Y            back what they cut
//   Alt-B/Alt-F                   a word              Alt-D, Alt-Backspace  cut a word
// A bracketed paste goes in whole, newlines and all, and is sent with Enter as one line.
// No I/O: the keys come decoded (ui/keys.h), and Render says what the line looks like in a
// row of the terminal; what a key means beyond editing (Ctrl-C, Ctrl-D on an empty line,
// Ctrl-Z) is the caller's.
// Thread safety: main thread only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ui/keys.h"

namespace voxterm {

class LineEditor {
 public:
  enum class Outcome {
    kIgnored,  // not an editing key: the caller's
    kChanged,  // the line or the cursor moved: draw it again
    kSubmit,   // Enter: TakeLine() has the line
  };
  // A line is at most this long; what a paste has beyond it is dropped, and truncated() says so.
  static constexpr size_t kMaxBytes = 1u << 20;
  static constexpr size_t kMaxHistory = 500;

  Outcome Handle(const Key& key);
  // The line sent (Enter), which goes to the history (not an empty one, nor a repeat of the
  // line before); the editor is empty again.
  std::string TakeLine();
  // Empties the line without sending it (Ctrl-C on a line).
  void Clear();

  const std::string& text() const { return text_; }
  bool empty() const { return text_.empty(); }
  bool cursor_at_end() const { return cursor_ == text_.size(); }
  // Inside a bracketed paste: its keys are text, and the line is drawn at its end.
  bool pasting() const { return pasting_; }
  // A paste went past kMaxBytes since the last call; reading it resets it.
  bool TakeTruncated() { return std::exchange(truncated_, false); }

  // The line in a row of columns columns (never more than columns - 1, so the row never wraps):
  // prompt, then the part of the line around the cursor, what a terminal would act on shown
  // escaped and newlines as U+21B5. cursor: the column the cursor goes to, from 0.
  struct Row {
    std::string text;
    size_t cursor = 0;
    size_t columns = 0;  // the row's width
  };
  Row Render(std::string_view prompt, size_t columns);

 private:
  void Insert(std::string_view bytes);
  size_t Previous(size_t at) const;  // the start of the character before at
  size_t Next(size_t at) const;      // the start of the character after the one at at
  size_t WordStart(size_t at) const;
  size_t WordEnd(size_t at) const;
  // Takes [from, to) out of the line; keep: for Ctrl-Y.
  void Cut(size_t from, size_t to, bool keep = true);
  // A line from the history, or (index == size) the draft; kIgnored when index is the one shown.
  Outcome Recall(size_t index);
  Outcome Paste(const Key& key);
  Outcome Alt(const Key& key);
  Outcome Control(char32_t letter);
  Outcome Move(size_t to);

  std::string text_;
  size_t cursor_ = 0;  // a byte offset, at the start of a character
  std::string cut_;    // what Ctrl-U/K/W took, for Ctrl-Y
  std::vector<std::string> history_;
  size_t recalled_ = 0;  // the history line shown; history_.size() is the draft
  std::string draft_;    // the line being typed when Up was first pressed
  bool pasting_ = false;
  bool paste_cut_ = false;  // this paste went past kMaxBytes: the rest of it is dropped
  bool truncated_ = false;
  size_t scroll_ = 0;  // the first column of the line that Render shows
};

}  // namespace voxterm
