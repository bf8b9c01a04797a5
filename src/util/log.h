// Diagnostics on stderr, one line each, prefixed "voxterm: ".
// stdout is reserved for answers (text mode), so nothing here ever writes to it.
// Thread safety: callable from the main and network threads (a mutex keeps lines whole);
// never from an audio callback.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace voxterm {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool LogEnabled(LogLevel level);

// Called around each line the thread that set it logs (the main thread): before (true), so
// that the screen makes room (its bottom rows cleared, an open answer line ended), and after
// (false), so that it draws them again. Lines of other threads do not call it (the hook's
// owner is not theirs to touch). Empty: none.
void SetLogLineHook(std::function<void(bool before)> hook);

// printf-style; the message should not end with a newline.
void Log(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

#define VOXTERM_LOG(level, ...)                                           \
  do {                                                                    \
    if (::voxterm::LogEnabled(level)) ::voxterm::Log(level, __VA_ARGS__); \
  } while (0)
#define LOG_ERROR(...) VOXTERM_LOG(::voxterm::LogLevel::kError, __VA_ARGS__)
#define LOG_WARN(...) VOXTERM_LOG(::voxterm::LogLevel::kWarn, __VA_ARGS__)
#define LOG_INFO(...) VOXTERM_LOG(::voxterm::LogLevel::kInfo, __VA_ARGS__)
#define LOG_DEBUG(...) VOXTERM_LOG(::voxterm::LogLevel::kDebug, __VA_ARGS__)

// Bounds the lines of one kind of event that a server can repeat at will (error events,
// messages that do not parse, events of unknown type, audio that does not decode): without it a
// flooding server writes a line per event, without bound. The first kFirstLines are written as
// they come; later ones are counted, and the count is written as "... N more like this (what)"
// when one comes kCountEveryMs or more after the first not written, and at the end (Flush, or
// the destructor), so the lines stay bounded and nothing is hidden without saying so.
// Thread safety: its owner's thread only.
class LogThrottle {
 public:
  static constexpr int kFirstLines = 20;
  static constexpr int64_t kCountEveryMs = 5000;

  // level: the lines' (the count goes at it too, so -v/-vv shows both or neither). what: a
  // name for the kind, in the count's line; a string literal.
  LogThrottle(LogLevel level, const char* what) : level_(level), what_(what) {}
  ~LogThrottle() { Flush(); }
  LogThrottle(const LogThrottle&) = delete;
  LogThrottle& operator=(const LogThrottle&) = delete;

  // Whether the occurrence at now_ms (any monotonic milliseconds) may write its line; the
  // caller writes it. One that may not is counted, and the count written when it is due.
  bool Admit(int64_t now_ms);
  // Writes the count of what was not written, if any.
  void Flush();
  uint64_t unwritten() const { return unwritten_; }

 private:
  const LogLevel level_;
  const char* const what_;
  int written_ = 0;
  uint64_t unwritten_ = 0;          // since the last count
  int64_t first_unwritten_ms_ = 0;  // when the first of them came
};

// Makes text safe to show on one terminal line: what a terminal would act on (control characters,
// newlines included, bidi overrides, invalid UTF-8) becomes escapes, as util/utf8.h's
// AppendForDisplay writes them, and the result is cut to about max_chars bytes, never inside a
// character. For anything that came from the network.
std::string Printable(const std::string& text, size_t max_chars = 200);

}  // namespace voxterm
