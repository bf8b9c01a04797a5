#include "ui/keys.h"

#include <cctype>
#include <cstdlib>

namespace voxterm {
namespace {

Key Simple(Key::Type type) {
  Key k;
  k.type = type;
  return k;
}

Key FromCodepoint(char32_t c) {
  switch (c) {
    case ' ': return Simple(Key::Type::kSpace);
    case '\t': return Simple(Key::Type::kTab);
    case '\r':
    case '\n': return Simple(Key::Type::kEnter);
    case 0x1b: return Simple(Key::Type::kEscape);
    case 0x7f:
    case 0x08: return Simple(Key::Type::kBackspace);
    case 0x03: return Simple(Key::Type::kCtrlC);
    case 0x04: return Simple(Key::Type::kCtrlD);
    case 0x1a: return Simple(Key::Type::kCtrlZ);
    default: break;
  }
  Key k;
  if (c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0)) {
    k.type = Key::Type::kChar;
    k.ch = c;
  } else if (c >= 0x01 && c <= 0x1a) {
    k.type = Key::Type::kCtrl;
    k.ch = U'a' + (c - 1);
  }
  return k;
}

Key Function(int n) {
  Key k;
  k.type = Key::Type::kFunction;
  k.number = n;
  return k;
}

// "CSI n ~" numbers of F5..F12 (and F1..F4 on some terminals).
int TildeFunction(int n) {
  switch (n) {
    case 11: return 1;
    case 12: return 2;
    case 13: return 3;
    case 14: return 4;
    case 15: return 5;
    case 17: return 6;
    case 18: return 7;
    case 19: return 8;
    case 20: return 9;
    case 21: return 10;
    case 23: return 11;
    case 24: return 12;
    default: return 0;
  }
}

// Kitty's codes for function keys in "CSI code u" (Unicode private use area).
int KittyFunction(long code) {
  if (code >= 57364 && code <= 57375) return static_cast<int>(code - 57364 + 1);
  return 0;
}

// Each Decode* below reads one key at the front of s and returns the bytes it used, or 0 when
// the key is cut short and its rest may come with the next read.
size_t Incomplete(std::string_view s, bool at_end) { return at_end ? s.size() : 0; }

// UTF-8: the whole character, or wait for the rest.
size_t DecodeUtf8(std::string_view s, Key* key, bool at_end) {
  const unsigned char first = static_cast<unsigned char>(s[0]);
  const size_t length = first < 0x80    ? 1
                        : first >= 0xF0 ? 4
                        : first >= 0xE0 ? 3
                        : first >= 0xC0 ? 2
                                        : 1;
  // A byte that cannot go on the character ends it: the lead byte alone is no key (a Latin-1
  // terminal's é must not swallow the Enter after it).
  for (size_t i = 1; i < length && i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      *key = Key();
      return 1;
    }
  }
  if (s.size() < length) return Incomplete(s, at_end);
  char32_t c = first;
  if (length > 1) {
    c = first & (0x3F >> (length - 1));
    for (size_t i = 1; i < length; ++i) c = (c << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  }
  *key = FromCodepoint(c);
  return length;
}

// Arrows, Home and End: "CSI A" or, with modifiers, "CSI 1 ; mod A" (and SS3 A in application
// mode). Ctrl or Alt with Left and Right moves by words.
Key CursorKey(char final, long modifiers) {
  const bool word = modifiers > 1 && ((modifiers - 1) & (4 | 2));
  switch (final) {
    case 'A': return Simple(Key::Type::kUp);
    case 'B': return Simple(Key::Type::kDown);
    case 'C': return Simple(word ? Key::Type::kWordRight : Key::Type::kRight);
    case 'D': return Simple(word ? Key::Type::kWordLeft : Key::Type::kLeft);
    case 'H': return Simple(Key::Type::kHome);
    case 'F': return Simple(Key::Type::kEnd);
    default: return Key();
  }
}

// SS3 ("ESC O" and one byte): F1-F4.
size_t DecodeSs3(std::string_view s, Key* key, bool at_end) {
  if (s.size() < 3) return Incomplete(s, at_end);
  *key = s[2] >= 'P' && s[2] <= 'S' ? Function(s[2] - 'P' + 1) : CursorKey(s[2], 1);
  return 3;
}

// Kitty: code[:shifted[:base]][;modifiers[:event]]; event 3 is a release, 2 a repeat. With
// Shift held, the shifted key is the key ("/" is Shift-7 on some layouts).
Key KittyKey(const std::string& params) {
  char* end = nullptr;
  long code = strtol(params.c_str(), &end, 10);
  const long shifted = *end == ':' ? strtol(end + 1, nullptr, 10) : 0;
  const size_t semicolon = params.find(';');
  const long modifiers =
      semicolon == std::string::npos ? 1 : strtol(params.c_str() + semicolon + 1, nullptr, 10);
  if (shifted > 0 && modifiers > 1 && ((modifiers - 1) & 1)) code = shifted;
  const int f = KittyFunction(code);
  Key key = f ? Function(f) : FromCodepoint(static_cast<char32_t>(code));
  if (semicolon == std::string::npos) return key;
  const size_t colon = params.find(':', semicolon);
  if (colon != std::string::npos)
    key.release = strtol(params.c_str() + colon + 1, nullptr, 10) == 3;
  // Ctrl (bit 2 of modifiers - 1) with a letter, as the plain byte would be.
  const char32_t letter = Key::Folded(key.ch);
  if (modifiers > 1 && ((modifiers - 1) & 4) && key.type == Key::Type::kChar && letter >= U'a' &&
      letter <= U'z') {
    const Key plain = FromCodepoint(letter - U'a' + 1);
    key.type = plain.type;
    key.ch = plain.ch;
  }
  return key;
}

// "CSI n ~": editing keys, the paste's marks, and function keys.
Key TildeKey(long n) {
  switch (n) {
    case 1:
    case 7: return Simple(Key::Type::kHome);
    case 3: return Simple(Key::Type::kDelete);
    case 4:
    case 8: return Simple(Key::Type::kEnd);
    case 200: return Simple(Key::Type::kPasteStart);
    case 201: return Simple(Key::Type::kPasteEnd);
    default: break;
  }
  const int f = TildeFunction(static_cast<int>(n));
  return f ? Function(f) : Key();
}

// A whole CSI sequence: what its final byte says with its parameters.
Key CsiKey(const std::string& params, char final) {
  if (final == '~') return TildeKey(strtol(params.c_str(), nullptr, 10));
  if (final == 'u') return KittyKey(params);
  if (final >= 'P' && final <= 'S') return Function(final - 'P' + 1);  // CSI 1;mod P and the like
  const size_t semicolon = params.find(';');
  const long modifiers =
      semicolon == std::string::npos ? 1 : strtol(params.c_str() + semicolon + 1, nullptr, 10);
  return CursorKey(final, modifiers);
}

// CSI ("ESC [", parameters, then a final byte in 0x40-0x7E). A byte that has no place in one
// (a control, another ESC) ends it as no key, so that a cut sequence cannot swallow the next.
size_t DecodeCsi(std::string_view s, Key* key, bool at_end) {
  size_t end = 2;
  while (end < s.size() && !(s[end] >= 0x40 && s[end] <= 0x7E)) {
    if (static_cast<unsigned char>(s[end]) < 0x20 || static_cast<unsigned char>(s[end]) > 0x7E) {
      *key = Key();
      return end;
    }
    ++end;
  }
  if (end == s.size()) return Incomplete(s, at_end);
  *key = CsiKey(std::string(s.substr(2, end - 2)), s[end]);
  return end + 1;
}

}  // namespace

size_t KeyDecoder::DecodeOne(std::string_view s, Key* key, bool at_end) const {
  if (s[0] == '\r' && s.size() > 1 && s[1] == '\n') {  // CRLF, from a paste: one Enter
    *key = Simple(Key::Type::kEnter);
    return 2;
  }
  if (s[0] != '\x1b') return DecodeUtf8(s, key, at_end);
  if (s.size() == 1) {
    if (!at_end) return 0;
    *key = Simple(Key::Type::kEscape);
    return 1;
  }
  if (s[1] == 'O') return DecodeSs3(s, key, at_end);
  if (s[1] == '[') return DecodeCsi(s, key, at_end);
  if (s[1] == '\x1b') {  // Escape twice
    *key = Simple(Key::Type::kEscape);
    return 1;
  }
  // ESC then a key: Alt and that key.
  const size_t used = DecodeUtf8(s.substr(1), key, at_end);
  if (used == 0) return 0;
  key->alt = true;
  return used + 1;
}

void KeyDecoder::TakeEscape(std::vector<Key>* keys) {
  if (!holding_escape()) return;
  pending_.clear();
  keys->push_back(Simple(Key::Type::kEscape));
}

void KeyDecoder::Feed(std::string_view bytes, std::vector<Key>* keys) {
  // A held ESC joins what follows only as the rest of a sequence: Alt and a key come in one
  // write, so a key typed after Escape is that key.
  if (holding_escape() && !bytes.empty() && bytes[0] != '[' && bytes[0] != 'O') {
    TakeEscape(keys);
  }
  pending_.append(bytes);
  size_t offset = 0;
  while (offset < pending_.size()) {
    Key key;
    const size_t used =
        DecodeOne(std::string_view(pending_).substr(offset), &key, /*at_end=*/false);
    if (used == 0) break;  // incomplete: the rest may come (a lone ESC: see TakeEscape)
    keys->push_back(key);
    offset += used;
  }
  pending_.erase(0, offset);
  if (pending_.size() > 64) pending_.clear();  // garbage, not a sequence
}

Result<Key> ParseKeySpec(const std::string& spec) {
  std::string s;
  for (char c : spec) s += static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (s == "space" || s == " ") return Simple(Key::Type::kSpace);
  if (s == "tab") return Simple(Key::Type::kTab);
  if (s == "enter" || s == "return") return Simple(Key::Type::kEnter);
  if (s.size() >= 2 && s[0] == 'f' && isdigit(static_cast<unsigned char>(s[1]))) {
    const int n = atoi(s.c_str() + 1);
    if (n >= 1 && n <= 12 && s == "f" + std::to_string(n)) return Function(n);
  }
  if (s.size() == 1 && isprint(static_cast<unsigned char>(s[0])) && s != "q") {
    return FromCodepoint(static_cast<char32_t>(s[0]));
  }
  return Status::Error(
      "--ptt-key \"" + spec +
      "\": use a printable character other than q, or space, tab, enter, f1 ... f12");
}

std::string KeyName(const Key& key) {
  switch (key.type) {
    case Key::Type::kSpace: return "space";
    case Key::Type::kTab: return "tab";
    case Key::Type::kEnter: return "enter";
    case Key::Type::kFunction: return "f" + std::to_string(key.number);
    case Key::Type::kChar: return key.ch < 0x80 ? std::string(1, static_cast<char>(key.ch)) : "key";
    default: return "key";
  }
}

}  // namespace voxterm
