// ConversationCore: the rules of a conversation's sessions that every mode shares, written once.
//
// A session is set up when the server announces it (session.created): the settings first; after
// a lost connection, the conversation so far (History, each item with its id), then the tool
// outputs the server never got (ToolCalls), in that order, before the mode sends what was in
// flight. A typed line the new session lacks is sent again, unless History shows the server had
// it. Every server event reaches the history and the tool calls before the mode's own handling,
// and every response.create goes through the one ResponseGate.
// Thread safety: main thread only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conversation/history.h"
#include "conversation/response_gate.h"
#include "conversation/tool_calls.h"
#include "protocol/client_protocol.h"
#include "protocol/server_events.h"
#include "util/status.h"

namespace voxterm {

class ConversationCore {
 public:
  // output: the modality the mode's answers are asked in. tools, history: null for none; they,
  // and server, must outlive this.
  ConversationCore(SessionSettings settings, Modality output, ClientProtocol* server,
                   ToolCalls* tools, History* history)
      : settings_(std::move(settings)),
        server_(server),
        tools_(tools),
        history_(history),
        requests_(server, output) {}

  enum class Start { kAgain, kFirst, kResumed };
  // session.created: sets the session up. kAgain: it was set up already (a server that
  // announces a session twice), and nothing was sent.
  Start OnSessionCreated();
  // The connection is gone: what the server had not finished is settled, and a request that was
  // out is wanted again. False when no session was set up on it.
  bool OnDisconnected();
  // Every server event, before the mode handles it.
  void Record(const ServerEvent& event);
  enum class Line { kToolAnswer, kBlank, kTurn };
  // A typed line: the answer to a tool's y/N question when one waits (given to ToolCalls),
  // nothing when blank, else a turn for the mode, without the '\r' a raw terminal may leave.
  Line OnUserLine(std::string* line);
  // A typed line (and its images, if any), again in a resumed session, unless the server had
  // it. Returns whether sent.
  bool ResendLine(std::string_view line, const std::vector<InputImage>& images,
                  std::string_view event_id, std::string_view item_id);

  // /voice and /instructions: the new value is kept, so every later session.update (a reconnect's,
  // a renewal's) carries it, and a session that is up gets it at once, in a session.update of
  // its own that holds only that field (PROTOCOL.md: "only the fields present are changed"), so
  // a refusal leaves the rest of the session as it was.
  // The API keeps a session's voice once the model has answered with audio (the schema's
  // session.update: "any field, except for voice"; the server's error is cannot_update_voice):
  // ChangeVoice then refuses, saying so, and keeps nothing.
  Status ChangeVoice(std::string voice);
  void ChangeInstructions(std::string instructions);
  // The declared tools changed (an MCP server's list): sent at once, as a session.update with
  // the whole list, or with the next session.created.
  void ChangeTools(std::vector<ToolSpec> tools);
  // An error about the voice (cannot_update_voice: audio was on its way when the change went
  // out; or a name the server does not know): the voice before the change is kept again, so
  // that no later session.update carries one the server refuses. Returns the words for the
  // user; empty when the error is not about the voice.
  std::string OnVoiceRefused(const ErrorInfo& error);

  bool ready() const { return ready_; }
  // The model has answered with audio in this session: its voice can no longer change.
  bool voice_locked() const { return voice_locked_; }
  // A session came before this one: it is (or will be) resumed.
  bool resumed() const { return resumed_; }
  const SessionSettings& settings() const { return settings_; }
  ResponseGate& requests() { return requests_; }
  const ResponseGate& requests() const { return requests_; }

 private:
  SessionSettings settings_;  // as changed by ChangeVoice and ChangeInstructions
  ClientProtocol* const server_;
  ToolCalls* const tools_;
  History* const history_;
  ResponseGate requests_;
  bool ready_ = false;
  bool resumed_ = false;
  bool voice_locked_ = false;  // this session's model has sent audio
  // The voice before the last change sent, until the server refuses it or the session ends.
  std::optional<std::string> voice_before_;
};

}  // namespace voxterm
