// Keys from a terminal in raw mode, decoded: plain bytes, the escape sequences of function,
// arrow and editing keys, the bracketed paste's marks, and the kitty keyboard protocol's
// "CSI code ; modifiers : event u", which also reports releases (so that holding a key and
// letting go can mean something).
// Thread safety: one decoder per input stream, main thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace voxterm {

struct Key {
  enum class Type {
    kChar,
    kSpace,
    kTab,
    kEnter,
    kEscape,
    kBackspace,
    kFunction,
    kCtrlC,
    kCtrlD,
    kCtrlZ,
    kCtrl,  // Ctrl and a letter that has no type of its own: ch is the letter, lowercase
    kUp,
    kDown,
    kLeft,
    kRight,
    kWordLeft,   // Ctrl-Left (or Alt-Left)
    kWordRight,  // Ctrl-Right
    kHome,
    kEnd,
    kDelete,
    kPasteStart,  // a bracketed paste begins: what follows is text, Enter included
    kPasteEnd,
    kOther
  };
  Type type = Type::kOther;
  char32_t ch = 0;  // kChar: the character as typed; kCtrl: the letter
  int number = 0;   // kFunction: 1 to 12
  bool release = false;
  bool alt = false;  // ESC before the key, as terminals send Alt with it

  // Letters compare without case, so that a push-to-talk key works with Caps Lock or Shift.
  bool operator==(const Key& o) const {
    return type == o.type && Folded(ch) == Folded(o.ch) && number == o.number && alt == o.alt;
  }
  static char32_t Folded(char32_t c) { return c >= U'A' && c <= U'Z' ? c - U'A' + U'a' : c; }
};

class KeyDecoder {
 public:
  // Appends the keys in bytes to *keys. An escape sequence split across reads is kept for the
  // next call. So is a lone ESC at the end of a read: the rest of a sequence may follow (a
  // slow link splits them); if nothing comes within kEscapeWaitMs, the caller takes it as the
  // Escape key (TakeEscape).
  void Feed(std::string_view bytes, std::vector<Key>* keys);
  static constexpr int kEscapeWaitMs = 50;
  bool holding_escape() const { return pending_ == "\x1b"; }
  void TakeEscape(std::vector<Key>* keys);

 private:
  // Decodes one key at the front of pending_; returns bytes used, 0 if incomplete.
  size_t DecodeOne(std::string_view s, Key* key, bool at_end) const;
  std::string pending_;
};

// --ptt-key: a printable character, or space, tab, enter, f1 ... f12.
Result<Key> ParseKeySpec(const std::string& spec);
// How the key is named to the user ("space", "f5", "x").
std::string KeyName(const Key& key);

// Turns the kitty keyboard protocol on (report event types, the shifted key as an alternate,
// and all keys as escape codes), and bracketed paste with it; and both off again. Terminals
// that do not know the kitty protocol ignore it.
inline constexpr std::string_view kKittyKeysOn = "\x1b[>15u\x1b[?2004h";
inline constexpr std::string_view kKittyKeysOff = "\x1b[<u\x1b[?2004l";
// While a line is typed in push-to-talk: the kitty protocol's flags at none (keys come as
// text, in the user's keyboard layout), and back.
inline constexpr std::string_view kKittyTextOn = "\x1b[>0u";
inline constexpr std::string_view kKittyTextOff = "\x1b[<u";
// Bracketed paste: a paste comes between kPasteStart and kPasteEnd, so that its newlines are
// text rather than Enter.
inline constexpr std::string_view kBracketedPasteOn = "\x1b[?2004h";
inline constexpr std::string_view kBracketedPasteOff = "\x1b[?2004l";

}  // namespace voxterm
