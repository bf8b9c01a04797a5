// Transport: one WebSocket carrying JSON text messages both ways.
// Abstract so it can be mocked out for tests: the conversation logic is tested against a fake
// that records what was sent and injects what the server says (tests/fakes/fake_transport.h).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "transport/url.h"
#include "util/message_sink.h"
#include "util/status.h"

namespace voxterm {

class LatencySeries;

struct ConnectOptions {
  Url url;
  // Extra handshake headers (name without colon, value). Values may be secrets: a transport
  // never logs them.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string ca_file;                   // empty: the system store only
  size_t max_message_bytes = 16u << 20;  // larger incoming messages are dropped
  // From the start of the connection to the open WebSocket (TCP, TLS and the upgrade): a
  // server that never answers, or answers a byte at a time, fails with kTimeout.
  int handshake_timeout_s = 15;
  // --stats: how long each message waited to be written. Written by the network thread; one
  // transport at a time, so read it only once the last one is gone.
  LatencySeries* send_queue = nullptr;
};

enum class ConnectFailure { kResolve, kRefused, kTls, kHttp, kTimeout, kOther };

// What happens on the connection. Called on the transport's own thread; implementations hand
// work to their own threads and return quickly. Each connection ends with exactly one of
// OnConnectFailed, OnClosed or OnProtocolError; OnOpen, if it comes, comes before the last two.
// After Close() the last word is OnClosed even if the connection never opened.
class TransportListener {
 public:
  virtual ~TransportListener() = default;
  virtual void OnOpen() = 0;
  // A whole text message, reassembled. Returns false when the receiver holds too much already
  // (backpressure): the transport then stops reading the socket, so that the server's sends
  // back up in TCP instead of in memory, until Transport::ResumeReceiving().
  virtual bool OnMessage(std::string message) = 0;
  // The messages given since the last call are all the connection has ready (the transport is
  // about to wait for the network), or the first of them has waited a millisecond while more
  // kept coming. A listener that hands messages on in batches hands them on now. Never called
  // when no message came in between.
  virtual void OnBurstEnd() {}
  // reason is one line for the user; http_status is set for kHttp, and error_code then holds
  // the "code" of the server's JSON error body, if it had one ("insufficient_quota").
  virtual void OnConnectFailed(ConnectFailure kind, int http_status, std::string reason,
                               std::string error_code) = 0;
  // code is the peer's close code, 1000 after our own Close(), 1006 when the link just died.
  virtual void OnClosed(int code, std::string reason) = 0;
  // The server sent what RFC 6455 forbids (a reserved opcode, a fragmented control frame...),
  // and the connection was dropped; reason says what, in the library's words.
  virtual void OnProtocolError(std::string reason) = 0;
};

// Conversations only ever send (util/message_sink.h): the connection itself (its start, close and
// liveness) is the session loop's, through the Link.
class Transport : public MessageSink {
 public:
  // Starts connecting. REQUIRES: called once; listener outlives the transport.
  virtual Status Start(const ConnectOptions& options, TransportListener* listener) = 0;
  // MessageSink::Send, from any thread.
  // Sends what is queued, then closes with 1000. Any thread.
  virtual void Close() = 0;
  // Makes sure the open connection still carries traffic: a ping, and unless something arrives
  // (its pong, or any message) within answer_within_s seconds, the connection counts as lost
  // (OnClosed 1006, with the reason). A deadline already running stands if it is sooner. While
  // reading is paused nothing is expected: the server is known to be sending. For an idle
  // connection, and for a silent server when an answer is due. Any thread.
  virtual void CheckAlive(int answer_within_s) = 0;
  // Reading stopped because OnMessage returned false: read again. Any thread; nothing happens
  // when reading never stopped (transports that never stop need not implement it).
  virtual void ResumeReceiving() {}
};

}  // namespace voxterm
