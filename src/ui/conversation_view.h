// ConversationView: what the user sees of a spoken conversation. Abstract so the conversation
// logic can be tested by recording what it shows (tests/fakes/fake_view.h); TerminalView is the
// real one.
// Thread safety: main thread only.
#pragma once

#include <string_view>

namespace voxterm {

enum class VoiceState {
  kConnecting,
  kReconnecting,
  kIdle,
  kListening,
  kUserSpeaking,
  kRecording,
  kThinking,
  kRunningTool,
  kAssistantSpeaking,
};

const char* ToString(VoiceState state);

class ConversationView {
 public:
  virtual ~ConversationView() = default;
  // A transcript of what the user said.
  virtual void UserSaid(std::string_view text) = 0;
  // A line the user typed, as it is sent: a text turn (a spoken session shows it as its own
  // "you:" line; the text chat's stdout carries only answers).
  virtual void UserTyped(std::string_view) {}
  // The user's words so far, while they are being transcribed: a caption that each call
  // replaces, and an empty text clears. The final words come as UserSaid.
  virtual void UserCaption(std::string_view text) = 0;
  // The assistant's words as they stream; AssistantDone ends the message (interrupted: cut
  // off). A response of several messages (a preamble, then the answer) is several of these.
  virtual void AssistantDelta(std::string_view text) = 0;
  virtual void AssistantDone(bool interrupted) = 0;
  virtual void SetState(VoiceState state) = 0;
  // The input level, 0 to 1, for the meter.
  virtual void SetLevel(float level) = 0;
  // A few words after the state: a hint ("press space to talk"), a take's length.
  virtual void SetDetail(std::string_view text) = 0;
  // A one-line message that is neither side's words (an error, a warning).
  virtual void Notice(std::string_view text) = 0;
  // A problem that fails nothing (an answer cut short); where the view tells errors apart.
  virtual void Warning(std::string_view text) { Notice(text); }
};

}  // namespace voxterm
