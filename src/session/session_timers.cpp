#include "session/session_timers.h"

#include <algorithm>
#include <cstdio>

namespace voxterm {

int64_t Earliest(std::initializer_list<int64_t> deadlines_ms) {
  int64_t earliest = -1;
  for (int64_t at : deadlines_ms) {
    if (at >= 0 && (earliest < 0 || at < earliest)) earliest = at;
  }
  return earliest;
}

void AnswerWatchdog::OnServerEvent(int64_t now_ms) {
  last_event_ms_ = now_ms;
  silence_reported_ = false;
}

AnswerWatchdog::Due AnswerWatchdog::Update(int64_t now_ms, bool awaiting) {
  silent_at_ms_ = -1;
  alive_check_at_ms_ = -1;
  Due due;
  if (!awaiting) {
    awaiting_since_ms_ = -1;
    return due;
  }
  if (awaiting_since_ms_ < 0) awaiting_since_ms_ = now_ms;
  const int64_t silent_since_ms = std::max(last_event_ms_, awaiting_since_ms_);
  if (answer_timeout_ms_ > 0 && !silence_reported_) {
    silent_at_ms_ = silent_since_ms + answer_timeout_ms_;
  }
  alive_check_at_ms_ = std::max(silent_since_ms, alive_checked_ms_) + kAliveCheckAfterMs;
  if (now_ms >= alive_check_at_ms_) {
    due.check_alive = true;
    alive_checked_ms_ = now_ms;
    alive_check_at_ms_ = now_ms + kAliveCheckAfterMs;
  }
  if (silent_at_ms_ >= 0 && now_ms >= silent_at_ms_) {
    due.silent = true;
    silence_reported_ = true;
    silent_at_ms_ = -1;
  }
  return due;
}

bool KeepAlive::Due(int64_t now_ms) {
  if (next_ping_ms_ < 0 || now_ms < next_ping_ms_) return false;
  next_ping_ms_ = now_ms + interval_ms_;
  return true;
}

void Reconnector::SessionBegan(int64_t now_ms, uint64_t answers_so_far) {
  session_since_ms_ = now_ms;
  answers_at_session_ = answers_so_far;
}

bool Reconnector::SessionEnded(int64_t now_ms, uint64_t answers_so_far) {
  const bool progressed =
      session_since_ms_ >= 0 &&
      (answers_so_far > answers_at_session_ || now_ms - session_since_ms_ >= kSteadySessionMs);
  session_since_ms_ = -1;
  if (progressed) backoff_.Reset();
  return progressed;
}

std::string Reconnector::DescribeTry(int64_t delay_ms) const {
  char when[64];
  snprintf(when, sizeof when, "%.1f s (try %d of %d)", delay_ms / 1000.0, backoff_.tries_made(),
           backoff_.tries());
  return when;
}

std::string Reconnector::DescribeGivingUp() const {
  return "gave up after " + std::to_string(backoff_.tries()) +
         (backoff_.tries() == 1 ? " try" : " tries") + " to reconnect";
}

}  // namespace voxterm
