// TranscriptFile: --transcript PATH, the conversation written down as it happens: both sides'
// turns (spoken and typed), the tools' lines, interruptions marked, each with the local time it
// began. Plain text, or Markdown when the path ends in .md:
//   [14:03:05] you: what's the weather like in Oslo?
//   [14:03:06] assistant: Oslo in November is usually cold and grey. [interrupted]
//   **you** (14:03:05): what's the weather like in Oslo?
// It sits in front of the view the mode shows the conversation in (the terminal's, the text
// chat's): every call goes on to that view unchanged. Each line is written whole, and flushed,
// when it ends; the words are the server's as they came (the file is not a terminal). An answer
// longer than kMaxHeldBytes is not kept: its line is written as its words come (memory stays
// bounded, whatever a server sends), and a line of another entry in between ends it there; what
// follows is a line of its own.
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
  static constexpr size_t kMaxHeldBytes = 64 * 1024;

  // One entry: who, when it began, what; the words' line breaks kept.
  void Write(std::string_view who, const std::string& when, std::string_view text);
  // The answer's words, onto its line in the file (begun if need be); line breaks at their end
  // wait, as the line's end drops them.
  void Spill(std::string_view text);
  // The spilled answer's line ends, after marker.
  void EndSpilled(std::string_view marker);
  std::string Head(std::string_view who, const std::string& when) const;
  const char* LineEnd() const { return format_ == Format::kMarkdown ? "\n\n" : "\n"; }
  // Writes text as it is; flush: the line has ended.
  void Put(std::string_view text, bool flush);
  static std::string Now();

  FILE* const file_;
  const std::string path_;
  const Format format_;
  ConversationView* view_ = nullptr;
  ToolCallView* tools_ = nullptr;
  std::string answer_;       // the assistant's message so far, up to kMaxHeldBytes
  std::string answer_when_;  // when it began; empty while none is open
  bool spilled_ = false;     // the answer's line is open in the file; answer_ is empty
  size_t held_breaks_ = 0;   // spilled: line breaks the words ended with, not written yet
  bool failed_ = false;      // a write failed (reported once)
};

}  // namespace voxterm
