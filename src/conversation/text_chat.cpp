#include "conversation/text_chat.h"

#include <string>

#include "util/log.h"

namespace voxterm {

TextChat::TextChat(SessionSettings session, ClientProtocol* server, Sink answers,
                   PlaybackPath* speaker, ToolCalls* tools, History* history, bool interactive,
                   ConversationView* transcript)
    : answers_(std::move(answers)),
      speaker_(speaker),
      interactive_(interactive),
      transcript_(transcript),
      engine_(std::move(session), server, speaker, this, tools, history,
              ConversationEngine::LinePolicy::kWait) {
  engine_.set_report_state(false);
}

void TextChat::OnInputEnd() {
  input_ended_ = true;
  engine_.OnInputEnd();
  // No answer will come: the tool does not run.
  if (engine_.awaiting_tool_answer()) engine_.AnswerTool(false);
}

bool TextChat::OnInterrupt() {
  if (engine_.InterruptTools()) return true;
  // A second Ctrl-C for an answer that was asked to stop and has not (a server that does not
  // answer the cancel) is the user's way out.
  if (!interactive_ || !engine_.Answering() || stop_asked_) return false;
  engine_.Interrupt();  // its response.done ends the turn, and the prompt comes back
  stop_asked_ = true;
  return true;
}

bool TextChat::OnServerSilent(int seconds) {
  LOG_ERROR("the server sent nothing for %d s while an answer was due: giving up", seconds);
  return true;
}

void TextChat::UserTyped(std::string_view text) {
  if (transcript_) transcript_->UserTyped(text);
}

void TextChat::AssistantDelta(std::string_view text) {
  if (transcript_) transcript_->AssistantDelta(text);
  if (text.empty()) return;
  answers_(text);
  last_written_ = text.back();
}

// The last character written decides whether the line needs its newline.
void TextChat::AssistantDone(bool interrupted) {
  if (last_written_ != '\n') {
    answers_("\n");
    last_written_ = '\n';
  }
  if (transcript_) transcript_->AssistantDone(interrupted);
}

void TextChat::Notice(std::string_view text) {
  LOG_ERROR("%.*s", static_cast<int>(text.size()), text.data());
}

void TextChat::Warning(std::string_view text) {
  LOG_WARN("%.*s", static_cast<int>(text.size()), text.data());
}

}  // namespace voxterm
