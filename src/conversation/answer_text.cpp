#include "conversation/answer_text.h"

#include <algorithm>

namespace voxterm {

bool AnswerText::OnEvent(const ServerEvent& event, bool show, bool end_line) {
  switch (event.type) {
    case ServerEventType::kTextDelta:
    case ServerEventType::kAudioTranscriptDelta:
      if (!show || event.delta.empty()) return false;
      return Show(event.item_id, event.delta);
    case ServerEventType::kTextDone:
    case ServerEventType::kAudioTranscriptDone:
      if (!show || event.text.empty() || Shown(event.item_id)) return false;
      return Show(event.item_id, event.text);
    case ServerEventType::kOutputItemDone: {
      if (event.item.type != "message") return false;
      const bool words = show && event.item.role != "user" && !event.item.text.empty() &&
                         !Shown(event.item.id) && Show(event.item.id, event.item.text);
      // A message is whole: its line ends, before the next message or a tool's line.
      if (end_line && event.item.id == line_item_id_) EndLine(/*interrupted=*/false);
      return words;
    }
    default: return false;
  }
}

void AnswerText::EndLine(bool interrupted) { EndLine(interrupted, /*cut=*/false); }

void AnswerText::EndLine(bool interrupted, bool cut) {
  if (!line_open_) return;
  if (const std::string_view rest = cut ? masked_.Cut() : masked_.Finish(); !rest.empty()) {
    lines_->Words(line_item_id_, rest);
  }
  lines_->EndLine(interrupted);
  line_open_ = false;
}

bool AnswerText::Show(std::string_view item_id, std::string_view text) {
  // Another message's words while this one's go on: its line ends, its mask cut.
  if (!adopt_line_ && item_id != line_item_id_) EndLine(/*interrupted=*/false, /*cut=*/true);
  adopt_line_ = false;
  // A line's first words need no space before them: GPT-Live joins one answer's utterances with
  // one, and a tool's line between two of them starts a new line ("assistant:  Tool ...").
  if (!line_open_ && !text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (text.empty()) return false;
  line_item_id_ = std::string(item_id);
  if (!Shown(item_id)) {
    shown_items_.emplace_back(item_id);
    if (shown_items_.size() > kMaxShownItems) shown_items_.pop_front();
  }
  if (const std::string_view shown = masked_.Add(text); !shown.empty()) {
    lines_->Words(item_id, shown);
  }
  line_open_ = true;
  return true;
}

bool AnswerText::Shown(std::string_view item_id) const {
  return std::find(shown_items_.begin(), shown_items_.end(), item_id) != shown_items_.end();
}

}  // namespace voxterm
