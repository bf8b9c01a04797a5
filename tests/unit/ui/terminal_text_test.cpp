#include <catch2/catch.hpp>

#include "ui/terminal_text.h"

using namespace voxterm;

TEST_CASE("escape sequences from the server never reach the terminal", "[terminal]") {
  TerminalFilter filter;
  CHECK(filter.Filter("plain text, tabs\tand\nnewlines") == "plain text, tabs\tand\nnewlines");
  CHECK(filter.Filter("\x1b]52;c;ZXZpbA==\x07" "clip") == "]52;c;ZXZpbA==clip");
  CHECK(filter.Filter("\x1b[2J\x1b[Hcleared") == "[2J[Hcleared");
  CHECK(filter.Filter(std::string("nul\0bell\a\x7f", 10)) == "nulbell");
  CHECK(filter.Filter("\r\b") == "");
}

TEST_CASE("C1 controls are dropped, other UTF-8 kept, even split across deltas", "[terminal]") {
  TerminalFilter filter;
  CHECK(filter.Filter("caf\xc3\xa9 \xc2\xa0nbsp \xe4\xb8\xad") == "caf\xc3\xa9 \xc2\xa0nbsp \xe4\xb8\xad");
  CHECK(filter.Filter("csi:\xc2\x9b" "2J") == "csi:2J");
  CHECK(filter.Filter("split \xc2") == "split ");
  CHECK(filter.Filter("\x9b" "after") == "after");
  CHECK(filter.Filter("split \xc2") == "split ");
  CHECK(filter.Filter("\xa9 copyright") == "\xc2\xa9 copyright");
}
