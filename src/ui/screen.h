// Screen: the terminal a conversation is shown on. The transcript scrolls as any output does;
// under it, redrawn in place, are up to two rows of voxterm's own: the status row (spoken
// modes) and the edit row, where the user types. Redraws never touch the transcript, and
// transcript text never lands in the rows:
//   assistant: It is sunny and 21 deg|      <- the transcript; an answer streams here
//   ● speaking ▂▄▆                          <- status row
//   > what about tomor|                     <- edit row, with the cursor
// To write more transcript, the rows are cleared and the cursor goes back to where the
// transcript ended (its column is counted as the text goes out, wrapping as the terminal
// does); the text goes out, and the rows are drawn again under it. A row is never wider than
// the terminal less a column, so it never wraps. (A character the C library counts at a width
// other than the terminal's can put the cursor a column off; a resize ends the transcript's
// open line, since terminals rewrap it in different ways.)
// out: the transcript's stream (stdout). rows: the stream the rows and notices go to (stderr).
// The rows are drawn only when rows is a terminal; the transcript's column is counted only
// when out is a terminal too (taken to be the same one). To a pipe, text goes as it came; and
// since what reads the pipe may write it to the same terminal (voxterm | tee talk.txt), at a
// moment voxterm cannot know, the rows step aside while the transcript's line is open and come
// back kEchoWaitMs after it ends (ShowIfDue), below whatever was echoed by then.
// Thread safety: main thread only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "util/clock.h"

namespace voxterm {

class Screen {
 public:
  // clock: for the wait on a pipe's echo; it outlives the screen.
  Screen(FILE* out, FILE* rows, const Clock* clock);
  Screen(const Screen&) = delete;
  Screen& operator=(const Screen&) = delete;
  // The rows cleared; an open transcript line ended.
  ~Screen();

  bool rows_shown() const { return rows_are_terminal_; }
  bool out_on_screen() const { return out_on_screen_; }
  // The terminal's width, asked now (80 when it does not say).
  size_t columns() const;

  // Transcript text, as it should go to out: filtered by the caller when out is a terminal; may
  // hold SGR colour sequences ("ESC [ ... m"), which take no columns.
  void Write(std::string_view text);
  // The transcript's last line is not ended (an answer is streaming into it).
  bool line_open() const { return line_open_; }
  // A whole line on rows' stream (a notice, a question), above the rows; the caller ends an
  // open transcript line first when it wants the line on a row of its own.
  void Notice(std::string_view line);

  // The status row: text (SGR colours allowed) and the columns it takes; empty: none.
  void SetStatus(std::string text, size_t columns);
  // The edit row, the columns it takes, and the cursor's column in it; ClearEdit: none.
  void SetEdit(std::string text, size_t columns, size_t cursor);
  void ClearEdit();

  // Before another writer uses the terminal (a log line): the rows are cleared, and stay so
  // until Show. The cursor is where the transcript ended.
  void Hide();
  void Show();
  // The terminal changed size: the rows are cleared at the old width's rows, drawn again.
  void Resized();
  // Back from Ctrl-Z: the shell wrote on the terminal meanwhile, so the rows start afresh on
  // the cursor's row, and the transcript goes on from there.
  void Resumed();

  // Out is a pipe: the rows come back a moment after the transcript's last line (see above).
  static constexpr int64_t kEchoWaitMs = 60;
  // Milliseconds until ShowIfDue has something to do; -1: nothing waits.
  int64_t MsUntilShow() const;
  void ShowIfDue();

 private:
  void Draw();
  std::string Clear() const;  // the sequence that clears the rows, back to the transcript's end
  size_t RowsAboveCursor(size_t columns) const;  // of the rows drawn, as they lie now
  void Advance(std::string_view text);           // counts the transcript's column
  void Put(const std::string& sequence);         // to rows, with out flushed first

  FILE* const out_;
  FILE* const rows_;
  const Clock* const clock_;
  const bool rows_are_terminal_;
  const bool out_on_screen_;
  std::string status_;
  size_t status_columns_ = 0;
  std::string edit_;
  size_t edit_columns_ = 0;
  size_t edit_cursor_ = 0;
  bool editing_ = false;
  bool hidden_ = false;
  // What is on the screen now: how many rows, the cursor's row among them, and how many
  // terminal rows each takes (more than one only after the terminal narrowed under them).
  size_t drawn_rows_ = 0;
  size_t drawn_widths_[2] = {0, 0};
  size_t cursor_row_ = 0;
  size_t cursor_column_ = 0;
  size_t column_ = 0;     // where the transcript ended, when out is on the screen
  bool wrapped_ = false;  // Draw moved on from a line that filled the width
  const bool out_is_pipe_;
  int64_t show_at_ms_ = -1;  // out is a pipe: the rows wait for its reader's echo until then
  bool line_open_ = false;
};

}  // namespace voxterm
