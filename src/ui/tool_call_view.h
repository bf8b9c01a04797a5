// ToolCallView: where the model's tool calls are shown, and their y/N questions asked.
// Abstract so the conversation logic can be tested by recording it (tests/fakes/fake_view.h).
// TerminalView shows calls in a spoken conversation's transcript; StderrToolView shows them in
// text mode, where stdout carries only the answers.
// Thread safety: main thread only.
#pragma once

#include <cstdio>
#include <string_view>

#include "ui/screen.h"
#include "ui/terminal_text.h"

namespace voxterm {

// Whether a user is there to answer the questions of "confirm" tools and approval requests.
enum class CanAsk { kYes, kNo };

class ToolCallView {
 public:
  virtual ~ToolCallView() = default;
  // One line about a call: what runs, how it ended.
  virtual void ToolActivity(std::string_view line) = 0;
  // A yes/no question; the user's next key or line answers it. It holds no control character:
  // what the model chose is quoted in it (ShellQuote).
  virtual void AskToRun(std::string_view question) = 0;
};

//   tool: disk_usage {"path":"/tmp"}
//   tool: disk_usage: exit 0 (12 ms)
// on stderr, above the screen's rows; the question is a line of its own, answered in the edit
// row (or, from a pipe, by the next line).
class StderrToolView final : public ToolCallView {
 public:
  // screen: where the lines go (its rows stream is stderr); it outlives the view.
  explicit StderrToolView(Screen* screen);
  void ToolActivity(std::string_view line) override;
  void AskToRun(std::string_view question) override;

 private:
  void Write(std::string_view text);

  Screen* const screen_;
  TerminalFilter filter_;
};

}  // namespace voxterm
