#include "ui/shell_quote.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace voxterm;

namespace {

// What bash makes of a quoted word: the test that the quoting says exactly what the word is.
// (popen's /bin/sh passes the script to bash untouched, as one word.)
std::string BashReads(const std::string& quoted) {
  REQUIRE(setenv("VOXTERM_TEST_SCRIPT", ("printf %s " + quoted).c_str(), 1) == 0);
  FILE* pipe = popen("LC_ALL=C.UTF-8 /bin/bash -c \"$VOXTERM_TEST_SCRIPT\"", "r");
  REQUIRE(pipe);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  unsetenv("VOXTERM_TEST_SCRIPT");
  return out;
}

}  // namespace

TEST_CASE("plain words are bare, others quoted, spaces kept as they are", "[terminal][quote]") {
  CHECK(ShellQuote("/var/log") == "/var/log");
  CHECK(ShellQuote("--max-depth=2") == "--max-depth=2");
  CHECK(ShellQuote("") == "''");
  CHECK(ShellQuote("a  b") == "'a  b'");
  CHECK(ShellQuote("it's") == "'it'\\''s'");
  CHECK(ShellQuote("$(rm -rf ~)") == "'$(rm -rf ~)'");
  CHECK(ShellQuote("ünïcødé ✓ 日本") == "'ünïcødé ✓ 日本'");
}

TEST_CASE("controls, bidi, invisible characters and stray bytes are escaped", "[terminal][quote]") {
  CHECK(ShellQuote("a\tb\nc\r") == "$'a\\tb\\nc\\r'");
  CHECK(ShellQuote("\x1b[2J\x07\x01\x7f") == "$'\\E[2J\\a\\x01\\x7F'");
  CHECK(ShellQuote("evil\u202Etxt.exe") == "$'evil\\u202Etxt.exe'");  // right-to-left override
  CHECK(ShellQuote("a\u200Bb\u2066c\u2069") ==
        "$'a\\u200Bb\\u2066c\\u2069'");  // zero width, isolates
  CHECK(ShellQuote("no\u00A0break\u3000wide") == "$'no\\u00A0break\\u3000wide'");
  CHECK(ShellQuote("\xC2\x9B"
                   "2J") == "$'\\u009B2J'");  // C1 CSI
  CHECK(ShellQuote("tag\U000E0041") == "$'tag\\U000E0041'");
  CHECK(ShellQuote("bad\xFF\xC0\xAF") == "$'bad\\xFF\\xC0\\xAF'");
  CHECK(ShellQuote("it's\n\\") == "$'it\\'s\\n\\\\'");
}

TEST_CASE("bash reads every quoted word back as the word itself", "[terminal][quote]") {
  const std::string words[] = {
      "plain",
      "two  spaces",
      "it's",
      "\"double\"",
      "$(id) `id` $HOME ~ * ? [a]",
      "line\nline",
      "tab\there",
      "\x1b]52;c;ZXZpbA==\x07",
      "\u202Eevil",
      "zero\u200Bwidth",
      "nbsp\u00A0",
      "bad\xFF",
      "back\\slash'\n",
      "\xC2\x9B"
      "1",
      "emoji ✓ 😀",
      std::string(3000, 'y') + " end",
  };
  for (const std::string& word : words) {
    INFO(ShellQuote(word));
    CHECK(BashReads(ShellQuote(word)) == word);
  }
}
