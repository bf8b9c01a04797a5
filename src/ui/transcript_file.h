// TranscriptFile: --transcript PATH, the conversation written down as it happens: both sides'
// turns (spoken and typed), the tools' lines, interruptions marked, each with the local time it
// began. Plain text, or Markdown when the path ends in .md:
//   [14:03:05] you: what's the weather like in Oslo?
//   [14:03:06] assistant: Oslo in November is usually cold and grey. [interrupted]
//   **you** (14:03:05): what's the weather like in Oslo?
// It sits in front of the view the mode shows the conversation in (the terminal's, the text
// chat's): every call goes on to that view unchanged. Each line is written whole, and flushed,
// when it ends; the words are the server's as they came (the file is not a terminal).
// Thread safety: main thread only.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "ui/conversation_view.h"
#include "ui/tool_call_view.h"
#include "util/status.h"

namespace voxterm {

class TranscriptFile final : public ConversationView, public ToolCallView {
 public:
  enum class Format { kText, kMarkdown };
  // Creates path (0600, never through a symbolic link); Markdown for a name ending in .md.
  static Result<std::unique_ptr<TranscriptFile>> Create(const std::string& path);
  ~TranscriptFile() override;

  // Where every call goes on to; null for none.
  void SetInner(ConversationView* view, ToolCallView* tools) {
    view_ = view;
    tools_ = tools;
  }

  void UserSaid(std::string_view text) override;
  void UserTyped(std::string_view text) override;
  void UserCaption(std::string_view text) override;
  void AssistantDelta(std::string_view text) override;
  void AssistantDone(bool interrupted) override;
  void SetState(VoiceState state) override;
  void SetLevel(float level) override;
  void SetDetail(std::string_view text) override;
  void Notice(std::string_view text) override;
  void Warning(std::string_view text) override;
  void ToolActivity(std::string_view line) override;
  void AskToRun(std::string_view question) override;

 private:
  TranscriptFile(FILE* file, std::string path, Format format)
      : file_(file), path_(std::move(path)), format_(format) {}
  // One entry: who, when it began, what; the words' line breaks kept.
  void Write(std::string_view who, const std::string& when, std::string_view text);
  static std::string Now();

  FILE* const file_;
  const std::string path_;
  const Format format_;
  ConversationView* view_ = nullptr;
  ToolCallView* tools_ = nullptr;
  std::string answer_;       // the assistant's message so far
  std::string answer_when_;  // when it began; empty while none is open
  bool failed_ = false;      // a write failed (reported once)
};

}  // namespace voxterm
