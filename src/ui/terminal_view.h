// TerminalView: the spoken conversation on a terminal.
//   you: what's the weather like?
//   assistant: It is sunny and 21 degrees.
//   tool: disk_usage {"path":"/tmp"}
//   ● listening ▂▄▆  you: what's the wea
// Transcripts go to stdout, labelled; the status line (state and input level) is redrawn in
// place on stderr, only when stderr is a terminal, and steps aside while an answer streams.
// The user's words, while they are transcribed, are a caption at the end of the status line
// (its latest words, cut to the terminal's width), until the final "you:" line replaces it: a
// pipe gets only that final line.
// Colour only on a terminal and never with NO_COLOR set. Server text going to a terminal shows
// what the terminal would act on escaped (ui/terminal_text.h); to a pipe it goes as it came.
// Thread safety: main thread only.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "ui/conversation_view.h"
#include "ui/terminal_text.h"
#include "ui/tool_call_view.h"

namespace voxterm {

class TerminalView final : public ConversationView, public ToolCallView {
 public:
  // Looks at the descriptors of out and status and at NO_COLOR to decide what to draw.
  TerminalView(FILE* out, FILE* status);
  ~TerminalView() override;

  void UserSaid(std::string_view text) override;
  void UserTyped(std::string_view text) override;
  void UserCaption(std::string_view text) override;
  void AssistantDelta(std::string_view text) override;
  void AssistantDone(bool interrupted) override;
  void SetState(VoiceState state) override;
  void SetLevel(float level) override;
  void SetDetail(std::string_view text) override;
  void Notice(std::string_view text) override;
  void ToolActivity(std::string_view line) override;
  void AskToRun(std::string_view question) override;
  // Before a log line on the terminal: the status line cleared, an answer line on the same
  // terminal ended (it goes on in a line of its own). The status comes back at its next change.
  void MakeRoomForLog();
  // The terminal changed size (SIGWINCH): the status line is drawn again, to the new width.
  void Resized();

 private:
  void Write(std::string_view text);  // to out, escaped when out is a terminal
  void Line(const char* color, const char* label, std::string_view text);
  void ClearStatus();
  void DrawStatus();
  std::string Paint(const char* color, std::string_view text) const;

  FILE* const out_;
  FILE* const status_;
  const bool out_is_terminal_;
  const bool status_line_;  // status is a terminal
  const bool color_;
  TerminalFilter filter_;
  VoiceState state_ = VoiceState::kConnecting;
  int level_bars_ = 0;
  std::string detail_;
  std::string caption_;  // as the terminal shows it: escaped, one line
  bool status_shown_ = false;
  // The status line is never wider than the terminal less a column, so it never wraps: a
  // wrapped line would leave its first row behind at every redraw. columns_: the width it was
  // last drawn for; status_columns_: its own. After the terminal shrinks under it, the rows it
  // takes at the new width are cleared (terminals rewrap lines when they resize).
  size_t columns_;
  size_t status_columns_ = 0;
  bool answer_open_ = false;
};

}  // namespace voxterm
