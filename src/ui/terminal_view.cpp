#include "ui/terminal_view.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

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

// Columns of the terminal behind fd; 80 when it does not say.
int Columns(int fd) {
  winsize size{};
  return ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 ? size.ws_col : 80;
}

// The columns a character takes, from its first byte: continuation bytes take none, and
// everything from U+1000 on counts as wide (CJK, emoji; a few narrow scripts are counted wide
// too, so a cut caption may end early, but never wraps and breaks the line's redraw).
size_t Width(unsigned char byte) {
  if ((byte & 0xC0) == 0x80) return 0;
  return byte >= 0xE1 ? 2 : 1;
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
    const size_t width = Width(static_cast<unsigned char>(text[end]));
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
    const size_t width = Width(static_cast<unsigned char>(text[at]));
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

TerminalView::TerminalView(FILE* out, FILE* status)
    : out_(out),
      status_(status),
      out_is_terminal_(isatty(fileno(out))),
      status_line_(isatty(fileno(status))),
      color_(ColorWanted(out_is_terminal_ && isatty(fileno(status)))),
      columns_(static_cast<size_t>(Columns(fileno(status)))) {}

TerminalView::~TerminalView() {
  ClearStatus();
  if (answer_open_) Write("\n");
  fflush(out_);
}

std::string TerminalView::Paint(const char* color, std::string_view text) const {
  if (!color_) return std::string(text);
  return std::string(color) + std::string(text) + "\x1b[0m";
}

void TerminalView::Write(std::string_view text) {
  if (out_is_terminal_) {
    std::string safe = filter_.Filter(text);
    fwrite(safe.data(), 1, safe.size(), out_);
  } else {
    fwrite(text.data(), 1, text.size(), out_);
  }
}

void TerminalView::MakeRoomForLog() {
  ClearStatus();
  if (answer_open_ && out_is_terminal_ && status_line_) {
    Write("\n");
    fflush(out_);
    answer_open_ = false;
  }
}

// The rows the line on screen takes at the present width (a terminal that rewraps on resize
// makes a line wider than itself two rows); the cursor is on its last.
void TerminalView::ClearStatus() {
  if (!status_shown_) return;
  const size_t rows = status_columns_ == 0 ? 1 : (status_columns_ - 1) / columns_ + 1;
  // One row: clear it; more: go up to the first, and clear to the end of the screen.
  const std::string clear =
      rows > 1 ? "\x1b[" + std::to_string(rows - 1) + "A\r\x1b[J" : std::string("\r\x1b[K");
  fputs(clear.c_str(), status_);
  fflush(status_);
  status_shown_ = false;
}

void TerminalView::Resized() {
  if (status_shown_) DrawStatus();
}

// The parts that do not fit go, the caption first, then the detail, then the meter; the state
// is cut last.
void TerminalView::DrawStatus() {
  // While an answer streams its line is the status; the meter would break it.
  if (!status_line_ || answer_open_) return;
  // The width is asked at every draw: a redraw may come between a resize and its SIGWINCH.
  if (const auto columns = static_cast<size_t>(Columns(fileno(status_))); columns != columns_) {
    columns_ = columns;
    ClearStatus();  // the rows the old line takes at the new width
  }
  const size_t room = columns_ > 1 ? columns_ - 1 : 1;
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
  fflush(out_);  // what the transcript wrote must land before the line is redrawn
  fputs(("\r\x1b[K" + line).c_str(), status_);
  fflush(status_);
  status_shown_ = true;
  status_columns_ = used;
}

void TerminalView::UserSaid(std::string_view text) {
  caption_.clear();  // the final words replace the caption
  Line(kCyan, "you: ", text);
}

void TerminalView::UserTyped(std::string_view text) { Line(kCyan, "you: ", text); }

void TerminalView::UserCaption(std::string_view text) {
  if (!status_line_) return;  // nothing but the final line where there is no status line
  std::string shown;
  AppendForDisplay(text, LineBreaks::kEscape, &shown);
  if (shown == caption_) return;
  caption_ = std::move(shown);
  if (caption_.empty() && !status_shown_) return;
  DrawStatus();
}

void TerminalView::ToolActivity(std::string_view line) { Line(kMagenta, "tool: ", line); }

// A transcript line of its own, even if an answer is streaming.
void TerminalView::Line(const char* color, const char* label, std::string_view text) {
  ClearStatus();
  if (answer_open_) {
    Write("\n");
    answer_open_ = false;
  }
  fputs(Paint(color, label).c_str(), out_);
  Write(text);
  Write("\n");
  fflush(out_);
  DrawStatus();
}

void TerminalView::AssistantDelta(std::string_view text) {
  if (!answer_open_) {
    ClearStatus();
    fputs(Paint(kGreen, "assistant: ").c_str(), out_);
    answer_open_ = true;
  }
  Write(text);
  fflush(out_);
}

void TerminalView::AssistantDone(bool interrupted) {
  if (!answer_open_) return;
  if (interrupted) fputs(Paint(kDim, " [interrupted]").c_str(), out_);
  Write("\n");
  fflush(out_);
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
  ClearStatus();
  // On a terminal the notice would land inside the answer's line: the line ends first (an
  // answer that goes on after a reconnect starts a line of its own). A piped transcript keeps
  // its lines whole.
  if (answer_open_ && out_is_terminal_) {
    Write("\n");
    fflush(out_);
    answer_open_ = false;
  }
  // Notices carry server text (errors, close reasons) that callers make printable; on a
  // terminal it is made sure of here too.
  std::string shown;
  if (status_line_) {
    AppendForDisplay(text, LineBreaks::kKeep, &shown);
  } else {
    shown = text;
  }
  fputs(Paint(kYellow, "voxterm: " + shown).c_str(), status_);
  fputs("\n", status_);
  fflush(status_);
  DrawStatus();
}

// The question comes from the server's arguments: filtered like any server text.
void TerminalView::AskToRun(std::string_view question) {
  if (answer_open_) {
    Write("\n");
    answer_open_ = false;
  }
  fflush(out_);
  TerminalFilter filter;
  Notice(status_line_ ? filter.Filter(question) : std::string(question));
}

}  // namespace voxterm
