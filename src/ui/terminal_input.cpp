#include "ui/terminal_input.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "util/utf8.h"

namespace voxterm {
namespace {
constexpr std::string_view kPrompt = "> ";
}  // namespace

Result<std::unique_ptr<TerminalInput>> TerminalInput::Start(int fd, Screen* screen,
                                                            Handler* handler, const Clock* clock,
                                                            bool echo) {
  auto terminal = RawTerminal::Enter(fd, RawTerminal::Keys::kText);
  if (!terminal.ok()) return terminal.status();
  return std::unique_ptr<TerminalInput>(
      new TerminalInput(fd, std::move(*terminal), screen, handler, clock, echo));
}

TerminalInput::~TerminalInput() { screen_->ClearEdit(); }

bool TerminalInput::ReadAvailable() {
  char bytes[4096];
  const ssize_t n = read(fd_, bytes, sizeof bytes);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  std::vector<Key> keys;
  decoder_.Feed(std::string_view(bytes, static_cast<size_t>(n)), &keys);
  if (decoder_.holding_escape() && clock_) escape_since_ms_ = clock_->NowMs();
  bool changed = false;
  for (const Key& key : keys) changed = Handle(key) || changed;
  // A paste's text is drawn once, at its end, not a key at a time.
  if (changed) Draw();
  return true;
}

// Inside a paste a lone ESC can only be the start of the paste's end mark: it waits for it.
int64_t TerminalInput::MsUntilDue() const {
  if (!decoder_.holding_escape() || !clock_ || editor_.pasting()) return -1;
  return std::max<int64_t>(0, escape_since_ms_ + KeyDecoder::kEscapeWaitMs - clock_->NowMs());
}

void TerminalInput::OnDue() {
  if (MsUntilDue() != 0) return;
  std::vector<Key> keys;
  decoder_.TakeEscape(&keys);
  for (const Key& key : keys) {
    if (Handle(key)) Draw();
  }
}

void TerminalInput::TypeKey(const Key& key) {
  open_ = true;
  if (Handle(key)) Draw();
}

bool TerminalInput::Handle(const Key& key) {
  if (closed_) {
    if (!key.release && (key.type == Key::Type::kCtrlC || key.type == Key::Type::kCtrlZ)) {
      OnKey(key);
    }
    return false;
  }
  const LineEditor::Outcome outcome = editor_.Handle(key);
  if (editor_.TakeTruncated()) {
    screen_->Notice("voxterm: the paste was cut at " + std::to_string(LineEditor::kMaxBytes) +
                    " bytes, the most a line holds");
  }
  switch (outcome) {
    case LineEditor::Outcome::kChanged: return true;
    case LineEditor::Outcome::kSubmit: Send(); return true;
    case LineEditor::Outcome::kIgnored:
      if (editor_.pasting()) return false;  // drawn at the paste's end
      OnKey(key);
      return !key.release;
  }
  return true;
}

void TerminalInput::Send() {
  open_ = false;
  std::string line = editor_.TakeLine();
  if (echo_) {
    std::string shown(kPrompt);
    AppendForDisplay(line, LineBreaks::kKeep, &shown);
    screen_->ClearEdit();
    screen_->Notice(shown);
  }
  handler_->OnLine(std::move(line));
}

void TerminalInput::OnKey(const Key& key) {
  switch (key.type) {
    case Key::Type::kCtrlC:
      if (handler_->OnStopKey()) return;
      if (editor_.empty() && !open_) {
        handler_->OnQuitKey();
      } else {
        Drop();
      }
      return;
    case Key::Type::kCtrlD:
      if (open_ && editor_.empty()) {  // push-to-talk's line, dropped; the mode goes on
        Drop();
        return;
      }
      if (!editor_.empty()) Send();  // the editor left it here: the cursor is at the end
      handler_->OnEndKey();
      return;
    case Key::Type::kCtrlZ:
      if (!terminal_) return;
      screen_->Hide();
      terminal_->Suspend();
      screen_->Resumed();
      return;
    case Key::Type::kEscape: Drop(); return;
    case Key::Type::kCtrl:
      if (key.ch == U't') handler_->OnMuteKey();
      if (key.ch == U'l') screen_->Resized();
      return;
    default: return;
  }
}

void TerminalInput::Close() {
  if (closed_) return;
  closed_ = true;
  prompt_wanted_ = false;
  Drop();
  screen_->ClearEdit();
}

void TerminalInput::Drop() {
  editor_.Clear();
  open_ = false;
}

void TerminalInput::SetPromptWanted(bool wanted) {
  if (wanted == prompt_wanted_) return;
  prompt_wanted_ = wanted;
  Draw();
}

void TerminalInput::Draw() {
  if (!Typing()) {
    screen_->ClearEdit();
    return;
  }
  LineEditor::Row row = editor_.Render(kPrompt, screen_->columns());
  screen_->SetEdit(std::move(row.text), row.columns, row.cursor);
}

}  // namespace voxterm
