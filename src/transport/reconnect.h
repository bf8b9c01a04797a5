// When a lost connection is worth another try, and when to make it.
// Thread safety: pure functions; a Backoff belongs to one thread.
#pragma once

#include <cstdint>
#include <functional>

namespace voxterm {

// Close codes that say "try again": going away (also the end of a session's time), abnormal
// closure (a reset, a ping that got no answer), internal error, service restart, try again later.
// Also 1002, which is what libwebsockets 4.1 reports for a 1012 or 1013 (kCloseMaybeRewritten).
bool IsTransientClose(int code);

// libwebsockets 4.1's client parser (lib/roles/ws/client-parser-ws.c, LWSWSOPC_CLOSE) checks a
// server's close code against RFC 6455's first registry, which ended at 1011: 1012 to 1015,
// 1016 to 2999, 1004 to 1006 and codes below 1000 are overwritten in place with 1002 (protocol
// error) before LWS_CALLBACK_WS_PEER_INITIATED_CLOSE sees them, the reason text kept. Nothing
// keeps the original bytes, so a 1002 from the server may be a restart, and is retried: a real
// protocol error costs `reconnect_tries` tries before exit 3, where a restart taken for an error
// would end a run that could have gone on.
constexpr int kCloseMaybeRewritten = 1002;

// Exponential backoff with jitter: 0.5 s, 1 s, 2 s, 4 s, then 6.4 s, each up to a quarter longer
// at random (so that clients cut off together do not come back together, also once the waits
// stop growing), never over 8 s.
class Backoff {
 public:
  static constexpr int64_t kFirstDelayMs = 500;
  static constexpr int64_t kMaxDelayMs = 8000;

  // tries: how many attempts after a loss; random: uniform in [0, 1), injected for tests.
  Backoff(int tries, std::function<double()> random);

  // The wait before the next try, or -1 once the tries are used up.
  int64_t NextDelayMs();
  // A connection worked: the next loss starts again from the first delay.
  void Reset() { made_ = 0; }
  int tries_made() const { return made_; }
  int tries() const { return tries_; }

 private:
  const int tries_;
  const std::function<double()> random_;
  int made_ = 0;
};

}  // namespace voxterm
