// RawTerminal: the terminal in raw mode for push-to-talk (keys one by one, no echo, Ctrl-C and
// Ctrl-Z as keys), and always put back as it was found: on destruction, on a fatal signal, and
// around Ctrl-Z / fg. Also turns the kitty keyboard protocol on (releases), and off again.
// Thread safety: main thread; the fatal-signal handler uses only async-signal-safe calls.
#pragma once

#include <memory>

#include "util/status.h"

namespace voxterm {

class RawTerminal {
 public:
  // REQUIRES: fd is a terminal. One at a time per process.
  static Result<std::unique_ptr<RawTerminal>> Enter(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

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
