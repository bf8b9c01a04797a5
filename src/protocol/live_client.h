// LiveClient: ClientProtocol for OpenAI's GPT-Live API (../shared/protocol/LIVE.md; what
// voxterm sends is docs/protocol.md's "GPT-Live" section).
//
// GPT-Live's session is the client's to open: session.start is the first message of every
// connection, and nothing else may follow until the server's session.started. Its settings are
// fixed there (model, instructions, voice, the audio format, the delegation, and the conversation
// so far as text-only `input`); nothing changes them later. So a connection goes:
//   BeginStart(settings)      a new connection is open: collect the session's start
//   History::Replay(this)     the conversation so far, as `input` (AddUserText/AddAssistantText)
//   SendStart()               session.start
//   ConfigureSession(...)     the conversation's answer to session.started: audio may flow
//   (History::Replay again)   a resumed conversation's replay: session.start had it, so nothing
// The requests GPT-Live has no event for (commit, clear, request, cancel or truncate an answer,
// function items) send nothing: the model takes turns, answers and stops by itself.
//
// A line typed during a session has no event of its own (LIVE.md 5e): it goes as LK-PY sends
// it, a session.commentary.append for the session (delegation_id null) that asks the model to
// answer it now, aloud, followed by the line. An append holds at most 500 tokens: a longer line
// is cut to kMaxTypedLineBytes, with a warning.
//
// Tools go through delegation. With none declared, the delegation is the client's: the model
// hands voxterm a task (session.delegation.created) and AnswerDelegation says what voxterm
// cannot do. With tools, session.start asks for Responses delegation: a backend model
// (delegate_model) has the tools as its function tools, its function_call items reach ToolCalls
// through response.event, and their outputs go back as response.item.create, one per call, then
// one response.create (ContinueDelegation) for the backend to go on (LIVE.md section 5c).
// Thread safety: main thread only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/client_protocol.h"
#include "util/message_sink.h"

namespace voxterm {

// One message of session.start's `input` history.
struct LiveInputMessage {
  enum class Role { kUser, kAssistant };
  Role role = Role::kUser;
  std::string text;
};

// The limits of `input` (LIVE.md section 6): at most 128 messages and 8,192 rendered tokens.
// Tokens are not counted here; kMaxInputBytes keeps well under the limit at about four bytes a
// token. The newest messages are kept.
constexpr size_t kMaxInputMessages = 128;
constexpr size_t kMaxInputBytes = 24 * 1024;

// session.start, with input cut to the limits above: the newest context that fits, whole
// messages and then the end of the next (cut between characters), so the oldest goes first and
// a message longer than the whole budget keeps its end. With settings.tools, the delegation is
// Responses delegation to delegate_model, which gets the tools; without, the client's.
std::string EncodeLiveStart(std::string_view model, const SessionSettings& settings,
                            const std::vector<LiveInputMessage>& input,
                            std::string_view delegate_model = {});
std::string EncodeLiveAudioAppend(const int16_t* samples, size_t count);
// session.{instructions,thinking,commentary}.append (type), for a delegation or, with an empty
// id, for the session (null).
std::string EncodeLiveAppend(std::string_view type, std::string_view delegation_id,
                             std::string_view content);
// session.commentary.append: words the model says aloud.
std::string EncodeLiveCommentary(std::string_view delegation_id, std::string_view words);
// A delegation id longer than this is not sent back (a hostile server's).
constexpr size_t kMaxDelegationIdBytes = 256;
// A typed line's words, at most: about 400 tokens, under an append's 500 with the request.
constexpr size_t kMaxTypedLineBytes = 1600;
// What a typed line's append says before the line.
constexpr const char* kTypedLineRequest =
    "The user typed this instead of speaking. Answer it now, aloud, without waiting for them to "
    "speak: ";
std::string EncodeLiveClose();
// Responses delegation: a call's output for the backend (response.item.create), and the backend
// asked to go on once every pending call has one (response.create).
std::string EncodeLiveToolOutput(std::string_view call_id, std::string_view output);
std::string EncodeLiveBackendContinue();

class LiveClient final : public ClientProtocol {
 public:
  // messages must outlive this. model: session.start's (GPT-Live has no model in the URL).
  // delegate_model: the backend's, for the tools; empty, tools are not delegated.
  LiveClient(std::string model, MessageSink* messages, std::string delegate_model = {})
      : model_(std::move(model)), messages_(messages), delegate_model_(std::move(delegate_model)) {}

  // A new connection: the next session.start takes settings, and the conversation the caller
  // gives next through AddUserText / AddAssistantText. Audio stops until session.started.
  void BeginStart(const SessionSettings& settings);
  void SendStart();
  // The polite end (session.close): the server drains and answers with session.closed.
  void Close();
  // The session is started and audio flows.
  bool started() const { return started_; }

  // First, the conversation's answer to session.started: nothing is sent. Then a change during
  // the session: instructions are appended (session.instructions.append); a voice cannot change
  // (a warning says so).
  void ConfigureSession(const SessionSettings& settings) override;
  void AppendAudio(const int16_t* samples, size_t count) override;
  void CommitAudio() override {}
  // Push-to-talk (settings.turns kOff): a session starts muted, and is unmuted for each take.
  void MuteInput(bool muted) override;
  void ClearAudio() override {}
  void AddUserText(std::string_view text, std::string_view event_id,
                   std::string_view item_id) override;
  // GPT-Live has no image input (LIVE.md): the text goes alone, with a warning.
  void AddUserImages(std::string_view text, const std::vector<InputImage>& images,
                     std::string_view event_id, std::string_view item_id) override;
  void AddAssistantText(std::string_view text, std::string_view item_id, bool complete) override;
  void AddFunctionCall(std::string_view, std::string_view, std::string_view,
                       std::string_view) override {}
  void AddToolOutput(std::string_view call_id, std::string_view output,
                     std::string_view item_id) override;
  void RequestAnswer(std::optional<Modality>, std::string_view, std::string_view) override {}
  void CancelAnswer() override {}
  void TruncateAnswer(std::string_view, int64_t) override {}
  void AnswerDelegation(std::string_view delegation_id, std::string_view words) override;
  bool tools_delegated() const override { return delegating_; }
  void ContinueDelegation() override;
  bool continuous_input() const override { return true; }
  bool takes_answer_requests() const override { return false; }

 private:
  const std::string model_;
  MessageSink* const messages_;
  const std::string delegate_model_;
  bool delegating_ = false;              // the session has Responses delegation (tools)
  SessionSettings settings_;             // BeginStart's, until SendStart
  std::vector<LiveInputMessage> input_;  // collected between BeginStart and SendStart
  bool collecting_ = false;              // between BeginStart and SendStart
  bool start_sent_ = false;              // on this connection
  bool started_ = false;                 // session.started came: audio flows
  bool muted_ = false;                   // the session's input is muted (push-to-talk)
  // Changed during a session (/instructions, /voice): every later session.start has them.
  std::optional<std::string> changed_instructions_, changed_voice_;
};

}  // namespace voxterm
