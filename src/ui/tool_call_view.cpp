#include "ui/tool_call_view.h"

#include <unistd.h>

#include <string>

namespace voxterm {

StderrToolView::StderrToolView() : terminal_(isatty(STDERR_FILENO)) {}

// Tool names and arguments come from the server: escaped always, like log lines, since stderr is
// diagnostics, and a log of it read later on a terminal would act on what was left raw.
void StderrToolView::Write(std::string_view text) {
  // The answer text written so far goes first, so the two streams read in order on a terminal.
  fflush(stdout);
  const std::string safe = filter_.Filter(text);
  fwrite(safe.data(), 1, safe.size(), stderr);
  fflush(stderr);
}

// On a terminal the line starts clean: a ^C the terminal echoed is wiped, not followed.
void StderrToolView::ToolActivity(std::string_view line) {
  if (terminal_) fputs("\r\x1b[K", stderr);
  Write("tool: " + std::string(line) + "\n");
}

void StderrToolView::AskToRun(std::string_view question) {
  Write("voxterm: " + std::string(question));
}

}  // namespace voxterm
