// SecretMask: hides a secret (the API key) in text that came from elsewhere. A server that
// echoes the key back, whole or in part, in an error message, an answer or a close reason must
// not put it on the screen or into a log.
//
// Every run of text made of pieces of the secret at least kMinPiece characters long becomes '*'
// characters, as many as it had. Shorter pieces pass: a key's last 4 characters, as OpenAI's
// own messages show them, are not a secret. A secret shorter than kMinPiece (a placeholder for
// a local server: "x", "none") is masked only where it stands whole, not inside a longer word:
// masked everywhere, the key "x" turned every "x" of every server message into '*', and broke
// the JSON and the base64 it was in. Keeping the
// length means string views into masked text stay valid and JSON stays JSON (a key holds no
// quote or backslash: CheckApiKey refuses them).
//
// The process has one set of masks: the API key's (SetProcessSecret) and one for each other
// secret voxterm sends (AddProcessSecret: a hosted MCP server's header values, which go out in
// session.update). It is used where server text enters voxterm (the run loop), and by the sinks
// that write what may hold server text or what voxterm sent: Log() and the event log.
// Thread safety: SetProcessSecret and AddProcessSecret before any thread starts; everything
// else is const.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace voxterm {

class SecretMask {
 public:
  static constexpr size_t kMinPiece = 8;

  SecretMask() = default;  // masks nothing
  explicit SecretMask(std::string_view secret);

  // Overwrites in place; returns whether anything was masked.
  bool MaskInPlace(char* text, size_t size) const;
  bool Mask(std::string* text) const { return MaskInPlace(text->data(), text->size()); }
  std::string Masked(std::string_view text) const;

  // How many characters at the end of text could begin a run that text's continuation would
  // complete (0 to kMinPiece): what a stream must hold back until it knows more.
  size_t OpenTail(std::string_view text) const;
  bool empty() const { return piece_ == 0; }

 private:
  size_t piece_ = 0;              // characters per piece; 0: nothing to mask
  bool whole_only_ = false;       // a short secret: only where no letter, digit or -_+/= touches it
  std::vector<uint64_t> pieces_;  // every piece of the secret, packed, sorted
  uint64_t filter_[64] = {};      // a 4096-bit filter of the pieces: most text fails it at once
  // prefixes_[k - 1]: the pieces' first k characters, packed, sorted (k = 1 .. piece_)
  std::vector<uint64_t> prefixes_[kMinPiece];
};

// Several secrets, each masked as SecretMask masks its own.
class SecretMasks {
 public:
  SecretMasks() = default;
  explicit SecretMasks(std::string_view secret) { Set(0, secret); }

  bool MaskInPlace(char* text, size_t size) const;
  bool Mask(std::string* text) const { return MaskInPlace(text->data(), text->size()); }
  std::string Masked(std::string_view text) const;

  // The first secret's place is kept for Set(0, ...) (the key's, known last); Add goes after.
  void Set(size_t index, std::string_view secret);
  void Add(std::string_view secret) { Set(std::max<size_t>(masks_.size(), 1), secret); }

  // As SecretMask's, for all the secrets.
  size_t OpenTail(std::string_view text) const;
  bool empty() const;

 private:
  std::vector<SecretMask> masks_;
};

// StreamMask: the mask for text that arrives in pieces (an answer's deltas). A key cut into
// pieces shorter than kMinPiece, one per message, passes a mask that sees one message at a time,
// and the screen shows it whole. This one sees the stream: it holds back the end of what it was
// given while that end could begin a run of a secret (at most kMinPiece characters; a key is
// ASCII, so never half a UTF-8 character), and masks what it lets through with what came before
// and after it. Text with nothing like a secret's start at its end passes at once.
// Thread safety: one thread; the masks must outlive it.
class StreamMask {
 public:
  explicit StreamMask(const SecretMasks* mask) : mask_(mask) {}

  // The stream goes on with text: returns what may be shown now, masked. The view is valid until
  // the next call.
  std::string_view Add(std::string_view text);
  // The stream ends: returns the rest, masked, and starts afresh.
  std::string_view Finish();
  // The stream is cut off, and may go on elsewhere (a message whose deltas another message's
  // interrupt, on a line of its own): what it held back could begin a secret that the
  // continuation completes out of this one's sight, so it is all masked. Starts afresh.
  std::string_view Cut();
  bool holding() const { return released_ < seen_.size(); }

 private:
  std::string_view Release(size_t end);

  const SecretMasks* const mask_;
  // The stream's last characters as they came: kMinPiece + 1 already let through (what a run
  // across the boundary is found with), then the ones held back, from released_.
  std::string seen_;
  size_t released_ = 0;
  std::string out_;
};

// The process's masks: the key's is set once, when the key is known; others are added.
void SetProcessSecret(std::string_view secret);
void AddProcessSecret(std::string_view secret);
const SecretMasks& ProcessSecretMask();

}  // namespace voxterm
