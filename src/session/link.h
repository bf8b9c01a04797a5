// Link: the connection to the server as the run loop sees it: one WebSocket after another.
// Each attempt gets a fresh LwsTransport (a transport is good for one connection), and the
// events it sends carry the attempt's number, so a late word from an old connection is never
// taken for the new one's.
// Backpressure: the bytes of messages pushed by a network thread and not yet Consumed() by the
// main thread are bounded. Past kHighWaterBytes the connection stops reading its socket (the
// server's sends then wait in TCP, not in our memory) until the main thread has consumed all but
// kLowWaterBytes; a main thread blocked on a full stdout pipe thus holds the network back.
// Batches, network to main: a listener holds the messages of a burst (what the connection had
// ready at once) and hands them on together, one wake-up of the main thread for all of them, at
// the burst's end (TransportListener::OnBurstEnd), or sooner once they reach kBatchBytes or
// the first has waited kBatchHoldNs, so that the main thread starts on a long burst while the
// rest is read. Nothing waits for a timer: a message alone in its burst goes on at once.
// Thread safety: main thread only, but for the listeners, which the network threads call and
// which only push into the queue and count into backlog_.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "transport/transport.h"
#include "util/clock.h"
#include "util/wakeup_queue.h"

namespace voxterm {

// What a network thread tells the main thread.
struct NetEvent {
  enum class Kind { kOpen, kMessage, kFailed, kClosed, kProtocolError };
  Kind kind;
  std::string text;          // the message, or the reason for kFailed / kClosed / kProtocolError
  int code = 0;              // the close code, or the HTTP status of a refused upgrade
  int attempt = 0;           // which connection it came from
  int64_t received_ns = 0;   // kMessage: when the network thread had all of it (MonotonicNs)
  std::string error_code{};  // kFailed: the code in the body of a refused upgrade, if any
};

class Link {
 public:
  // Far above what a healthy conversation has waiting (audio deltas come a few tens of KB at a
  // time, and the main thread takes them within milliseconds; 8 MiB is over a minute of
  // 24 kHz audio in base64), yet a bounded cost. Fixed rather than a multiple of
  // max_message_bytes: one message larger than the mark still gets through (the check comes
  // after it is queued), so the mark need not hold the largest message.
  static constexpr size_t kHighWaterBytes = 8u << 20;
  static constexpr size_t kLowWaterBytes = 2u << 20;
  // A batch's bounds: about a millisecond of libwebsockets' parsing either way.
  static constexpr size_t kBatchBytes = 64u << 10;
  static constexpr int64_t kBatchHoldNs = 1000000;

  // make: a new, unstarted transport for each attempt (LwsTransport; a fake in tests).
  // now_ns: the clock that stamps messages and times batches (a fake in tests); called on the
  // network threads.
  Link(ConnectOptions options, WakeupQueue<NetEvent>* queue,
       std::function<std::unique_ptr<Transport>()> make,
       std::function<int64_t()> now_ns = MonotonicNs);
  ~Link();

  // Starts a new connection; the previous one, if any, is closed and forgotten.
  void Connect();
  // Forgets the current connection (closing it if it is still open).
  void Drop();
  // Whether an event belongs to the current connection.
  bool Current(const NetEvent& event) const { return transport_ && event.attempt == attempt_; }
  // There is a connection, open or opening.
  bool active() const { return transport_ != nullptr; }

  // To the current connection; with none, the message is dropped (a conversation sends nothing
  // between a loss and the next session).
  void Send(std::string message);
  void Close();
  // Transport::CheckAlive on the current connection, if any.
  void CheckAlive(int answer_within_s);
  // The main thread has taken event out of the queue (before handling it): its bytes stop
  // counting, and a paused connection reads again once the backlog is down to kLowWaterBytes.
  // Every event drained must be passed here, even one from a connection given up.
  void Consumed(const NetEvent& event);

 private:
  class Listener;
  // What the network threads have queued for the main thread and it has not consumed yet.
  struct Backlog {
    std::mutex mu;
    size_t bytes = 0;     // GUARDED_BY(mu)
    bool paused = false;  // GUARDED_BY(mu): the current connection stopped reading
  };
  static size_t Charge(const std::string& text);

  const ConnectOptions options_;
  WakeupQueue<NetEvent>* const queue_;
  const std::function<std::unique_ptr<Transport>()> make_;
  const std::function<int64_t()> now_ns_;
  int attempt_ = 0;
  Backlog backlog_;                     // outlives listener_
  std::unique_ptr<Listener> listener_;  // outlives transport_
  std::unique_ptr<Transport> transport_;
};

}  // namespace voxterm
