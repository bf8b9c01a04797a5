#include "util/utf8.h"

#include <catch2/catch.hpp>

using namespace voxterm;

namespace {

std::string Shown(std::string_view text, LineBreaks breaks = LineBreaks::kKeep) {
  std::string out;
  AppendForDisplay(text, breaks, &out);
  return out;
}

}  // namespace

TEST_CASE("valid UTF-8 is told from invalid, as RFC 3629 draws the line", "[utf8]") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ascii"));
  CHECK(IsValidUtf8("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
  CHECK_FALSE(IsValidUtf8("\xff"));
  CHECK_FALSE(IsValidUtf8("\x80"));              // a continuation byte alone
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong again
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(IsValidUtf8("cut \xe2\x82"));      // ends inside a character
}

TEST_CASE("repair replaces each maximal invalid subpart with one U+FFFD", "[utf8]") {
  const std::string r = "\xef\xbf\xbd";
  CHECK(RepairUtf8("fine \xc3\xa9") == "fine \xc3\xa9");
  CHECK(RepairUtf8("a\xff\xfe"
                   "b") == "a" + r + r + "b");
  CHECK(RepairUtf8("\xe2\x82 x") == r + " x");     // a started character, cut: one
  CHECK(RepairUtf8("\xe2\x82") == r);              // cut by the end of the text
  CHECK(RepairUtf8("\xc0\xaf") == r + r);          // no valid start at all: one each
  CHECK(RepairUtf8("\xed\xa0\x80") == r + r + r);  // ED A0: A0 cannot follow ED
  CHECK(RepairUtf8("\xf0\x9f\x98") == r);
  CHECK(IsValidUtf8(RepairUtf8("\x80\xbf\xc2\xe0\xa0\xf0\x90\x80\xff")));
}

TEST_CASE("a character is decoded with its length", "[utf8]") {
  const Utf8Char euro = DecodeUtf8("\xe2\x82\xac!");
  CHECK(euro.kind == Utf8Char::Kind::kValid);
  CHECK(euro.code_point == 0x20AC);
  CHECK(euro.length == 3);
  CHECK(DecodeUtf8("\xe2\x82").kind == Utf8Char::Kind::kIncomplete);
  CHECK(DecodeUtf8("\xe2\x28").kind == Utf8Char::Kind::kInvalid);
  CHECK(DecodeUtf8("\xe2\x28").length == 1);
}

TEST_CASE("what a terminal would act on is shown escaped", "[utf8][terminal]") {
  CHECK(Shown("lines\nand\ttabs pass") == "lines\nand\ttabs pass");
  CHECK(Shown("\x1b]52;c;ZXZpbA==\x07"
              "clip") == "\\x1b]52;c;ZXZpbA==\\x07clip");
  CHECK(Shown("\x1b[2J\r\b\x7f") == "\\x1b[2J\\r\\x08\\x7f");
  CHECK(Shown(std::string("nul\0", 4)) == "nul\\x00");
  CHECK(Shown("csi \xc2\x9b"
              "2J, nel \xc2\x85") == "csi \\u009b2J, nel \\u0085");
  CHECK(Shown("\xe2\x80\xae"
              "desrever\xe2\x80\xac \xe2\x81\xa6x\xe2\x81\xa9") ==
        "\\u202edesrever\\u202c \\u2066x\\u2069");
  CHECK(Shown("raw \x9b and \xff\xfe, cut \xe2\x82") == "raw \\x9b and \\xff\\xfe, cut \\xe2\\x82");
}

TEST_CASE("printable text passes unchanged, backslashes and all", "[utf8][terminal]") {
  const std::string text =
      "caf\xc3\xa9 \xc2\xa0nbsp \xe4\xb8\xad \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9 C:\\x1b";
  CHECK(Shown(text) == text);
  CHECK(Shown("\xe2\x80\x8f rlm stays") == "\xe2\x80\x8f rlm stays");  // a mark, not an override
}

TEST_CASE("a log line stays one line", "[utf8][terminal]") {
  CHECK(Shown("two\nlines\tand a tab", LineBreaks::kEscape) == "two\\nlines\\tand a tab");
}

TEST_CASE("display stops at a character boundary once the output is long enough", "[utf8]") {
  std::string out;
  CHECK(AppendForDisplay("ab\x1b"
                         "cd",
                         LineBreaks::kKeep, &out, 3) == 3);
  CHECK(out == "ab\\x1b");
  out.clear();
  CHECK(AppendForDisplay("\xe4\xb8\xad\xe4\xb8\xad", LineBreaks::kKeep, &out, 2) == 3);
  CHECK(out == "\xe4\xb8\xad");
}

TEST_CASE("a stream holds back a character that has not ended yet", "[utf8]") {
  CHECK(IncompleteUtf8Tail("abc") == 0);
  CHECK(IncompleteUtf8Tail("ab\xc2") == 1);
  CHECK(IncompleteUtf8Tail("ab\xe4\xb8") == 2);
  CHECK(IncompleteUtf8Tail("\xf0\x9f\x98") == 3);
  CHECK(IncompleteUtf8Tail("\xe4\xb8\xad") == 0);  // complete
  CHECK(IncompleteUtf8Tail("ab\xff") == 0);        // invalid: nothing will complete it
  CHECK(IncompleteUtf8Tail("ab\xe2\x28") == 0);
  CHECK(IncompleteUtf8Tail("\x80\x80\x80") == 0);
}
