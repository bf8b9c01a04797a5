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
Key Function(int number) {
  Key k;
  k.type = Key::Type::kFunction;
  k.number = number;
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
  CHECK(keys[6].ch == U'A');  // as typed, and compared without case
  CHECK(keys[6] == Decode(&d, "a")[0]);
  CHECK(keys[7].ch == U'\u00e9');
}

TEST_CASE("a lone escape waits, then is the Escape key; a sequence is a function key", "[keys]") {
  KeyDecoder d;
  CHECK(Decode(&d, "\x1b").empty());  // the rest of a sequence may be on its way
  CHECK(d.holding_escape());
  std::vector<Key> keys;
  d.TakeEscape(&keys);  // nothing came: it was the key
  CHECK(keys == std::vector<Key>{K(Key::Type::kEscape)});
  CHECK_FALSE(d.holding_escape());
  keys = Decode(&d, "\x1bOP\x1b[15~\x1b[24~");
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

TEST_CASE("unknown sequences are not taken for keys of ours", "[keys]") {
  KeyDecoder d;
  auto keys = Decode(&d, "\x1b[5~\x1b[Z\x1b[1;5X");  // Page Up, Shift-Tab, no key at all
  REQUIRE(keys.size() == 3);
  for (const Key& key : keys) CHECK(key.type == Key::Type::kOther);
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

TEST_CASE("each family of escape sequences, complete or cut", "[keys]") {
  KeyDecoder d;
  // SS3: F1-F4, anything else not ours; cut after "ESC O", it waits.
  CHECK(Decode(&d, "\x1bO").empty());
  auto keys = Decode(&d, "S\x1bOx");
  REQUIRE(keys.size() == 2);
  CHECK(keys[0] == Function(4));
  CHECK(keys[1].type == Key::Type::kOther);
  // ESC then a plain key: Alt and the key, one key.
  keys = Decode(&d, "\x1bx");
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].ch == U'x');
  CHECK(keys[0].alt);
  // CSI with a final P-S (F1-F4 with modifiers); "CSI n ~" for F1-F4 too; 16 is no key.
  keys = Decode(&d, "\x1b[1;5P\x1b[1;2S\x1b[11~\x1b[14~\x1b[16~");
  REQUIRE(keys.size() == 5);
  CHECK(keys[0] == Function(1));
  CHECK(keys[1] == Function(4));
  CHECK(keys[2] == Function(1));
  CHECK(keys[3] == Function(4));
  CHECK(keys[4].type == Key::Type::kOther);
  // A lone ESC after other keys at the end of a read waits too; what comes next decides.
  keys = Decode(&d, "a\x1b");
  REQUIRE(keys.size() == 1);
  keys = Decode(&d, "[D");  // an arrow key, split by the link
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].type == Key::Type::kLeft);
  // Escape, then a key in a write of its own: the two keys, not Alt and the key.
  Decode(&d, "\x1b");
  keys = Decode(&d, "q");
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].type == Key::Type::kEscape);
  CHECK(keys[1].ch == U'q');
  CHECK_FALSE(keys[1].alt);
}

TEST_CASE("a cut sequence or character never swallows the keys after it", "[keys]") {
  KeyDecoder d;
  // A Latin-1 terminal's e-acute, then text and Enter.
  auto keys = Decode(&d, "caf\xe9 au\r");
  REQUIRE(keys.size() == 8);
  CHECK(keys[3].type == Key::Type::kOther);
  CHECK(keys[4].type == Key::Type::kSpace);
  CHECK(keys[7].type == Key::Type::kEnter);
  // An unfinished colour code inside a paste, then the paste's end.
  keys = Decode(&d, "\x1b[200~red \x1b[38;5\x1b[201~");
  REQUIRE(keys.size() == 7);
  CHECK(keys[0].type == Key::Type::kPasteStart);
  CHECK(keys[5].type == Key::Type::kOther);
  CHECK(keys[6].type == Key::Type::kPasteEnd);
  // A lead byte cut by the paste's end.
  keys = Decode(&d, "\x1b[200~abc\xc3\x1b[201~");
  REQUIRE(keys.size() == 6);
  CHECK(keys[5].type == Key::Type::kPasteEnd);
  // CRLF in a paste is one Enter.
  keys = Decode(&d, "a\r\nb");
  REQUIRE(keys.size() == 3);
  CHECK(keys[1].type == Key::Type::kEnter);
}

TEST_CASE("UTF-8 cut across reads waits; a stray continuation byte is no text", "[keys]") {
  KeyDecoder d;
  CHECK(Decode(&d, "\xe2\x82").empty());
  auto keys = Decode(&d, "\xac\x80");
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].ch == U'\u20ac');
  CHECK(keys[1].type == Key::Type::kOther);  // a C1 control's code: no text
  keys = Decode(&d, "\xf0\x9f\x8e\xa4");
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].ch == U'\U0001f3a4');
}

TEST_CASE("kitty modifiers: ctrl with c, d and z only, events without modifiers", "[keys]") {
  KeyDecoder d;
  auto keys = Decode(&d, "\x1b[100;5u\x1b[122;5:1u\x1b[120;5u\x1b[99;2u\x1b[65;1:3u\x1b[233u");
  REQUIRE(keys.size() == 6);
  CHECK(keys[0].type == Key::Type::kCtrlD);
  CHECK(keys[1].type == Key::Type::kCtrlZ);
  CHECK_FALSE(keys[1].release);
  CHECK(keys[2].type == Key::Type::kCtrl);  // ctrl+x, as the byte 0x18 would be
  CHECK(keys[2].ch == U'x');
  CHECK(keys[3].type == Key::Type::kChar);  // shift+c is no ctrl+c
  CHECK(keys[3].ch == U'c');
  CHECK(keys[4] == Decode(&d, "a")[0]);  // letters compare without case in kitty codes too
  CHECK(keys[4].release);
  CHECK(keys[5].ch == U'\u00e9');
  // The function keys' private codes: F1 and F12, and the code after F12 is no key of ours.
  keys = Decode(&d, "\x1b[57364u\x1b[57375;1:1u\x1b[57376u");
  REQUIRE(keys.size() == 3);
  CHECK(keys[0] == Function(1));
  CHECK(keys[1] == Function(12));
  CHECK(keys[2].type == Key::Type::kChar);
}

TEST_CASE("an unfinished sequence longer than any key is dropped", "[keys]") {
  KeyDecoder d;
  CHECK(Decode(&d, "\x1b[" + std::string(70, '0')).empty());
  // Were the garbage kept, 'x' would end it as one sequence.
  auto keys = Decode(&d, "x");
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].ch == U'x');
}

TEST_CASE("editing keys: arrows, Home, End, Delete, ctrl letters, word moves", "[keys]") {
  KeyDecoder d;
  auto keys = Decode(&d,
                     "\x1b[A\x1b[B\x1b[C\x1b[D\x1bOH\x1b[F\x1b[1~\x1b[4~\x1b[3~"
                     "\x1b[1;5D\x1b[1;3C\x01\x05\x15\x17\x7f");
  std::vector<Key::Type> types;
  for (const Key& k : keys) types.push_back(k.type);
  using T = Key::Type;
  CHECK(types == std::vector<T>{T::kUp, T::kDown, T::kRight, T::kLeft, T::kHome, T::kEnd, T::kHome,
                                T::kEnd, T::kDelete, T::kWordLeft, T::kWordRight, T::kCtrl,
                                T::kCtrl, T::kCtrl, T::kCtrl, T::kBackspace});
  CHECK(keys[11].ch == U'a');
  CHECK(keys[14].ch == U'w');
  // A C1 control or DEL is no character to insert.
  keys = Decode(&d, "\xc2\x9b");
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].type == T::kOther);
}

TEST_CASE("a bracketed paste's marks are keys, and what is between them comes as typed", "[keys]") {
  KeyDecoder d;
  auto keys = Decode(&d, "\x1b[200~a\rb\x1b[20");
  REQUIRE(keys.size() == 4);
  CHECK(keys[0].type == Key::Type::kPasteStart);
  CHECK(keys[2].type == Key::Type::kEnter);
  keys = Decode(&d, "1~");
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].type == Key::Type::kPasteEnd);
}
