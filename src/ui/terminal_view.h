// TerminalView: the spoken conversation on a terminal.
//   you: what's the weather like?
//   assistant: It is sunny and 21 degrees.
//   tool: disk_usage {"path":"/tmp"}
//   ● listening ▂▄▆  you: what's the wea
// Transcripts go to stdout, labelled; the status line (state and input level) is the Screen's
// status row (ui/screen.h), redrawn in place under the transcript when stderr is a terminal;
// a line the user types is its edit row, under that.
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
#include "ui/screen.h"
#include "ui/terminal_text.h"
#include "ui/tool_call_view.h"

namespace voxterm {

class TerminalView final : public ConversationView, public ToolCallView {
 public:
  // Looks at the screen's streams and at NO_COLOR to decide what to draw. The screen outlives
  // the view.
  explicit TerminalView(Screen* screen);
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
  // Around a log line on the terminal: before, the rows cleared and an answer line on the same
  // terminal ended (it goes on in a line of its own); after, the rows drawn again.
  void MakeRoomForLog(bool before);
  // The terminal changed size (SIGWINCH): the status line is drawn again, to the new width.
  void Resized();
  // A line of voxterm's own in the transcript's place (a command's output), on stderr.
  void Say(std::string_view text);

 private:
  void Write(std::string_view text);  // to out, escaped when out is a terminal
  void Line(const char* color, const char* label, std::string_view text);
  void EndAnswerLine();  // on a terminal, where a notice must not land inside it
  void DrawStatus();
  std::string Paint(const char* color, std::string_view text) const;

  Screen* const screen_;
  const bool out_is_terminal_;
  const bool color_;
  TerminalFilter filter_;
  VoiceState state_ = VoiceState::kConnecting;
  int level_bars_ = 0;
  std::string detail_;
  std::string caption_;  // as the terminal shows it: escaped, one line
  std::string status_;   // as last given to the screen
  bool answer_open_ = false;
};

}  // namespace voxterm
