// EventLog: --log-events, one JSON line per event in either direction:
//   {"t_ms":12,"dir":"out","event":{...}}
// Audio payloads are replaced by their decoded length ("<audio: 4800 bytes>") so the log stays
// small and readable. Frames that are not JSON are logged as {"dir":"in","invalid":"..."}.
// The file is created as util/output_file.h says; a failed write is reported once, and the log
// stops there.
// Thread safety: any thread but an audio callback (a mutex serialises lines).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "util/clock.h"
#include "util/status.h"

namespace voxterm {

class EventLog {
 public:
  explicit EventLog(const Clock* clock) : clock_(clock), start_ms_(clock->NowMs()) {}
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  Status Open(const std::string& path);
  bool enabled() const { return file_ != nullptr; }

  void Sent(std::string_view json) { Write("out", json); }
  void Received(std::string_view json) { Write("in", json, &received_tail_); }
  // A tool call or other local happening worth a line: {"dir":"local","event":json}.
  void Local(std::string_view json) { Write("local", json); }

  // The log line for json, exposed for tests. text_tail: the last characters of the text deltas
  // logged before (a "delta" that is not audio), updated: the mask then sees a key the server
  // cut into pieces too short to mask one by one, and masks each piece after the first.
  static std::string Redact(std::string_view json, std::string* text_tail = nullptr);

 private:
  void Write(const char* direction, std::string_view json, std::string* text_tail = nullptr);

  const Clock* clock_;
  const int64_t start_ms_;
  std::mutex mu_;
  FILE* file_ = nullptr;       // GUARDED_BY(mu_) for writes; set once by Open()
  std::string path_;           // set once by Open()
  bool failed_ = false;        // GUARDED_BY(mu_): a write failed, and was reported
  std::string received_tail_;  // GUARDED_BY(mu_): Redact's text_tail for the server's events
};

}  // namespace voxterm
