// The session loop's timers: small objects that each own one kind of deadline and say when it
// next falls due (mosh's components that each report their next wake-up). Time is passed in,
// as milliseconds of a Clock, so that tests run them on a fake clock.
// Thread safety: main thread only, like the loop that owns them.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>

#include "transport/reconnect.h"

namespace voxterm {

// The earliest of some deadlines, -1 standing for "none".
int64_t Earliest(std::initializer_list<int64_t> deadlines_ms);

// One deadline, or none.
class Deadline {
 public:
  void Set(int64_t at_ms) { at_ms_ = at_ms; }
  void Clear() { at_ms_ = -1; }
  bool Passed(int64_t now_ms) const { return at_ms_ >= 0 && now_ms >= at_ms_; }
  int64_t at_ms() const { return at_ms_; }

 private:
  int64_t at_ms_ = -1;
};

// While an answer is due, the server's silence is watched: after kAliveCheckAfterMs the
// connection is asked whether it is alive (a ping), and after answer_timeout_ms (0: never) the
// conversation hears that the server went silent, once per silence. Silence counts from the
// last server event, or from when the answer became due if that is later.
class AnswerWatchdog {
 public:
  // A dead connection is found in about 10 s (the ping's answer is due within
  // kAnswerWithinS), well before the answer timeout (30 s) gives up, and sooner than the
  // keep-alive (45 s), which has to be patient with an idle session.
  static constexpr int kAliveCheckAfterMs = 5000;
  static constexpr int kAnswerWithinS = 5;

  explicit AnswerWatchdog(int answer_timeout_ms) : answer_timeout_ms_(answer_timeout_ms) {}

  // Any server event ends a silence.
  void OnServerEvent(int64_t now_ms);

  // What Update found due.
  struct Due {
    bool check_alive = false;  // ping the connection
    bool silent = false;       // tell the conversation, once
  };
  // Called each time around the loop: awaiting is whether an answer is due now (and the
  // session is up). Arms the next deadlines.
  Due Update(int64_t now_ms, bool awaiting);
  int64_t NextDeadlineMs() const { return Earliest({silent_at_ms_, alive_check_at_ms_}); }
  int answer_timeout_ms() const { return answer_timeout_ms_; }

 private:
  const int answer_timeout_ms_;
  int64_t last_event_ms_ = -1;
  int64_t awaiting_since_ms_ = -1;  // -1: no answer is due
  int64_t alive_checked_ms_ = -1;   // the last ping while an answer was due
  bool silence_reported_ = false;
  int64_t silent_at_ms_ = -1;
  int64_t alive_check_at_ms_ = -1;
};

// An open connection that carries nothing from the server is asked whether it is alive
// (Transport::CheckAlive) after interval_ms, and again every interval_ms while the silence
// lasts. A voice session sends audio all the time, but only what comes back shows the link
// works; the ping's answer does, even from a server with nothing to say.
class KeepAlive {
 public:
  explicit KeepAlive(int interval_ms) : interval_ms_(interval_ms) {}

  // The connection opened: the silence counts from now.
  void Start(int64_t now_ms) { next_ping_ms_ = now_ms + interval_ms_; }
  // It is gone, or about to be replaced: nothing to keep alive.
  void Stop() { next_ping_ms_ = -1; }
  // A message from the server, or a ping of the watchdog's (whose answer is checked as this
  // one's would be).
  void PutOff(int64_t now_ms) {
    if (next_ping_ms_ >= 0) next_ping_ms_ = now_ms + interval_ms_;
  }
  // Whether a ping is due now; if so, the next one falls interval_ms later.
  bool Due(int64_t now_ms);
  int64_t NextDeadlineMs() const { return next_ping_ms_; }

 private:
  const int interval_ms_;
  int64_t next_ping_ms_ = -1;  // -1: no connection is open
};

// Reconnecting: when to try again after a loss, and when a session counts as progress (after
// which the tries start over). A session counts once an answer has completed on it or it has
// stayed up kSteadySessionMs; session.created alone is not progress: a server could send it and
// drop the connection, again and again.
class Reconnector {
 public:
  static constexpr int64_t kSteadySessionMs = 60000;

  // tries: how many tries after a loss (0: never); random: uniform in [0, 1), for the jitter.
  Reconnector(int tries, std::function<double()> random) : backoff_(tries, std::move(random)) {}

  // A session began (session.created answered) with answers_so_far answers completed.
  void SessionBegan(int64_t now_ms, uint64_t answers_so_far);
  // The session that is ending: whether it got anywhere, in which case the tries start over.
  // Asked once per session; false when no session is on.
  bool SessionEnded(int64_t now_ms, uint64_t answers_so_far);
  // The wait before the next try, or -1 once the tries are used up.
  int64_t NextDelayMs() { return backoff_.NextDelayMs(); }
  // "... in 0.5 s (try 1 of 5)"
  std::string DescribeTry(int64_t delay_ms) const;
  std::string DescribeGivingUp() const;

  // The next try, once scheduled.
  Deadline& retry() { return retry_; }
  const Deadline& retry() const { return retry_; }
  int64_t session_since_ms() const { return session_since_ms_; }

 private:
  Backoff backoff_;
  Deadline retry_;
  int64_t session_since_ms_ = -1;  // -1 while there is no session
  uint64_t answers_at_session_ = 0;
};

// Sessions end after 60 minutes: they are renewed at a quiet moment after renew_session_s
// (0: only when the server ends them).
class Renewal {
 public:
  explicit Renewal(int renew_session_s) : renew_after_ms_(renew_session_s * int64_t{1000}) {}
  // When the session that began at session_since_ms is due for renewal; -1: never.
  int64_t DueAtMs(int64_t session_since_ms) const {
    return renew_after_ms_ > 0 && session_since_ms >= 0 ? session_since_ms + renew_after_ms_ : -1;
  }

 private:
  const int64_t renew_after_ms_;
};

}  // namespace voxterm
