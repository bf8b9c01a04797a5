// Link: the connection to the server as the run loop sees it: one WebSocket after another.
// Each attempt gets a fresh LwsTransport (a transport is good for one connection), and the
// events it sends carry the attempt's number, so a late word from an old connection is never
// taken for the new one's.
// Thread safety: main thread only, but for the listeners, which the network threads call and
// which only push into the queue.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "transport/transport.h"
#include "util/wakeup_queue.h"

namespace voxterm {

// What a network thread tells the main thread.
struct NetEvent {
  enum class Kind { kOpen, kMessage, kFailed, kClosed, kProtocolError };
  Kind kind;
  std::string text;    // the message, or the reason for kFailed / kClosed / kProtocolError
  int code = 0;        // the close code, or the HTTP status of a refused upgrade
  int attempt = 0;     // which connection it came from
  int64_t received_ns = 0;  // kMessage: when the network thread had all of it (MonotonicNs)
};

class Link {
 public:
  // make: a new, unstarted transport for each attempt (LwsTransport; a fake in tests).
  Link(ConnectOptions options, WakeupQueue<NetEvent>* queue, std::function<std::unique_ptr<Transport>()> make);
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
  void CheckAlive();  // Transport::CheckAlive on the current connection, if any

 private:
  class Listener;

  const ConnectOptions options_;
  WakeupQueue<NetEvent>* const queue_;
  const std::function<std::unique_ptr<Transport>()> make_;
  int attempt_ = 0;
  std::unique_ptr<Listener> listener_;    // outlives transport_
  std::unique_ptr<Transport> transport_;
};

}  // namespace voxterm
