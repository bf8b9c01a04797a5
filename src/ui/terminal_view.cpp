#include "ui/terminal_view.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "ui/terminal_text.h"
#include "util/utf8.h"

namespace voxterm {

const char* ToString(VoiceState state) {
  switch (state) {
    case VoiceState::kConnecting: return "connecting";
    case VoiceState::kReconnecting: return "reconnecting\u2026";
    case VoiceState::kIdle: return "idle";
    case VoiceState::kListening: return "listening";
    case VoiceState::kUserSpeaking: return "you are speaking";
    case VoiceState::kRecording: return "recording";
    case VoiceState::kThinking: return "thinking";
    case VoiceState::kRunningTool: return "running a tool";
    case VoiceState::kAssistantSpeaking: return "speaking";
  }
  return "";
}

namespace {
constexpr const char* kCyan = "\x1b[36m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kMagenta = "\x1b[35m";
constexpr int kMeterBars = 8;
// Eighth blocks, rising: the level meter.
constexpr const char* kBars[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                 "\u2585", "\u2586", "\u2587", "\u2588"};

bool ColorWanted(bool terminal) {
  const char* no_color = getenv("NO_COLOR");
  return terminal && !(no_color && *no_color);
}

// The code point that starts at text[at] (an invalid sequence decodes as its first byte).
uint32_t CodePointAt(const std::string& text, size_t at) {
  const auto byte = [&](size_t i) {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u;
  };
  const uint32_t b0 = byte(at);
  if (b0 < 0xC0) return b0;
  if (b0 < 0xE0) return ((b0 & 0x1F) << 6) | (byte(at + 1) & 0x3F);
  if (b0 < 0xF0) return ((b0 & 0x0F) << 12) | ((byte(at + 1) & 0x3F) << 6) | (byte(at + 2) & 0x3F);
  return ((b0 & 0x07) << 18) | ((byte(at + 1) & 0x3F) << 12) | ((byte(at + 2) & 0x3F) << 6) |
         (byte(at + 3) & 0x3F);
}

// The columns of the character that starts at text[at], as TextColumns counts them; none for
// a continuation byte.
size_t ColumnsAt(const std::string& text, size_t at) {
  if ((static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) return 0;
  return static_cast<size_t>(CharColumns(CodePointAt(text, at)));
}

// Code points that belong to the character before them: combining diacritics, the zero-width
// joiner, variation selectors, emoji skin tones. (Not all of Unicode's grapheme rules: enough
// that a cut caption does not start with half a character.)
bool Continues(uint32_t c) {
  return (c >= 0x300 && c <= 0x36F) || c == 0x200D || (c >= 0xFE00 && c <= 0xFE0F) ||
         (c >= 0x1F3FB && c <= 0x1F3FF) || (c >= 0xE0100 && c <= 0xE01EF);
}

// The start of text in at most columns columns, an ellipsis at the end when something was cut.
std::string FirstColumns(const std::string& text, size_t columns) {
  if (TextColumns(text) <= columns) return text;
  if (columns == 0) return "";
  size_t end = 0;
  size_t kept = 0;
  while (end < text.size()) {
    size_t next = end + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    const size_t width = ColumnsAt(text, end);
    if (kept + width > columns - 1) break;
    kept += width;
    end = next;
  }
  return text.substr(0, end) + "\u2026";
}

// The end of text in at most columns columns, an ellipsis in front when something was cut.
// The cut never leaves a character's continuation (or what a joiner joins) at the front.
std::string LastColumns(const std::string& text, size_t columns) {
  if (TextColumns(text) <= columns) return text;
  if (columns == 0) return "";
  size_t start = text.size();
  size_t kept = 0;  // columns from start on
  for (size_t at = text.size(); at > 0;) {
    --at;
    const size_t width = ColumnsAt(text, at);
    if (width == 0) continue;
    if (kept + width > columns - 1) break;
    kept += width;
    start = at;
  }
  bool after_joiner = start >= 3 && text.compare(start - 3, 3, "\u200d") == 0;
  while (start < text.size()) {
    const uint32_t c = CodePointAt(text, start);
    if (!Continues(c) && !after_joiner) break;
    after_joiner = c == 0x200D;
    do {
      ++start;
    } while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80);
  }
  return "\u2026" + text.substr(start);
}
}  // namespace

TerminalView::TerminalView(Screen* screen)
    : screen_(screen),
      out_is_terminal_(screen->out_on_screen()),
      color_(ColorWanted(screen->out_on_screen())) {}

TerminalView::~TerminalView() {
  if (answer_open_) Write("\n");
  screen_->SetStatus("", 0);
}

std::string TerminalView::Paint(const char* color, std::string_view text) const {
  if (!color_) return std::string(text);
  return std::string(color) + std::string(text) + "\x1b[0m";
}

void TerminalView::Write(std::string_view text) {
  screen_->Write(out_is_terminal_ ? filter_.Filter(text) : std::string(text));
}

void TerminalView::EndAnswerLine() {
  if (!answer_open_ || !out_is_terminal_) return;
  Write("\n");
  answer_open_ = false;
}

void TerminalView::MakeRoomForLog(bool before) {
  if (!before) {
    screen_->Show();
    return;
  }
  EndAnswerLine();
  screen_->Hide();
}

void TerminalView::Resized() {
  screen_->Resized();
  DrawStatus();
}

// The parts that do not fit go, the caption first, then the detail, then the meter; the state
// is cut last.
void TerminalView::DrawStatus() {
  if (!screen_->rows_shown()) return;
  const size_t columns = screen_->columns();
  const size_t room = columns > 1 ? columns - 1 : 1;
  const std::string state = FirstColumns(std::string("\u25cf ") + ToString(state_), room);
  size_t used = TextColumns(state);
  std::string line = Paint(kDim, state);
  if (used + 1 + kMeterBars <= room) {
    line += " ";
    for (int i = 0; i < kMeterBars; ++i) line += i < level_bars_ ? kBars[i] : " ";
    used += 1 + kMeterBars;
  }
  if (!detail_.empty() && used + 2 < room) {
    const std::string detail = FirstColumns(detail_, room - used - 1);
    line += " " + Paint(kDim, detail);
    used += 1 + TextColumns(detail);
  }
  constexpr size_t kLabel = 7;  // two spaces, "you: "
  if (!caption_.empty() && used + kLabel + 1 < room) {
    const std::string caption = LastColumns(caption_, room - used - kLabel);
    line += "  " + Paint(kCyan, "you: " + caption);
    used += kLabel + TextColumns(caption);
  }
  if (line == status_) return;
  status_ = line;
  screen_->SetStatus(std::move(line), used);
}

void TerminalView::UserSaid(std::string_view text) {
  caption_.clear();  // the final words replace the caption
  Line(kCyan, "you: ", text);
}

void TerminalView::UserTyped(std::string_view text) { Line(kCyan, "you: ", text); }

void TerminalView::UserCaption(std::string_view text) {
  if (!screen_->rows_shown()) return;  // nothing but the final line where there is no status
  std::string shown;
  AppendForDisplay(text, LineBreaks::kEscape, &shown);
  if (shown == caption_) return;
  caption_ = std::move(shown);
  DrawStatus();
}

void TerminalView::ToolActivity(std::string_view line) { Line(kMagenta, "tool: ", line); }

// A transcript line of its own, even if an answer is streaming.
void TerminalView::Line(const char* color, const char* label, std::string_view text) {
  if (answer_open_) {
    Write("\n");
    answer_open_ = false;
  }
  screen_->Write(Paint(color, label));
  Write(text);
  Write("\n");
  DrawStatus();
}

void TerminalView::AssistantDelta(std::string_view text) {
  if (!answer_open_) {
    screen_->Write(Paint(kGreen, "assistant: "));
    answer_open_ = true;
  }
  Write(text);
}

void TerminalView::AssistantDone(bool interrupted) {
  if (!answer_open_) return;
  if (interrupted) screen_->Write(Paint(kDim, " [interrupted]"));
  Write("\n");
  answer_open_ = false;
  DrawStatus();
}

void TerminalView::SetState(VoiceState state) {
  state_ = state;
  DrawStatus();
}

void TerminalView::SetLevel(float level) {
  // Redraw only when the meter changes by a bar: the line is not rewritten 50 times a second.
  const int bars = std::clamp(static_cast<int>(level * kMeterBars * 2), 0, kMeterBars);
  if (bars == level_bars_) return;
  level_bars_ = bars;
  DrawStatus();
}

void TerminalView::SetDetail(std::string_view text) {
  if (text == detail_) return;
  detail_ = std::string(text);
  DrawStatus();
}

void TerminalView::Notice(std::string_view text) {
  // On a terminal the notice would land inside the answer's line: the line ends first (an
  // answer that goes on after a reconnect starts a line of its own). A piped transcript keeps
  // its lines whole.
  EndAnswerLine();
  // Notices carry server text (errors, close reasons) that callers make printable; on a
  // terminal it is made sure of here too.
  std::string shown;
  if (screen_->rows_shown()) {
    AppendForDisplay(text, LineBreaks::kKeep, &shown);
  } else {
    shown = text;
  }
  screen_->Notice(Paint(kYellow, "voxterm: " + shown));
}

void TerminalView::Say(std::string_view text) {
  EndAnswerLine();
  std::string shown;
  AppendForDisplay(text, LineBreaks::kKeep, &shown);
  screen_->Notice(shown);
}

// The question comes from the server's arguments: filtered like any server text.
void TerminalView::AskToRun(std::string_view question) {
  if (answer_open_) {
    Write("\n");
    answer_open_ = false;
  }
  TerminalFilter filter;
  Notice(screen_->rows_shown() ? filter.Filter(question) : std::string(question));
}

}  // namespace voxterm
