// MessageSink: where outgoing messages go, one text message at a time. The transport is one
// (transport/transport.h); the protocol's clients write to one (protocol/client_protocol.h), so
// neither depends on the other.
#pragma once

#include <string>

namespace voxterm {

class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // Queues a text message; sent in order once the connection is open.
  virtual void Send(std::string message) = 0;
};

}  // namespace voxterm
