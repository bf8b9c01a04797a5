// ResponseGate: the one place a response.create is sent from, in every mode.
//
// A Realtime session has one response at a time: a request made while one is active, or while
// ours is already out, waits, and requests that meet (a push-to-talk take and a tool call's
// follow-up) share one response.create. A request the server refuses because another response
// is active (conversation_already_has_active_response: its VAD started one first) is wanted
// again, to go once that response is done, kMaxBusyRefusals times in a row at most (a server that
// is busy without end is not asked without end). Each request has its own event_id, so an error can
// be matched to it. Across a lost connection, a request that was out is wanted again.
//
// The mode says when the server is free (ready, and no response active by its own account);
// the gate decides whether, and what, to send.
// Thread safety: main thread only.
#pragma once

#include <optional>
#include <string>

#include "protocol/client_protocol.h"
#include "protocol/server_events.h"

namespace voxterm {

class ResponseGate {
 public:
  // output: the modality every request asks for.
  ResponseGate(ClientProtocol* server, Modality output) : server_(server), output_(output) {}

  // An answer is wanted. instructions: its own (a continuation's), in place of the session's.
  void Want(std::string instructions = {});
  // Sends the wanted request, unless none is wanted or ours is already out; server_free: the
  // session is ready and no response is active. Returns whether it sent one.
  bool SendIfWanted(bool server_free);
  // response.created. Returns whether it answers our request (which is then no longer out).
  bool OnCreated();

  enum class Refusal { kNotOurs, kBusy, kRefused };
  static constexpr int kMaxBusyRefusals = 8;
  // An error event: whether it refuses our last request, and why. kBusy: it is wanted again,
  // with its own instructions; busy once more than kMaxBusyRefusals times since a response
  // began, it is kRefused.
  Refusal OnError(const ErrorInfo& error);
  // The connection is gone: a request that was out is wanted again.
  void OnDisconnected();

  bool wanted() const { return wanted_; }
  // Sent, and no response.created (or refusal) for it yet.
  bool requested() const { return requested_; }

 private:
  ClientProtocol* const server_;
  const Modality output_;
  bool wanted_ = false;
  bool requested_ = false;
  std::string instructions_;       // the wanted request's own
  std::string sent_instructions_;  // the last request's, for its retry
  std::string event_id_;           // of the last request sent
  int sent_ = 0;
  int busy_ = 0;  // busy refusals in a row, since the last response.created
};

}  // namespace voxterm
