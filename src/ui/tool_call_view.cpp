#include "ui/tool_call_view.h"

#include <string>

namespace voxterm {

StderrToolView::StderrToolView(Screen* screen) : screen_(screen) {}

// Tool names and arguments come from the server: escaped always, like log lines, since stderr is
// diagnostics, and a log of it read later on a terminal would act on what was left raw.
void StderrToolView::Write(std::string_view text) {
  std::string safe = filter_.Filter(text);
  screen_->Notice(safe);
}

void StderrToolView::ToolActivity(std::string_view line) { Write("tool: " + std::string(line)); }

void StderrToolView::AskToRun(std::string_view question) {
  Write("voxterm: " + std::string(question));
}

}  // namespace voxterm
