#include "ui/line_editor.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "ui/keys.h"

namespace voxterm {
namespace {

// Feeds what a terminal would send for the keys; returns the last outcome.
LineEditor::Outcome Type(LineEditor* editor, const std::string& bytes) {
  KeyDecoder decoder;
  std::vector<Key> keys;
  decoder.Feed(bytes, &keys);
  LineEditor::Outcome last = LineEditor::Outcome::kIgnored;
  for (const Key& key : keys) last = editor->Handle(key);
  return last;
}

TEST_CASE("typed characters go in at the cursor, which moves by characters", "[line_editor]") {
  LineEditor e;
  CHECK(Type(&e, "helo") == LineEditor::Outcome::kChanged);
  Type(&e, "\x1b[D");  // Left
  Type(&e, "l");
  CHECK(e.text() == "hello");
  Type(&e, "\x01");  // Ctrl-A
  Type(&e, "\xc3\xa9");
  CHECK(e.text() == "\xc3\xa9hello");
  Type(&e, "\x1b[D\x1b[C\x1b[C");  // Left at the start stays; then over the é and the h
  Type(&e, "_");
  CHECK(e.text() == "\xc3\xa9h_ello");
  Type(&e, "\x05!");  // Ctrl-E, then at the end
  CHECK(e.text() == "\xc3\xa9h_ello!");
  Type(&e, "\x1b[H\x1b[3~");  // Home, Delete: the é goes whole
  CHECK(e.text() == "h_ello!");
  Type(&e, "\x1b[F\x7f\x7f");  // End, two Backspaces
  CHECK(e.text() == "h_ell");
}

TEST_CASE("Ctrl-U, Ctrl-K and Ctrl-W cut; Ctrl-Y puts back the last cut", "[line_editor]") {
  LineEditor e;
  Type(&e, "one two  three");
  Type(&e, "\x17");  // Ctrl-W: the word before, and the spaces before the cursor
  CHECK(e.text() == "one two  ");
  Type(&e, "\x17");
  CHECK(e.text() == "one ");
  Type(&e, "\x19");  // Ctrl-Y
  CHECK(e.text() == "one two  ");
  Type(&e, "\x1b[1;5D");  // Ctrl-Left: to the start of "two"
  Type(&e, "\x0b");       // Ctrl-K
  CHECK(e.text() == "one ");
  Type(&e, "x\x1b[D\x15");  // Ctrl-U cuts what is before the cursor only
  CHECK(e.text() == "x");
  CHECK(e.cursor_at_end() == false);
}

TEST_CASE("Enter sends the line; Up and Down go through the lines sent, keeping the draft",
          "[line_editor]") {
  LineEditor e;
  CHECK(Type(&e, "\x1b[A") == LineEditor::Outcome::kIgnored);  // no history yet
  Type(&e, "first");
  CHECK(Type(&e, "\r") == LineEditor::Outcome::kSubmit);
  CHECK(e.TakeLine() == "first");
  CHECK(e.empty());
  Type(&e, "second\r");
  CHECK(e.TakeLine() == "second");
  Type(&e, "second\r");
  e.TakeLine();  // a repeat is not kept twice
  Type(&e, "draft");
  Type(&e, "\x1b[A");
  CHECK(e.text() == "second");
  Type(&e, "\x1b[A");
  CHECK(e.text() == "first");
  CHECK(Type(&e, "\x1b[A") == LineEditor::Outcome::kIgnored);
  Type(&e, "\x0e\x0e");  // Ctrl-N twice: back to the draft
  CHECK(e.text() == "draft");
  CHECK(Type(&e, "\x1b[B") == LineEditor::Outcome::kIgnored);
  // An empty line is sent but not kept.
  e.Clear();
  Type(&e, "\r");
  CHECK(e.TakeLine().empty());
  Type(&e, "\x1b[A");
  CHECK(e.text() == "second");
}

TEST_CASE("a bracketed paste is text, newlines included, sent with Enter as one line",
          "[line_editor]") {
  LineEditor e;
  CHECK(Type(&e, "\x1b[200~line one\rline\ttwo\r\x1b[201~") == LineEditor::Outcome::kChanged);
  CHECK(e.text() == "line one\nline\ttwo\n");
  CHECK(Type(&e, "\r") == LineEditor::Outcome::kSubmit);
  CHECK(e.TakeLine() == "line one\nline\ttwo\n");
  // Keys other than text inside a paste are dropped, not acted on.
  Type(&e, "\x1b[200~a\x1b[Ab\x03\x1b[201~");
  CHECK(e.text() == "ab");
}

TEST_CASE("a paste past the limit is cut at a character's edge, and says so", "[line_editor]") {
  LineEditor e;
  std::string big(LineEditor::kMaxBytes - 1, 'a');
  Type(&e, "\x1b[200~" + big + "\xc3\xa9z\x1b[201~");
  CHECK(e.text().size() == LineEditor::kMaxBytes - 1);
  CHECK(e.TakeTruncated());
  CHECK_FALSE(e.TakeTruncated());
}

TEST_CASE("Render keeps the row inside the terminal, the cursor in view", "[line_editor]") {
  LineEditor e;
  Type(&e, "abc");
  auto row = e.Render("> ", 80);
  CHECK(row.text == "> abc");
  CHECK(row.cursor == 5);
  // 12 columns: 11 usable, 9 after the prompt; the line scrolls to keep the cursor in view.
  Type(&e, "defghijklmno");
  row = e.Render("> ", 12);
  CHECK(row.text == "> hijklmno");
  CHECK(row.cursor == 10);  // after the o, in the row's last usable column but one
  Type(&e, "\x01");
  row = e.Render("> ", 12);
  CHECK(row.text == "> abcdefghi");
  CHECK(row.cursor == 2);
  // Newlines show as a mark, escapes escaped: the row is one row, and inert.
  e.Clear();
  Type(&e, "\x1b[200~a\r\x1b]52;c;x\x07\x1b[201~");
  row = e.Render("> ", 80);
  CHECK(row.text.find('\n') == std::string::npos);
  CHECK(row.text.find('\x1b') == std::string::npos);
  CHECK(row.text.find("a\u21b5") != std::string::npos);
}

TEST_CASE("wide characters count two columns", "[line_editor]") {
  LineEditor e;
  Type(&e, "\xe4\xbd\xa0\xe5\xa5\xbd");  // 你好
  auto row = e.Render("> ", 80);
  CHECK(row.cursor == 6);
}

}  // namespace
}  // namespace voxterm

namespace voxterm {
namespace {

TEST_CASE("Alt with b, f, d and Backspace works on words", "[line_editor]") {
  LineEditor e;
  Type(&e, "one two three");
  Type(&e,
       "\x1b"
       "b");  // Alt-B: to the start of "three"
  Type(&e,
       "\x1b"
       "b\x1b"
       "d");  // to "two", and cut it
  CHECK(e.text() == "one  three");
  Type(&e,
       "\x1b"
       "f\x1b\x7f");  // Alt-F past "three", Alt-Backspace cuts it
  CHECK(e.text() == "one  ");
}

TEST_CASE("Ctrl-C ends a paste whose end never came", "[line_editor]") {
  LineEditor e;
  Type(&e, "\x1b[200~half a paste");
  CHECK(e.pasting());
  CHECK(Type(&e, "\x03") == LineEditor::Outcome::kIgnored);  // the caller's, as ever
  CHECK_FALSE(e.pasting());
  CHECK(e.text() == "half a paste");
  CHECK(Type(&e, "\r") == LineEditor::Outcome::kSubmit);
}

TEST_CASE("the row scrolls back when there is room again", "[line_editor]") {
  LineEditor e;
  Type(&e, "the quick brown fox jumps over the lazy dog");
  auto row = e.Render("> ", 20);
  CHECK(row.text.rfind("> ", 0) == 0);
  CHECK(row.text.find("the quick") == std::string::npos);
  row = e.Render("> ", 100);  // a wider terminal: the whole line
  CHECK(row.text == "> the quick brown fox jumps over the lazy dog");
  CHECK(row.columns == 45);
  CHECK(row.cursor == 45);
}

}  // namespace
}  // namespace voxterm
