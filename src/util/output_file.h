// The files voxterm writes: --log-events, --stats, --output-file, --record.
// - Created 0600: a conversation is private. (A file that exists keeps its mode.)
// - Never through a symbolic link at the path: one planted in a shared directory would aim the
//   write, and the truncation before it, at another file of the user's.
// - One output per file: two outputs writing one file (or one truncating the --input-file) would
//   each destroy the other.
// - A failed write (a full disk) is reported once per file, and the run's exit code says so.
// Thread safety: ReportOutputFailure and OutputFailed from any thread but an audio callback.
#pragma once

#include <string>
#include <vector>

#include "util/status.h"

namespace voxterm {

// Opens path to write, created 0600 or truncated; close-on-exec. what names it in errors
// ("--log-events"): "--log-events PATH: is a symbolic link (refused)".
Result<int> CreateOutputFile(const std::string& path, const std::string& what);

struct NamedPath {
  std::string what;  // the flag, for messages
  std::string path;  // empty: not given
};

// An error when two of paths name one file, whether it exists yet or not ("x" and "./x", a hard
// link). A character device (/dev/null) may take any number.
Status CheckDistinctFiles(const std::vector<NamedPath>& paths);

// Logs "what path: strerror(error)" and marks the run as failed. The caller reports each file
// once.
void ReportOutputFailure(const std::string& what, const std::string& path, int error);
bool OutputFailed();

}  // namespace voxterm
