// ClientProtocol: what a conversation asks of the server, in the conversation's words. An
// implementation turns each request into its API's events and hands them to a MessageSink:
// RealtimeClient (protocol/realtime_client.h) for the Realtime API in either dialect. The
// conversations never build an event themselves, so a second API (GPT-Live,
// ../shared/protocol/LIVE.md) is a second implementation of this, with its own parser for what
// the server sends (SessionLoopOptions::parse), and not a branch in every mode.
//
// Ids: an event_id is chosen by the caller so that an error the server sends about the event can
// be matched to it; an item_id, chosen by the caller, names the item the request creates (a
// replayed item keeps the id it had, so its echo is known for what it is: conversation/history.h).
// Empty leaves the choice to the server.
// Thread safety: main thread only, like the conversations that use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "protocol/client_events.h"

namespace voxterm {

class ClientProtocol {
 public:
  virtual ~ClientProtocol() = default;

  // The session's settings: voice, instructions, turn detection, tools...
  virtual void ConfigureSession(const SessionSettings& settings) = 0;

  // The microphone: 24 kHz PCM16 frames; a turn's end where the client decides turns (commit);
  // the buffered audio thrown away (clear).
  virtual void AppendAudio(const int16_t* samples, size_t count) = 0;
  virtual void CommitAudio() = 0;
  virtual void ClearAudio() = 0;

  // Push-to-talk: whether the model may hear the microphone now (a take) or not (between
  // takes). Realtime hears only what is appended, so nothing is sent; GPT-Live hears a stream
  // that never stops, and mutes it (session.input_audio.mute / unmute).
  virtual void MuteInput(bool) {}

  // Items of the conversation. complete false marks an assistant message that was cut off.
  virtual void AddUserText(std::string_view text, std::string_view event_id,
                           std::string_view item_id) = 0;
  // A user message of text (which may be empty) and images, in one item. Only the Realtime
  // API's GA dialect takes images (app/api_select.h refuses them elsewhere before anything is
  // sent); an API without them sends the text alone, and says so.
  virtual void AddUserImages(std::string_view text, const std::vector<InputImage>& images,
                             std::string_view event_id, std::string_view item_id) = 0;
  virtual void AddAssistantText(std::string_view text, std::string_view item_id, bool complete) = 0;
  virtual void AddFunctionCall(std::string_view call_id, std::string_view name,
                               std::string_view arguments_json, std::string_view item_id) = 0;
  virtual void AddToolOutput(std::string_view call_id, std::string_view output,
                             std::string_view item_id) = 0;

  // The user's yes or no to a hosted MCP server's approval request (an mcp_approval_request
  // item); reason tells the model why, or is empty. An API without hosted MCP servers never
  // asks, and sends nothing.
  virtual void AnswerMcpApproval(std::string_view /*request_id*/, bool /*approve*/,
                                 std::string_view /*reason*/, std::string_view /*item_id*/) {}

  // Asks for an answer. output: the modality to ask for; nullopt keeps the session's.
  // instructions: this answer's own, in place of the session's; empty keeps the session's.
  virtual void RequestAnswer(std::optional<Modality> output, std::string_view event_id,
                             std::string_view instructions) = 0;
  // Stops the answer being generated.
  virtual void CancelAnswer() = 0;
  // The user heard item_id only up to audio_end_ms: the server forgets the rest.
  virtual void TruncateAnswer(std::string_view item_id, int64_t audio_end_ms) = 0;

  // GPT-Live's client delegation (session.delegation.created): the model handed the client a
  // task and waits for its result; words are what the model is to say about it. An API without
  // delegation never asks, and sends nothing.
  virtual void AnswerDelegation(std::string_view delegation_id, std::string_view words) = 0;

  // GPT-Live's Responses delegation: the tool calls come from a backend the model hands tasks
  // to, not from the model's own responses. Each call belongs to the connection it came on (an
  // output never goes to another), and the backend goes on only once every pending call has its
  // output (AddToolOutput) and ContinueDelegation asks it to: interrupted or refused, a call is
  // still answered and the backend still continued, since nothing else ends its task.
  virtual bool tools_delegated() const { return false; }
  virtual void ContinueDelegation() {}

  // The API needs the microphone's stream for the whole session, silence included (GPT-Live:
  // its timeline stops when input stops), not only until the last turn is answered.
  virtual bool continuous_input() const { return false; }
  // RequestAnswer asks the server for an answer. GPT-Live's model speaks when it decides to:
  // nothing may wait for an answer asked for there (the rest of one a lost connection cut
  // included), since none will come of the asking; nor can an answer be stopped, and the
  // server keeps no items it would tell of (a typed line's included).
  virtual bool takes_answer_requests() const { return true; }
};

}  // namespace voxterm
