// FakeTransport: records what the code under test sends, so tests assert on it (ninja's
// FakeCommandRunner::commands_ran_). Server events are injected by calling the code under test
// directly with parsed events (see ParsedEvent below), or, for code that owns the connection
// (the Link, the SessionLoop), through the listener, as a network thread would: Inject*().
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <string>
#include <vector>

#include "protocol/server_events.h"
#include "transport/transport.h"

namespace voxterm {

class FakeTransport : public Transport {
 public:
  Status Start(const ConnectOptions& options, TransportListener* listener) override {
    options_ = options;
    listener_ = listener;
    return start_result;
  }
  void Send(std::string message) override { sent.push_back(std::move(message)); }
  void Close() override { closed = true; }
  void CheckAlive(int answer_within_s) override {
    ++alive_checks;
    alive_check_patience_s.push_back(answer_within_s);
  }
  void ResumeReceiving() override { ++resumes; }

  // The connection's side of the server, as the network thread reports it.
  void InjectOpen() { listener_->OnOpen(); }
  // A message alone in its burst (a server that sends one event at a time). False: the listener
  // asks the connection to stop reading (backpressure).
  bool InjectMessage(std::string json) {
    const bool more = listener_->OnMessage(std::move(json));
    listener_->OnBurstEnd();
    return more;
  }
  // Messages read in one go, as a network thread finds them when the server sends faster than
  // the client reads; InjectBurstEnd() ends the burst. Returns what OnMessage returned.
  bool InjectInBurst(std::string json) { return listener_->OnMessage(std::move(json)); }
  void InjectBurstEnd() { listener_->OnBurstEnd(); }
  void InjectClose(int code, std::string reason = "") {
    listener_->OnClosed(code, std::move(reason));
  }
  void InjectFailure(int http_status, std::string reason, std::string error_code = "") {
    listener_->OnConnectFailed(http_status > 0 ? ConnectFailure::kHttp : ConnectFailure::kRefused,
                               http_status, std::move(reason), std::move(error_code));
  }
  void InjectProtocolError(std::string reason) { listener_->OnProtocolError(std::move(reason)); }

  // The "type" of every sent message, in order.
  std::vector<std::string> SentTypes() const {
    std::vector<std::string> types;
    for (const std::string& m : sent) {
      rapidjson::Document doc;
      doc.Parse(m.data(), m.size());
      types.push_back(doc.IsObject() && doc.HasMember("type") ? doc["type"].GetString() : "?");
    }
    return types;
  }

  Status start_result = Status::Ok();  // what Start returns
  std::vector<std::string> sent;
  bool closed = false;
  int alive_checks = 0;
  std::vector<int> alive_check_patience_s;  // each CheckAlive's answer_within_s
  int resumes = 0;

 private:
  ConnectOptions options_;
  TransportListener* listener_ = nullptr;
};

// What a sent message holds at a JSON Pointer, as text: a string as it is, an integer, a bool
// ("true"/"false"), "null", "[N]" for an array of N, "<missing>", "<other>" for an object or a
// fraction, "<not JSON>" for a message that does not parse. Parsed with its length, never as a
// C string (RapidJSON's SSE2 scan reads past the end).
inline std::string SentField(const std::string& message, const char* pointer) {
  rapidjson::Document doc;
  doc.Parse(message.data(), message.size());
  if (doc.HasParseError()) return "<not JSON>";
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(doc);
  if (!v) return "<missing>";
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  if (v->IsNull()) return "null";
  if (v->IsArray()) return "[" + std::to_string(v->Size()) + "]";
  return "<other>";
}

// A server event parsed from JSON text, owning the buffer its views point into.
class ParsedEvent {
 public:
  explicit ParsedEvent(std::string json) : buffer_(std::move(json)) {
    status_ok_ = ParseServerEvent(&buffer_, &event_).ok();
  }
  ParsedEvent(const ParsedEvent&) = delete;
  const ServerEvent& operator*() const { return event_; }
  const ServerEvent* operator->() const { return &event_; }
  bool ok() const { return status_ok_; }

 private:
  std::string buffer_;
  ServerEvent event_;
  bool status_ok_ = false;
};

}  // namespace voxterm
