#include "ui/screen.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "ui/terminal_text.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

std::string Csi(size_t n, char final) { return "\x1b[" + std::to_string(n) + final; }

// The terminal rows a row of width columns takes at a terminal's columns: one, unless the
// terminal narrowed under it and rewrapped it.
size_t RowsTaken(size_t width, size_t columns) {
  return width == 0 ? 1 : (width - 1) / columns + 1;
}

bool IsPipe(FILE* file) {
  struct stat info {};
  return fstat(fileno(file), &info) == 0 && S_ISFIFO(info.st_mode);
}

}  // namespace

Screen::Screen(FILE* out, FILE* rows, const Clock* clock)
    : out_(out),
      rows_(rows),
      clock_(clock),
      rows_are_terminal_(isatty(fileno(rows)) != 0),
      out_on_screen_(rows_are_terminal_ && isatty(fileno(out)) != 0),
      out_is_pipe_(rows_are_terminal_ && IsPipe(out)) {}

Screen::~Screen() { Hide(); }

size_t Screen::columns() const {
  winsize size{};
  if (ioctl(fileno(rows_), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

void Screen::Put(const std::string& sequence) {
  if (sequence.empty()) return;
  fflush(out_);  // what the transcript wrote lands first
  fputs(sequence.c_str(), rows_);
  fflush(rows_);
}

// Up from the cursor to the rows' first, then everything from there down; then, if the
// transcript's line is open, up to it and along to its end.
std::string Screen::Clear() const {
  if (drawn_rows_ == 0) return "";
  const size_t up = RowsAboveCursor(columns());
  std::string sequence = up ? Csi(up, 'A') : "";
  sequence += "\r\x1b[J";
  if (column_ > 0) sequence += "\x1b[A" + Csi(column_ + 1, 'G');
  return sequence;
}

// Terminals that rewrap a row narrowed under it put it on more rows; those that do not, cut
// it. When in doubt the count is the smaller: a row of voxterm's left behind is better than a
// row of the transcript erased. The cursor after a row's last character stays on that row.
size_t Screen::RowsAboveCursor(size_t columns) const {
  const size_t width = drawn_widths_[cursor_row_];
  size_t up = cursor_column_ < width ? cursor_column_ / columns
                                     : (cursor_column_ == 0 ? 0 : (cursor_column_ - 1) / columns);
  for (size_t i = 0; i < cursor_row_; ++i) up += RowsTaken(drawn_widths_[i], columns);
  return up;
}

void Screen::Draw() {
  std::string sequence = Clear();
  drawn_rows_ = 0;
  const size_t columns = this->columns();
  // A row as wide as the terminal would wrap (it was made for a wider one): not drawn until
  // its owner fits it to the new width.
  const bool status = !status_.empty() && status_columns_ < columns;
  const bool editing = editing_ && edit_columns_ < columns;
  if (hidden_ || !rows_are_terminal_ || (!status && !editing) || show_at_ms_ >= 0) {
    Put(sequence);
    return;
  }
  // The rows start on a row of their own: after the transcript's open line, or after a line
  // that filled the terminal's width (its cursor waits at the last column).
  if (column_ >= columns) {
    sequence += "\r\n";
    column_ = 0;
    wrapped_ = true;
  }
  if (column_ > 0) sequence += "\r\n";
  if (status) {
    sequence += "\x1b[K" + status_;
    drawn_widths_[drawn_rows_++] = status_columns_;
    cursor_column_ = status_columns_;
  }
  if (editing) {
    if (status) sequence += "\r\n";
    sequence += "\x1b[K" + edit_ + "\r";
    if (edit_cursor_ > 0) sequence += Csi(edit_cursor_, 'C');
    drawn_widths_[drawn_rows_++] = edit_columns_;
    cursor_column_ = edit_cursor_;
  }
  cursor_row_ = drawn_rows_ - 1;
  Put(sequence);
}

void Screen::Advance(std::string_view text) {
  const size_t columns = this->columns();
  while (!text.empty()) {
    if (text[0] == '\x1b' && text.size() > 1 && text[1] == '[') {  // SGR: no columns
      size_t end = 2;
      while (end < text.size() && !(text[end] >= 0x40 && text[end] <= 0x7e)) ++end;
      text.remove_prefix(std::min(end + 1, text.size()));
      continue;
    }
    const Utf8Char ch = DecodeUtf8(text);
    text.remove_prefix(ch.length);
    const char32_t c = ch.kind == Utf8Char::Kind::kValid ? ch.code_point : U'?';
    if (c == U'\n' || c == U'\r') {
      column_ = 0;
    } else if (c == U'\t') {
      column_ = std::min(columns, (column_ % columns / 8 + 1) * 8);
    } else {
      const auto width = static_cast<size_t>(CharColumns(c));
      column_ = column_ + width > columns ? width : column_ + width;
    }
  }
}

void Screen::Write(std::string_view text) {
  if (text.empty()) return;
  line_open_ = text.back() != '\n';
  if (!out_on_screen_) {  // a file or a pipe: each piece as it comes, as a terminal would
    if (out_is_pipe_) {   // its reader may echo it where the rows are: they step aside
      Put(Clear());
      drawn_rows_ = 0;
      show_at_ms_ = line_open_ ? INT64_MAX : clock_->NowMs() + kEchoWaitMs;
    }
    fwrite(text.data(), 1, text.size(), out_);
    fflush(out_);
    return;
  }
  Put(Clear());
  drawn_rows_ = 0;
  // The line that filled the width was moved on from already: its own newline would leave
  // an empty row.
  if (std::exchange(wrapped_, false) && text[0] == '\n') text.remove_prefix(1);
  fwrite(text.data(), 1, text.size(), out_);
  Advance(text);
  if (drawn_rows_ == 0 && (hidden_ || (status_.empty() && !editing_))) {
    fflush(out_);
    return;
  }
  Draw();
}

int64_t Screen::MsUntilShow() const {
  if (show_at_ms_ < 0 || show_at_ms_ == INT64_MAX) return -1;
  return std::max<int64_t>(0, show_at_ms_ - clock_->NowMs());
}

void Screen::ShowIfDue() {
  if (show_at_ms_ < 0 || show_at_ms_ == INT64_MAX || clock_->NowMs() < show_at_ms_) return;
  show_at_ms_ = -1;
  Draw();
}

void Screen::Notice(std::string_view line) {
  Put(Clear());
  drawn_rows_ = 0;
  if (out_on_screen_ && column_ > 0) {  // the caller left the transcript's line open
    fputs("\n", out_);
    line_open_ = false;
  }
  column_ = 0;
  fflush(out_);
  fwrite(line.data(), 1, line.size(), rows_);
  fputs("\n", rows_);
  fflush(rows_);
  Draw();
}

void Screen::SetStatus(std::string text, size_t columns) {
  if (text == status_ && columns == status_columns_) return;
  status_ = std::move(text);
  status_columns_ = columns;
  Draw();
}

void Screen::SetEdit(std::string text, size_t columns, size_t cursor) {
  if (editing_ && text == edit_ && cursor == edit_cursor_) return;
  edit_ = std::move(text);
  edit_columns_ = columns;
  edit_cursor_ = cursor;
  editing_ = true;
  Draw();
}

void Screen::ClearEdit() {
  if (!editing_) return;
  editing_ = false;
  edit_.clear();
  Draw();
}

void Screen::Hide() {
  hidden_ = true;
  Draw();
}

void Screen::Show() {
  hidden_ = false;
  Draw();
}

void Screen::Resumed() {
  drawn_rows_ = 0;
  column_ = 0;
  hidden_ = false;
  Draw();
}

// The rows are cleared as they lie at the new width; the transcript's open line may have been
// rewrapped (terminals differ), so its end is no longer known: it goes on from a fresh row.
void Screen::Resized() {
  if (drawn_rows_ > 0) {
    const size_t up = RowsAboveCursor(columns());
    Put((up ? Csi(up, 'A') : "") + "\r\x1b[J");
    drawn_rows_ = 0;
    column_ = 0;
  }
  Draw();
}

}  // namespace voxterm
