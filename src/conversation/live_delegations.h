// LiveDelegations: GPT-Live's delegations (../shared/protocol/LIVE.md sections 4 and 5c), each
// answered, and once.
//
// A delegation is the model handing a task on. Its target says to whom:
// - "client" (a session without tools): voxterm has nothing to carry tasks out with, so each
//   delegation is answered at once with words for the model to say (AnswerDelegation), and the
//   model never waits. A delegation announced again (the same id) is not answered again.
// - "responses" (tools declared: Responses delegation): the service runs the backend, whose
//   Responses events arrive in response.event envelopes. Its function_call items are made into
//   the Realtime-shaped events ToolCalls reads (output items carry no response id in Responses:
//   the delegation's current response lends its own), so the calls run exactly as the Realtime
//   model's would, and each output goes back through the ClientProtocol; the backend's text is
//   the voice's to speak, and is not shown here.
// Ids are the connection's: a new connection starts with none remembered.
// Thread safety: main thread only.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <utility>

#include "protocol/client_protocol.h"
#include "protocol/server_events.h"

namespace voxterm {

class ToolCalls;

class LiveDelegations {
 public:
  // What the model is told when voxterm cannot carry out its task.
  static constexpr const char* kRefusal =
      "The client cannot carry out tasks in this session. Tell the user briefly that you cannot "
      "do that here, and go on with the conversation.";

  // server must outlive this; tools too, unless null (no tool runner: calls go unanswered by
  // it, and the service's backend is never asked for them).
  LiveDelegations(ClientProtocol* server, ToolCalls* tools) : server_(server), tools_(tools) {}

  void OnDelegation(const ServerEvent& event);
  // A response.event (kBackendEvent).
  void OnBackendEvent(const ServerEvent& event);
  void OnDisconnected();

 private:
  static constexpr size_t kRemembered = 64;

  ClientProtocol* const server_;
  ToolCalls* const tools_;
  std::deque<std::string> answered_;  // client delegations answered, newest at the back
  // Each delegation's backend response now streaming: (delegation id, response id).
  std::deque<std::pair<std::string, std::string>> streaming_;
  bool warned_unasked_ = false;
};

}  // namespace voxterm
