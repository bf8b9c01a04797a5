// RawTerminal: the terminal in raw mode (keys one by one, no echo, Ctrl-C and Ctrl-Z as keys),
// and always put back as it was found: on destruction, on a fatal signal, and around Ctrl-Z /
// fg. For push-to-talk it also turns the kitty keyboard protocol on (releases); for typing,
// bracketed paste (a paste's newlines are text); either is turned off again.
// Thread safety: main thread; the fatal-signal handler uses only async-signal-safe calls.
#pragma once

#include <memory>

#include "util/status.h"

namespace voxterm {

class RawTerminal {
 public:
  enum class Keys {
    kReleases,  // push-to-talk: the kitty protocol, so that letting go of a key is seen
    kText,      // typing: keys as text, pastes bracketed
  };
  // REQUIRES: fd is a terminal. One at a time per process.
  static Result<std::unique_ptr<RawTerminal>> Enter(int fd, Keys keys = Keys::kReleases);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

  // Push-to-talk's keys as text, while a line is typed (on), and back to releases (off).
  void TypeText(bool on);

  // Ctrl-Z: puts the terminal back, stops the process as the shell expects, and returns to raw
  // mode when the shell continues it (fg).
  void Suspend();

  // Puts the terminal back, if one is raw, for a process about to _exit() from any thread.
  // Async-signal-safe.
  static void RestoreForExit();

 private:
  explicit RawTerminal(int fd) : fd_(fd) {}
  void MakeRaw();
  const int fd_;
};

}  // namespace voxterm
