// The process exit codes, documented in README.md and docs/config.md (ninja's exit_status.h).
#pragma once

namespace voxterm {

enum class ExitCode : int {
  kSuccess = 0,
  kFailure = 1,       // a runtime failure after the session started
  kUsage = 2,         // bad flags, bad configuration, no API key
  kConnect = 3,       // could not connect, or the server refused the credentials or the session
  kInterrupted = 130  // SIGINT, as a shell reports it (128 + 2)
};

inline int ToInt(ExitCode code) { return static_cast<int>(code); }

}  // namespace voxterm
