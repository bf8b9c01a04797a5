#include "ui/terminal_view.h"

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "fakes/fake_clock.h"

using namespace voxterm;

namespace {

// TerminalView on a terminal of `columns` columns (a pty), stdout into a pipe: what each side
// received.
struct TerminalViewTest {
  explicit TerminalViewTest(int columns) {
    winsize size{};
    size.ws_col = static_cast<unsigned short>(columns);
    size.ws_row = 24;
    REQUIRE(openpty(&controller, &terminal, nullptr, nullptr, &size) == 0);
    REQUIRE(pipe(out_pipe) == 0);
    fcntl(controller, F_SETFL, O_NONBLOCK);
    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    status = fdopen(terminal, "w");
    out = fdopen(out_pipe[1], "w");
    setenv("NO_COLOR", "1", 1);
  }
  ~TerminalViewTest() {
    unsetenv("NO_COLOR");
    fclose(status);
    fclose(out);
    close(controller);
    close(out_pipe[0]);
  }
  static std::string Drain(int fd) {
    std::string all;
    char buffer[4096];
    for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;)
      all.append(buffer, static_cast<size_t>(n));
    return all;
  }
  // The last status line drawn, as the terminal shows it.
  std::string LastStatus() {
    const std::string all = Drain(controller);
    const size_t at = all.rfind("\x1b[K");
    return at == std::string::npos ? "" : all.substr(at + 3);
  }

  FakeClock clock;
  int controller = -1, terminal = -1;
  int out_pipe[2] = {-1, -1};
  FILE* status = nullptr;
  FILE* out = nullptr;
};

}  // namespace

TEST_CASE("a caption is the end of the user's words, cut to the terminal's width", "[ui]") {
  TerminalViewTest t(40);
  Screen view_screen(t.out, t.status, &t.clock);
  TerminalView view(&view_screen);
  view.SetState(VoiceState::kThinking);
  view.UserCaption("what is the weather like in Oslo today, and tomorrow?");
  const std::string line = t.LastStatus();
  CHECK(line.find("you: \u2026") != std::string::npos);
  REQUIRE(line.size() >= 9);
  CHECK(line.substr(line.size() - 9) == "tomorrow?");
  size_t columns = 0;  // characters: the line must not wrap
  for (char c : line) columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  CHECK(columns < 40);
  CHECK(TerminalViewTest::Drain(t.out_pipe[0]).empty());  // a caption never reaches stdout
}

TEST_CASE("wide characters take two columns of a caption", "[ui]") {
  TerminalViewTest t(40);
  Screen view_screen(t.out, t.status, &t.clock);
  TerminalView view(&view_screen);
  view.SetState(VoiceState::kThinking);
  view.UserCaption(
      "\u65e5\u672c\u8a9e\u306e\u6587\u7ae0\u3067\u3059\u3002\u65e5\u672c\u8a9e\u306e\u6587\u7ae0");
  const std::string line = t.LastStatus();
  const size_t at = line.find("you: ");
  REQUIRE(at != std::string::npos);
  const std::string caption = line.substr(at + 5);
  size_t columns = 0;
  for (char c : caption) {
    const auto byte = static_cast<unsigned char>(c);
    columns += (byte & 0xC0) == 0x80 ? 0 : (byte >= 0xE1 ? 2 : 1);
  }
  CHECK(columns <= 40 - 20);  // "● thinking " and the meter, two spaces, "you: ", one to spare
}

TEST_CASE("a cut caption does not start inside a character", "[ui]") {
  // e + combining acute, a family joined by ZWJs, a heart with its variation selector: cut at
  // every width, the caption after the ellipsis never starts with a continuation.
  const std::string words =
      "cafe\u0301 \U0001F469\u200D\U0001F469\u200D\U0001F467 \u2764\uFE0F end";
  for (int columns = 24; columns <= 40; ++columns) {
    TerminalViewTest t(columns);
    Screen view_screen(t.out, t.status, &t.clock);
    TerminalView view(&view_screen);
    view.SetState(VoiceState::kThinking);
    view.UserCaption(words);
    const std::string line = t.LastStatus();
    const size_t at = line.find("you: \u2026");
    if (at == std::string::npos) continue;  // not cut
    const std::string after = line.substr(at + 8);
    INFO(columns << ": " << after);
    CHECK(after.rfind("\u0301", 0) != 0);
    CHECK(after.rfind("\u200D", 0) != 0);
    CHECK(after.rfind("\uFE0F", 0) != 0);
    CHECK(after.rfind("\U0001F469\u200D\U0001F467", 0) != 0);  // not the family's tail
    CHECK(after.rfind("\U0001F467", 0) != 0);
  }
}

TEST_CASE("the final words replace the caption; a cleared caption is gone", "[ui]") {
  TerminalViewTest t(80);
  Screen view_screen(t.out, t.status, &t.clock);
  TerminalView view(&view_screen);
  view.SetState(VoiceState::kThinking);
  view.UserCaption("hello wor");
  CHECK(t.LastStatus().find("you: hello wor") != std::string::npos);
  view.UserSaid("hello world");
  CHECK(t.LastStatus().find("you:") == std::string::npos);
  CHECK(TerminalViewTest::Drain(t.out_pipe[0]) == "you: hello world\n");
  view.UserCaption("again");
  view.UserCaption("");
  CHECK(t.LastStatus().find("you:") == std::string::npos);
}

TEST_CASE("captions are not drawn where there is no status line", "[ui]") {
  TerminalViewTest t(80);
  int sink[2];
  REQUIRE(pipe(sink) == 0);
  fcntl(sink[0], F_SETFL, O_NONBLOCK);
  FILE* status = fdopen(sink[1], "w");
  {
    Screen view_screen(t.out, status, &t.clock);
    TerminalView view(&view_screen);
    view.UserCaption("hello");
    view.UserSaid("hello there");
  }
  fflush(status);
  CHECK(TerminalViewTest::Drain(sink[0]).empty());
  CHECK(TerminalViewTest::Drain(t.out_pipe[0]) == "you: hello there\n");
  fclose(status);
  close(sink[0]);
}

namespace {

// Code points: the status line's characters are all one column wide.
size_t CodePoints(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

TEST_CASE("the status line never reaches the terminal's last column", "[ui]") {
  TerminalViewTest t(40);
  Screen view_screen(t.out, t.status, &t.clock);
  TerminalView view(&view_screen);
  view.SetState(VoiceState::kIdle);
  view.SetLevel(0.5f);
  view.SetDetail("press space to talk, q to quit, or type a line");
  const std::string line = t.LastStatus();
  CHECK(CodePoints(line) <= 39);
  CHECK(line.rfind("\u25cf idle ", 0) == 0);  // the state and the meter stay
  CHECK(line.find("press space") != std::string::npos);
  CHECK(line.substr(line.size() - 3) == "\u2026");  // the detail is cut
  TerminalViewTest narrow(12);
  Screen tiny_screen(narrow.out, narrow.status, &narrow.clock);
  TerminalView tiny(&tiny_screen);
  tiny.SetState(VoiceState::kUserSpeaking);
  CHECK(CodePoints(narrow.LastStatus()) <= 11);
}

TEST_CASE("after the terminal shrinks, the rows its old status line took are cleared", "[ui]") {
  TerminalViewTest t(80);
  Screen view_screen(t.out, t.status, &t.clock);
  TerminalView view(&view_screen);
  view.SetState(VoiceState::kIdle);
  view.SetDetail("press space to talk, q to quit, or type a line, then wait");
  t.Drain(t.controller);
  winsize size{};
  size.ws_col = 30;
  size.ws_row = 24;
  REQUIRE(ioctl(t.terminal, TIOCSWINSZ, &size) == 0);
  view.Resized();
  const std::string all = t.Drain(t.controller);
  // About 70 columns are three rows of 30 now: up two, and clear to the end of the screen.
  CHECK(all.rfind("\x1b[2A\r\x1b[J", 0) == 0);
  CHECK(CodePoints(all.substr(all.rfind("\x1b[K") + 3)) <= 29);
}
