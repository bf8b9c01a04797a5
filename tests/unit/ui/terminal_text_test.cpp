#include "ui/terminal_text.h"

#include <catch2/catch.hpp>

using namespace voxterm;

TEST_CASE("escape sequences from the server are shown, not acted on", "[terminal]") {
  TerminalFilter filter;
  CHECK(filter.Filter("plain text, tabs\tand\nnewlines") == "plain text, tabs\tand\nnewlines");
  CHECK(filter.Filter("\x1b]52;c;ZXZpbA==\x07"
                      "clip") == "\\x1b]52;c;ZXZpbA==\\x07clip");
  CHECK(filter.Filter("\x1b[2J\x1b[Hcleared") == "\\x1b[2J\\x1b[Hcleared");
  CHECK(filter.Filter(std::string("nul\0bell\a\x7f", 10)) == "nul\\x00bell\\x07\\x7f");
  CHECK(filter.Filter("\r\b") == "\\r\\x08");
}

TEST_CASE("C1 controls, bidi overrides and invalid bytes are escaped, even split across deltas",
          "[terminal]") {
  TerminalFilter filter;
  CHECK(filter.Filter("caf\xc3\xa9 \xc2\xa0nbsp \xe4\xb8\xad") ==
        "caf\xc3\xa9 \xc2\xa0nbsp \xe4\xb8\xad");
  CHECK(filter.Filter("csi:\xc2\x9b"
                      "2J") == "csi:\\u009b2J");
  CHECK(filter.Filter("split \xc2") == "split ");
  CHECK(filter.Filter("\x9b"
                      "after") == "\\u009bafter");
  CHECK(filter.Filter("raw \x9b") == "raw \\x9b");
  CHECK(filter.Filter("rtl \xe2\x80") == "rtl ");
  CHECK(filter.Filter("\xae!") == "\\u202e!");
  CHECK(filter.Filter("\xe4\xb8") == "");
  CHECK(filter.Filter("\xad") == "\xe4\xb8\xad");
  CHECK(filter.Filter("cut \xe4\xb8") == "cut ");
  CHECK(filter.Filter("\n") == "\\xe4\\xb8\n");  // what followed did not complete it
}
