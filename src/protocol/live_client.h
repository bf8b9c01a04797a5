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
// function items) send nothing: the model takes turns, answers and stops by itself, and its
// tools go through delegation. Typed text during a session is for later (issue 18 item 4).
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
// a message longer than the whole budget keeps its end.
std::string EncodeLiveStart(std::string_view model, const SessionSettings& settings,
                            const std::vector<LiveInputMessage>& input);
std::string EncodeLiveAudioAppend(const int16_t* samples, size_t count);
// session.{instructions,thinking,commentary}.append (type), for a delegation or, with an empty
// id, for the session (null).
std::string EncodeLiveAppend(std::string_view type, std::string_view delegation_id,
                             std::string_view content);
// session.commentary.append: words the model says aloud.
std::string EncodeLiveCommentary(std::string_view delegation_id, std::string_view words);
// A delegation id longer than this is not sent back (a hostile server's).
constexpr size_t kMaxDelegationIdBytes = 256;
std::string EncodeLiveClose();

class LiveClient final : public ClientProtocol {
 public:
  // messages must outlive this. model: session.start's (GPT-Live has no model in the URL).
  LiveClient(std::string model, MessageSink* messages)
      : model_(std::move(model)), messages_(messages) {}

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
  void ClearAudio() override {}
  void AddUserText(std::string_view text, std::string_view event_id,
                   std::string_view item_id) override;
  void AddAssistantText(std::string_view text, std::string_view item_id, bool complete) override;
  void AddFunctionCall(std::string_view, std::string_view, std::string_view,
                       std::string_view) override {}
  void AddToolOutput(std::string_view, std::string_view, std::string_view) override {}
  void RequestAnswer(std::optional<Modality>, std::string_view, std::string_view) override {}
  void CancelAnswer() override {}
  void TruncateAnswer(std::string_view, int64_t) override {}
  void AnswerDelegation(std::string_view delegation_id, std::string_view words) override;
  bool continuous_input() const override { return true; }
  bool takes_typed_lines() const override { return false; }
  bool takes_answer_requests() const override { return false; }

 private:
  const std::string model_;
  MessageSink* const messages_;
  SessionSettings settings_;             // BeginStart's, until SendStart
  std::vector<LiveInputMessage> input_;  // collected between BeginStart and SendStart
  bool collecting_ = false;              // between BeginStart and SendStart
  bool start_sent_ = false;              // on this connection
  bool started_ = false;                 // session.started came: audio flows
  // Changed during a session (/instructions, /voice): every later session.start has them.
  std::optional<std::string> changed_instructions_, changed_voice_;
};

}  // namespace voxterm
