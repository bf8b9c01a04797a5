// LwsTransport: the Transport on libwebsockets.
// Thread safety: one network thread, started by Start(), is the only caller of libwebsockets;
// Send() and Close() queue work and wake it with lws_cancel_service(), the one lws call that is
// safe from another thread. The destructor closes and joins.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "transport/transport.h"
#include "util/log.h"

struct lws;
struct lws_context;
struct lws_retry_bo;
struct lws_sorted_usec_list;

namespace voxterm {

class LwsTransport final : public Transport {
 public:
  LwsTransport();
  ~LwsTransport() override;
  LwsTransport(const LwsTransport&) = delete;
  LwsTransport& operator=(const LwsTransport&) = delete;

  Status Start(const ConnectOptions& options, TransportListener* listener) override;
  void Send(std::string message) override;
  void Close() override;
  void CheckAlive(int answer_within_s) override;
  void ResumeReceiving() override;

  // The static trampoline libwebsockets calls; public only for the protocol table.
  static int Callback(lws* wsi, int reason, void* user, void* in, size_t len);

 private:
  void Run();  // the network thread
  // The WebSocket itself, or a plain GET with the same headers to read why an upgrade was refused.
  enum class Request { kWebSocket, kErrorProbe };
  bool Connect(Request request);
  int OnWsEvent(lws* wsi, int reason, void* in, size_t len);
  int OnProbeEvent(lws* wsi, int reason, void* in, size_t len);
  void OnReceive(lws* wsi, const void* in, size_t len);
  bool MoreReady(lws_context* context);
  int OnWriteable(lws* wsi);
  struct Outgoing {
    std::string message;
    int64_t queued_ns = 0;  // for ConnectOptions::send_queue
  };
  int WritePing(lws* wsi, int answer_within_s);
  int WriteText(lws* wsi, const Outgoing& outgoing);
  void OnConnectionError(lws* wsi, const char* lws_reason);
  void FinishProbe();
  void Fail(ConnectFailure kind, int http_status, std::string reason, std::string error_code = "");
  void Wake();
  // A timer on the network thread (an lws_sul): the handshake's deadline, a ping's.
  struct Timer;
  static void OnTimer(lws_sorted_usec_list* sul);
  void Schedule(Timer* timer, int seconds);
  void OnHandshakeTimeout();
  void OnPongTimeout();

  ConnectOptions options_;                 // immutable after Start()
  TransportListener* listener_ = nullptr;  // immutable after Start()
  // lws's own idle checks, turned off (the session loop keeps the connection alive);
  // immutable after Start().
  std::unique_ptr<lws_retry_bo> retry_;
  std::thread thread_;

  std::mutex mu_;
  lws_context* context_ = nullptr;  // GUARDED_BY(mu_): set and cleared by the network thread
  std::deque<Outgoing> outbox_;     // GUARDED_BY(mu_)
  bool close_requested_ = false;    // GUARDED_BY(mu_)
  // CheckAlive() asked for a ping, answered within this many seconds (the shortest asked since
  // the last ping went out); 0: none asked.
  int ping_within_s_ = 0;          // GUARDED_BY(mu_)
  bool resume_requested_ = false;  // GUARDED_BY(mu_)
  std::atomic<bool> stop_{false};  // ends the service loop

  // --- network thread only
  lws* wsi_ = nullptr;
  lws* probe_wsi_ = nullptr;
  bool open_ = false;
  bool finished_ = false;  // the listener has had its last word
  std::string rx_;         // the message being reassembled
  bool rx_binary_ = false;
  size_t rx_bytes_ = 0;  // including what was dropped for size
  LogThrottle skipped_lines_{LogLevel::kWarn, "binary or oversized messages skipped"};
  std::vector<unsigned char> tx_;
  int close_code_ = 1006;
  std::string close_reason_;
  int probe_status_ = 0;
  std::string probe_body_;
  bool request_sent_ = false;  // the upgrade request went out: the server has the next word
  bool awaiting_pong_ = false;
  int pong_within_s_ = 0;         // the ping's patience, for the reason given when it runs out
  int64_t pong_deadline_us_ = 0;  // lws_now_usecs() by which something must arrive
  // The listener refused more (OnMessage returned false): lws_rx_flow_control(wsi_, 0) until
  // ResumeReceiving(). The server is then known to be sending; the pause is ours.
  bool rx_paused_ = false;
  bool received_ = false;          // messages went to the listener since its last OnBurstEnd()
  int64_t first_received_ns_ = 0;  // the first of them (MonotonicNs)
  std::unique_ptr<Timer> handshake_timer_;
  std::unique_ptr<Timer> pong_timer_;
};

}  // namespace voxterm
