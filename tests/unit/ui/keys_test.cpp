#include "ui/keys.h"

#include <catch2/catch.hpp>

using namespace voxterm;

namespace {
std::vector<Key> Decode(KeyDecoder* decoder, std::string_view bytes) {
  std::vector<Key> keys;
  decoder->Feed(bytes, &keys);
  return keys;
}
Key K(Key::Type type) {
  Key k;
  k.type = type;
  return k;
}
}  // namespace

TEST_CASE("plain bytes are keys", "[keys]") {
  KeyDecoder d;
  auto keys = Decode(&d,
                     " q\t\r\x03\x1a"
                     "A\xc3\xa9");
  REQUIRE(keys.size() == 8);
  CHECK(keys[0].type == Key::Type::kSpace);
  CHECK(keys[1].type == Key::Type::kChar);
  CHECK(keys[1].ch == U'q');
  CHECK(keys[2].type == Key::Type::kTab);
  CHECK(keys[3].type == Key::Type::kEnter);
  CHECK(keys[4].type == Key::Type::kCtrlC);
  CHECK(keys[5].type == Key::Type::kCtrlZ);
  CHECK(keys[6].ch == U'a');  // letters compare without case
  CHECK(keys[7].ch == U'\u00e9');
}

TEST_CASE("a lone escape is the Escape key; a sequence is a function key", "[keys]") {
  KeyDecoder d;
  CHECK(Decode(&d, "\x1b") == std::vector<Key>{K(Key::Type::kEscape)});
  auto keys = Decode(&d, "\x1bOP\x1b[15~\x1b[24~");
  REQUIRE(keys.size() == 3);
  CHECK(keys[0].number == 1);
  CHECK(keys[1].number == 5);
  CHECK(keys[2].number == 12);
  CHECK(keys[2].type == Key::Type::kFunction);
}

TEST_CASE("a sequence split across reads waits for its end", "[keys]") {
  KeyDecoder d;
  CHECK(Decode(&d, "\x1b[1").empty());
  auto keys = Decode(&d, "5~ ");
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].number == 5);
  CHECK(keys[1].type == Key::Type::kSpace);
}

TEST_CASE("the kitty protocol reports presses and releases", "[keys]") {
  KeyDecoder d;
  auto keys = Decode(&d, "\x1b[32u\x1b[32;1:2u\x1b[32;1:3u\x1b[99;5u\x1b[57368;1:3u\x1b[27u");
  REQUIRE(keys.size() == 6);
  CHECK(keys[0].type == Key::Type::kSpace);
  CHECK_FALSE(keys[0].release);
  CHECK_FALSE(keys[1].release);  // a repeat
  CHECK(keys[2].type == Key::Type::kSpace);
  CHECK(keys[2].release);
  CHECK(keys[3].type == Key::Type::kCtrlC);  // ctrl+c as kitty reports it
  CHECK(keys[4].type == Key::Type::kFunction);
  CHECK(keys[4].number == 5);
  CHECK(keys[4].release);
  CHECK(keys[5].type == Key::Type::kEscape);
}

TEST_CASE("arrows and unknown sequences are not taken for keys of ours", "[keys]") {
  KeyDecoder d;
  auto keys = Decode(&d, "\x1b[A\x1b[200~");
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].type == Key::Type::kOther);
  CHECK(keys[1].type == Key::Type::kOther);
}

TEST_CASE("push-to-talk keys by name or character", "[keys]") {
  CHECK(ParseKeySpec("space")->type == Key::Type::kSpace);
  CHECK(ParseKeySpec("F5")->number == 5);
  CHECK(ParseKeySpec("enter")->type == Key::Type::kEnter);
  CHECK(ParseKeySpec("x")->ch == U'x');
  CHECK(KeyName(*ParseKeySpec("f12")) == "f12");
  for (const char* bad : {"q", "f13", "f0", "ctrl", "", "ab"}) {
    INFO(bad);
    CHECK_FALSE(ParseKeySpec(bad).ok());
  }
}
