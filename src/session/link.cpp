#include "session/link.h"

#include <vector>

#include "util/log.h"

namespace voxterm {

// Runs on the network thread: it only moves messages into the main thread's queue, a batch at
// a time. Parsing happens on the main thread, where the events are used.
class Link::Listener : public TransportListener {
 public:
  Listener(WakeupQueue<NetEvent>* queue, Backlog* backlog, int attempt,
           const std::function<int64_t()>* now_ns)
      : queue_(queue), backlog_(backlog), attempt_(attempt), now_ns_(now_ns) {}
  // What is still held goes to the queue even now (the main thread, once the transport is
  // joined): its bytes count in the backlog until Consumed().
  ~Listener() override { queue_->PushAll(&batch_); }

  void OnOpen() override { HandOn({NetEvent::Kind::kOpen, {}, 0, attempt_}); }
  // Counted before it is queued, so that Consumed() never takes away what was not yet added.
  bool OnMessage(std::string message) override {
    bool more;
    {
      std::lock_guard<std::mutex> lock(backlog_->mu);
      backlog_->bytes += Charge(message);
      more = backlog_->bytes <= kHighWaterBytes;
      if (!more) backlog_->paused = true;
    }
    batch_bytes_ += message.size();
    batch_.push_back({NetEvent::Kind::kMessage, std::move(message), 0, attempt_, (*now_ns_)()});
    // Reading stops when the main thread has too much: what is held goes now, not at a burst's
    // end that a paused connection would not reach.
    if (!more || batch_bytes_ >= kBatchBytes ||
        batch_.back().received_ns - batch_.front().received_ns >= kBatchHoldNs) {
      Flush();
    }
    return more;
  }
  void OnBurstEnd() override { Flush(); }
  void OnConnectFailed(ConnectFailure, int http_status, std::string reason,
                       std::string error_code) override {
    HandOn({NetEvent::Kind::kFailed, std::move(reason), http_status, attempt_, 0,
            std::move(error_code)});
  }
  void OnClosed(int code, std::string reason) override {
    HandOn({NetEvent::Kind::kClosed, std::move(reason), code, attempt_});
  }
  void OnProtocolError(std::string reason) override {
    HandOn({NetEvent::Kind::kProtocolError, std::move(reason), 0, attempt_});
  }

 private:
  // The connection's own events go behind the messages held, at once.
  void HandOn(NetEvent event) {
    batch_.push_back(std::move(event));
    Flush();
  }
  void Flush() {
    queue_->PushAll(&batch_);
    batch_bytes_ = 0;
  }

  WakeupQueue<NetEvent>* const queue_;
  Backlog* const backlog_;
  const int attempt_;
  const std::function<int64_t()>* const now_ns_;  // the Link's, which outlives this
  // --- the network thread only (and the destructor, once it is gone)
  std::vector<NetEvent> batch_;
  size_t batch_bytes_ = 0;
};

// The string's bytes and the event around them.
size_t Link::Charge(const std::string& text) { return text.size() + sizeof(NetEvent); }

Link::Link(ConnectOptions options, WakeupQueue<NetEvent>* queue,
           std::function<std::unique_ptr<Transport>()> make, std::function<int64_t()> now_ns)
    : options_(std::move(options)),
      queue_(queue),
      make_(std::move(make)),
      now_ns_(std::move(now_ns)) {}

Link::~Link() { Drop(); }

void Link::Connect() {
  Drop();
  listener_ = std::make_unique<Listener>(queue_, &backlog_, ++attempt_, &now_ns_);
  transport_ = make_();
  Status started = transport_->Start(options_, listener_.get());
  if (!started.ok()) listener_->OnConnectFailed(ConnectFailure::kOther, 0, started.message(), "");
}

void Link::Drop() {
  transport_.reset();  // closes and joins its thread
  listener_.reset();
  // Its events may still be queued and count, but the next connection starts reading.
  std::lock_guard<std::mutex> lock(backlog_.mu);
  backlog_.paused = false;
}

void Link::Consumed(const NetEvent& event) {
  if (event.kind != NetEvent::Kind::kMessage) return;
  bool resume = false;
  {
    std::lock_guard<std::mutex> lock(backlog_.mu);
    backlog_.bytes -= Charge(event.text);
    if (backlog_.paused && backlog_.bytes <= kLowWaterBytes) {
      backlog_.paused = false;
      resume = true;
    }
  }
  if (resume && transport_) transport_->ResumeReceiving();
}

void Link::Send(std::string message) {
  if (transport_) {
    transport_->Send(std::move(message));
  } else {
    LOG_DEBUG("dropped a message sent with no connection");
  }
}

void Link::Close() {
  if (transport_) transport_->Close();
}

void Link::CheckAlive(int answer_within_s) {
  if (transport_) transport_->CheckAlive(answer_within_s);
}

}  // namespace voxterm
