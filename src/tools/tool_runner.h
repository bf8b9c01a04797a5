// ToolRunner: runs tool commands as child processes, several at a time, without blocking.
// Abstract so the conversation logic can be tested without processes (tests/fakes/
// fake_tool_runner.h records the commands); SpawnToolRunner is the real one.
// Thread safety: main thread only. The main loop polls fd() and calls Work() when it is readable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace voxterm {

// A command ready to run: nothing in it passes through a shell unless argv runs one.
struct ToolCommand {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH when it has no slash
  std::vector<std::string> env;   // "NAME=value", the whole environment
  std::string cwd;                // empty: voxterm's own
  std::string stdin_data;         // the child reads this, then end of file
  int timeout_ms = 10000;
  size_t max_output_bytes =
      16384;  // kept of each of stdout and stderr; the rest is read and dropped
};

struct ToolResult {
  enum class End {
    kExited,         // exit_code is the program's
    kSignaled,       // exit_code is 128 + the signal, as a shell reports it
    kTimedOut,       // killed at the time limit
    kInterrupted,    // killed because the user asked (Ctrl-C)
    kFailedToStart,  // error says why; nothing ran
  };
  End end = End::kExited;
  int exit_code = -1;
  std::string out, err;    // what the command wrote to stdout and stderr
  bool truncated = false;  // one of them wrote more than max_output_bytes
  std::string error;       // kFailedToStart
  int64_t duration_ms = 0;
};

class ToolRunner {
 public:
  using Id = int;
  virtual ~ToolRunner() = default;

  // Starts a command. It never fails here: a command that cannot start finishes at once with
  // kFailedToStart, and is collected by TakeFinished() like any other.
  virtual Id Start(const ToolCommand& command) = 0;
  // Readable when Work() has something to do; -1 when there is never anything.
  virtual int fd() const = 0;
  // Reads output, reaps children and enforces time limits; never blocks.
  virtual void Work() = 0;
  // The commands that have finished since the last call, in the order they finished.
  virtual std::vector<std::pair<Id, ToolResult>> TakeFinished() = 0;
  // Kills every running command (Ctrl-C); each finishes as kInterrupted.
  virtual void InterruptAll() = 0;
  virtual size_t running() const = 0;
};

}  // namespace voxterm
