// FakeView: records what the conversation showed, so tests assert on it.
#pragma once

#include <string>
#include <vector>

#include "ui/conversation_view.h"
#include "ui/tool_call_view.h"

namespace voxterm {

class FakeView : public ConversationView, public ToolCallView {
 public:
  void UserSaid(std::string_view text) override { lines.push_back("you: " + std::string(text)); }
  void UserCaption(std::string_view text) override {
    caption = std::string(text);
    captions.push_back(caption);
  }
  void AssistantDelta(std::string_view text) override { answer += text; }
  void AssistantDone(bool interrupted) override {
    lines.push_back("assistant: " + answer + (interrupted ? " [interrupted]" : ""));
    answer.clear();
  }
  void SetState(VoiceState state) override { states.push_back(state); }
  void SetLevel(float level) override { this->level = level; }
  void SetDetail(std::string_view text) override { detail = std::string(text); }
  void Notice(std::string_view text) override { notices.push_back(std::string(text)); }
  void ToolActivity(std::string_view line) override {
    lines.push_back("tool: " + std::string(line));
  }
  void AskToRun(std::string_view question) override { questions.push_back(std::string(question)); }

  std::vector<std::string> lines;
  std::string answer;                 // the answer streaming now
  std::string caption;                // the caption shown now
  std::vector<std::string> captions;  // every caption shown, in order
  std::vector<VoiceState> states;
  std::vector<std::string> notices;
  std::vector<std::string> questions;
  float level = 0;
  std::string detail;
};

}  // namespace voxterm
