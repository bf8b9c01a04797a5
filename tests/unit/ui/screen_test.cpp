#include "ui/screen.h"

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "fakes/fake_clock.h"
#include "ui/terminal_text.h"
#include "util/utf8.h"

using namespace voxterm;

namespace {

// Enough of a terminal to read back what the Screen drew: printable characters with autowrap
// (and its deferred wrap at the last column), CR, LF, scrolling, and the CSI sequences the
// Screen uses (cursor up, column, forward; erase line and screen; colours ignored).
class Emulator {
 public:
  Emulator(size_t columns, size_t rows) : columns_(columns), grid_(rows, Row(columns)) {}

  void Feed(std::string_view bytes) {
    while (!bytes.empty()) {
      if (bytes[0] == '\x1b' && bytes.size() > 1 && bytes[1] == '[') {
        size_t end = 2;
        while (end < bytes.size() && !(bytes[end] >= 0x40 && bytes[end] <= 0x7e)) ++end;
        Csi(std::string(bytes.substr(2, end - 2)), bytes[end]);
        bytes.remove_prefix(end + 1);
        continue;
      }
      const Utf8Char ch = DecodeUtf8(bytes);
      const std::string text(bytes.substr(0, ch.length));
      bytes.remove_prefix(ch.length);
      if (text == "\r") {
        column_ = 0;
        pending_ = false;
      } else if (text == "\n") {
        Down();
        pending_ = false;
      } else {
        Put(text, static_cast<size_t>(CharColumns(ch.code_point)));
      }
    }
  }

  // Every line that scrolled off, then the screen's, without trailing blanks.
  std::vector<std::string> Lines() const {
    std::vector<std::string> lines = gone_;
    for (const Row& row : grid_) lines.push_back(Text(row));
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
  }
  size_t row() const { return row_; }
  size_t column() const { return column_; }

 private:
  using Row = std::vector<std::string>;  // a cell's text; "" after a wide character

  static std::string Text(const Row& row) {
    std::string text;
    for (const std::string& cell : row) text += cell.empty() ? "" : cell;
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
  }
  void Down() {
    if (row_ + 1 < grid_.size()) {
      ++row_;
      return;
    }
    gone_.push_back(Text(grid_.front()));
    grid_.erase(grid_.begin());
    grid_.push_back(Row(columns_, " "));
  }
  void Put(const std::string& text, size_t width) {
    if (width == 0) {
      if (column_ > 0) grid_[row_][column_ - 1] += text;
      return;
    }
    if (pending_ || column_ + width > columns_) {
      column_ = 0;
      Down();
      pending_ = false;
    }
    grid_[row_][column_] = text;
    if (width == 2) grid_[row_][column_ + 1] = "";
    column_ += width;
    if (column_ == columns_) {
      column_ = columns_ - 1;
      pending_ = true;
    }
  }
  void Csi(const std::string& params, char final) {
    const size_t n = params.empty() ? 1 : std::stoul(params);
    pending_ = false;
    switch (final) {
      case 'A': row_ = row_ >= n ? row_ - n : 0; break;
      case 'C': column_ = std::min(columns_ - 1, column_ + n); break;
      case 'G': column_ = std::min(columns_ - 1, n - 1); break;
      case 'K':
        for (size_t c = column_; c < columns_; ++c) grid_[row_][c] = " ";
        break;
      case 'J':
        for (size_t c = column_; c < columns_; ++c) grid_[row_][c] = " ";
        for (size_t r = row_ + 1; r < grid_.size(); ++r) grid_[r] = Row(columns_, " ");
        break;
      default: break;  // colours
    }
  }

  const size_t columns_;
  std::vector<Row> grid_;
  std::vector<std::string> gone_;
  size_t row_ = 0;
  size_t column_ = 0;
  bool pending_ = false;
};

// A Screen on a pty of the given width, transcript and rows both on it, and what it shows.
struct ScreenTest {
  explicit ScreenTest(int columns) : emulator(static_cast<size_t>(columns), 12) {
    winsize size{};
    size.ws_col = static_cast<unsigned short>(columns);
    size.ws_row = 12;
    REQUIRE(openpty(&controller, &terminal, nullptr, nullptr, &size) == 0);
    fcntl(controller, F_SETFL, O_NONBLOCK);
    rows = fdopen(terminal, "w");
    out = fdopen(dup(terminal), "w");
  }
  ~ScreenTest() {
    fclose(rows);
    fclose(out);
    close(controller);
  }
  std::vector<std::string> Lines() {
    char buffer[4096];
    for (ssize_t n; (n = read(controller, buffer, sizeof buffer)) > 0;)
      emulator.Feed(std::string_view(buffer, static_cast<size_t>(n)));
    return emulator.Lines();
  }

  FakeClock clock;
  int controller = -1, terminal = -1;
  FILE* rows = nullptr;
  FILE* out = nullptr;
  Emulator emulator;
};

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("an answer streams above the status and edit rows, whole", "[screen]") {
  ScreenTest t(20);
  Screen screen(t.out, t.rows, &t.clock);
  REQUIRE(screen.out_on_screen());
  screen.SetStatus("* speaking", 10);
  screen.SetEdit("> typing", 8, 8);
  for (const char* piece : {"assistant: ", "It is ", "sunny ", "and 21 ", "degrees ", "today."}) {
    screen.Write(piece);
    screen.SetStatus(std::string("* speaking ") + piece[0], 12);  // a redraw between pieces
  }
  CHECK(t.Lines() ==
        Lines{"assistant: It is sun", "ny and 21 degrees to", "day.", "* speaking t", "> typing"});
  // The cursor waits in the edit row, where the typing goes on.
  CHECK(t.emulator.column() == 8);
  screen.Write("\n");
  screen.ClearEdit();
  CHECK(t.Lines() == Lines{"assistant: It is sun", "ny and 21 degrees to", "day.", "* speaking t"});
}

TEST_CASE("a line that fills the width exactly, then more", "[screen]") {
  ScreenTest t(10);
  Screen screen(t.out, t.rows, &t.clock);
  screen.SetEdit("> x", 3, 3);
  screen.Write("0123456789");  // the cursor waits at the last column
  screen.Write("abc");
  CHECK(t.Lines() == Lines{"0123456789", "abc", "> x"});
  screen.Write("defghij");  // to the width again, from the middle of a row
  screen.Write("\n");
  CHECK(t.Lines() == Lines{"0123456789", "abcdefghij", "> x"});
}

TEST_CASE("wide characters are counted as the terminal counts them", "[screen]") {
  ScreenTest t(9);
  Screen screen(t.out, t.rows, &t.clock);
  screen.SetStatus("s", 1);
  screen.Write("ab\xe4\xbd\xa0\xe5\xa5\xbd");  // 2 + 4 columns
  screen.Write("\xe5\x86\x8d\xe8\xa7\x81");    // 4 more: the second wraps
  screen.Write("z");
  CHECK(t.Lines() == Lines{"ab\xe4\xbd\xa0\xe5\xa5\xbd\xe5\x86\x8d", "\xe8\xa7\x81z", "s"});
}

TEST_CASE("a notice goes above the rows, on a line of its own", "[screen]") {
  ScreenTest t(30);
  Screen screen(t.out, t.rows, &t.clock);
  screen.SetStatus("* listening", 11);
  screen.SetEdit("> half a line", 13, 13);
  screen.Write("assistant: partial");
  screen.Notice("voxterm: reconnecting");  // the screen ends the open line itself
  CHECK_FALSE(screen.line_open());
  screen.Write("more\n");
  CHECK(t.Lines() == Lines{"assistant: partial", "voxterm: reconnecting", "more", "* listening",
                           "> half a line"});
}

TEST_CASE("hidden for another writer, the rows come back under its line", "[screen]") {
  ScreenTest t(30);
  Screen screen(t.out, t.rows, &t.clock);
  screen.SetStatus("* idle", 6);
  screen.Write("one\n");
  screen.Hide();
  fputs("voxterm: a log line\n", t.rows);
  fflush(t.rows);
  screen.Show();
  screen.Write("two\n");
  CHECK(t.Lines() == Lines{"one", "voxterm: a log line", "two", "* idle"});
}

TEST_CASE("to a pipe the transcript goes as it came, and no row is drawn", "[screen]") {
  ScreenTest t(30);
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
  FILE* piped = fdopen(pipe_fds[1], "w");
  {
    Screen screen(piped, t.rows, &t.clock);
    CHECK_FALSE(screen.out_on_screen());
    screen.SetStatus("* idle", 6);
    screen.Write("assistant: hi");
    screen.Write(" there\n");
  }
  fclose(piped);
  char buffer[256];
  const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
  close(pipe_fds[0]);
  CHECK(std::string(buffer, static_cast<size_t>(std::max<ssize_t>(n, 0))) ==
        "assistant: hi there\n");
  CHECK(t.Lines() == Lines{});  // the status row was drawn, then cleared at the end
}

TEST_CASE("to a pipe whose reader echoes it, the rows wait for the echo", "[screen]") {
  ScreenTest t(30);
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  FILE* piped = fdopen(pipe_fds[1], "w");
  {
    Screen screen(piped, t.rows, &t.clock);
    screen.SetStatus("* idle", 6);
    screen.Write("assistant: hi");  // an open line: the rows stay away until it ends
    CHECK(screen.MsUntilShow() == -1);
    screen.SetStatus("* speaking", 10);
    // What tee would write on the terminal, where the rows were.
    fputs("assistant: hi", t.rows);
    fflush(t.rows);
    screen.Write(" there\n");
    fputs(" there\n", t.rows);
    fflush(t.rows);
    CHECK(screen.MsUntilShow() >= 0);
    CHECK(screen.MsUntilShow() <= Screen::kEchoWaitMs);
    t.clock.Advance(Screen::kEchoWaitMs - 1);
    screen.ShowIfDue();  // not yet: the echo may still be on its way
    CHECK(screen.MsUntilShow() == 1);
    t.clock.Advance(1);
    screen.ShowIfDue();
    CHECK(screen.MsUntilShow() == -1);
    CHECK(t.Lines() == Lines{"assistant: hi there", "* speaking"});
  }
  fclose(piped);
  close(pipe_fds[0]);
}

TEST_CASE("an edit row too wide for a narrowed terminal never takes transcript with it",
          "[screen]") {
  ScreenTest t(50);
  Screen screen(t.out, t.rows, &t.clock);
  screen.Write("> second line\nYou said: second line\n");
  screen.SetEdit("> " + std::string(28, 'x'), 30, 30);
  winsize size{};
  size.ws_col = 30;
  size.ws_row = 12;
  REQUIRE(ioctl(t.terminal, TIOCSWINSZ, &size) == 0);
  screen.Resized();  // the old row is 30 wide: it is not drawn at 30 columns
  screen.SetEdit("> " + std::string(27, 'x'), 29, 29);
  const Lines shown = t.Lines();
  REQUIRE(shown.size() >= 3);
  CHECK(shown[0] == "> second line");
  CHECK(shown[1] == "You said: second line");
}
