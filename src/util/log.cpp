#include "util/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "util/secret_mask.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kWarn)};
std::mutex g_mu;
std::function<void(bool)> g_hook;  // SetLogLineHook's, set and called on g_hook_thread only
std::atomic<std::thread::id> g_hook_thread{};

const char* Prefix(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "voxterm: error: ";
    case LogLevel::kWarn: return "voxterm: warning: ";
    case LogLevel::kInfo: return "voxterm: ";
    case LogLevel::kDebug: return "voxterm: debug: ";
  }
  return "voxterm: ";
}

}  // namespace

void SetLogLineHook(std::function<void(bool before)> hook) {
  g_hook_thread.store(hook ? std::this_thread::get_id() : std::thread::id());
  g_hook = std::move(hook);
}

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }
bool LogEnabled(LogLevel level) { return static_cast<int>(level) <= g_level.load(); }

void Log(LogLevel level, const char* format, ...) {
  char body[1024];
  va_list args;
  va_start(args, format);
  vsnprintf(body, sizeof body, format, args);
  va_end(args);
  // Lines may quote the server, and the server may quote the key.
  ProcessSecretMask().MaskInPlace(body, strlen(body));
  // One fputs of a whole line under the lock, so lines from two threads never interleave.
  // They may also quote a path or a name from a flag ($'\e]0;x\a'): whatever a terminal would
  // act on is shown as an escape, here for every line. (Text made Printable already passes as
  // it is: its escapes are plain characters.)
  std::string line = Prefix(level);
  AppendForDisplay(body, LineBreaks::kEscape, &line);
  line += '\n';
  static thread_local bool in_hook = false;  // the hook may log (a failed write)
  const bool hooked = !in_hook && g_hook_thread.load() == std::this_thread::get_id() && g_hook;
  if (hooked) {
    in_hook = true;
    g_hook(true);
    in_hook = false;
  }
  {
    std::lock_guard<std::mutex> lock(g_mu);
    fputs(line.c_str(), stderr);
    fflush(stderr);
  }
  if (hooked) {
    in_hook = true;
    g_hook(false);
    in_hook = false;
  }
}

bool LogThrottle::Admit(int64_t now_ms) {
  if (written_ < kFirstLines) {
    ++written_;
    return true;
  }
  if (unwritten_++ == 0) first_unwritten_ms_ = now_ms;
  if (now_ms - first_unwritten_ms_ >= kCountEveryMs) Flush();
  return false;
}

void LogThrottle::Flush() {
  if (unwritten_ == 0) return;
  VOXTERM_LOG(level_, "... %llu more like this (%s)", static_cast<unsigned long long>(unwritten_),
              what_);
  unwritten_ = 0;
}

// Server text in a log line must not act on the terminal or span lines, whether stderr is a
// terminal or not: a log file is read on one later.
std::string Printable(const std::string& text, size_t max_chars) {
  std::string out;
  if (AppendForDisplay(text, LineBreaks::kEscape, &out, max_chars) < text.size()) out += "...";
  return out;
}

}  // namespace voxterm
