// TerminalInput: what the user types at a terminal, in the text chat and in a spoken
// conversation. Keys come raw (RawTerminal, bracketed paste on) and are edited in the screen's
// edit row (LineEditor, Screen); Enter hands the line on. The keys that are not editing go to
// the handler:
//   Ctrl-C   stops what the handler can stop (a tool, an answer); if nothing, drops the line
//            being typed; on none, quits
//   Ctrl-D   on none: the end of input; at a line's end: the line is sent, then the end
//   Ctrl-T   the handler's (mute)        Ctrl-Z   suspends, the terminal put back
//   Ctrl-L   draws the rows again        Escape   drops the line being typed
// In push-to-talk the keys are the mode's own, and it hands them here only while a line is
// typed (KeyTyping): "/" or a paste starts one, and it ends when sent or dropped.
// Thread safety: main thread only.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ui/keys.h"
#include "ui/line_editor.h"
#include "ui/raw_terminal.h"
#include "ui/screen.h"
#include "util/clock.h"
#include "util/status.h"

namespace voxterm {

// What push-to-talk sees of the typing: whether a line is being typed, and where its keys go.
class KeyTyping {
 public:
  virtual ~KeyTyping() = default;
  virtual bool Typing() const = 0;
  virtual void TypeKey(const Key& key) = 0;
  // Inside a bracketed paste: a lone ESC is the start of its end mark, not the Escape key.
  virtual bool Pasting() const = 0;
};

class TerminalInput final : public KeyTyping {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void OnLine(std::string line) = 0;
    virtual bool OnStopKey() = 0;  // Ctrl-C: true when it stopped something
    virtual void OnQuitKey() = 0;  // Ctrl-C that stopped nothing, with nothing typed
    virtual void OnEndKey() = 0;   // Ctrl-D with nothing typed, or after the line it sent
    virtual void OnMuteKey() = 0;  // Ctrl-T
  };

  // echo: a sent line is written above the rows as "> line" (the text chat, whose transcript
  // has no "you:" lines of its own). REQUIRES: fd is a terminal; screen and handler outlive it.
  static Result<std::unique_ptr<TerminalInput>> Start(int fd, Screen* screen, Handler* handler,
                                                      const Clock* clock, bool echo);
  // For push-to-talk, which reads the terminal itself and hands keys to TypeKey.
  TerminalInput(Screen* screen, Handler* handler)
      : TerminalInput(-1, nullptr, screen, handler, nullptr, /*echo=*/false) {}
  ~TerminalInput() override;

  // KeyTyping: a line is being typed (or the prompt waits for one).
  bool Typing() const override {
    return prompt_wanted_ || open_ || !editor_.empty() || editor_.pasting();
  }
  void TypeKey(const Key& key) override;
  bool Pasting() const override { return editor_.pasting(); }

  // Reads what is there and handles it; false when the terminal is gone.
  bool ReadAvailable();
  // A lone ESC waits kEscapeWaitMs for the rest of a sequence: milliseconds until OnDue has
  // something to do, -1 for nothing; OnDue takes it as the Escape key once that time is up.
  int64_t MsUntilDue() const;
  void OnDue();
  // The text chat waits for a line: the prompt shows even with nothing typed. Otherwise the
  // edit row is there only while something is typed.
  void SetPromptWanted(bool wanted);
  // The edit row, as the line is now.
  void Draw();
  // The input is over (Ctrl-D, the session closing): no more lines; only Ctrl-C (which can
  // still end the run) and Ctrl-Z are taken, and the edit row goes.
  void Close();

 private:
  TerminalInput(int fd, std::unique_ptr<RawTerminal> terminal, Screen* screen, Handler* handler,
                const Clock* clock, bool echo)
      : fd_(fd),
        terminal_(std::move(terminal)),
        screen_(screen),
        handler_(handler),
        clock_(clock),
        echo_(echo) {}
  // True when the row must be drawn again.
  bool Handle(const Key& key);
  void OnKey(const Key& key);
  void Send();
  void Drop();  // the line being typed goes, unsent

  const int fd_;
  std::unique_ptr<RawTerminal> terminal_;
  Screen* const screen_;
  Handler* const handler_;
  const Clock* const clock_;  // null for push-to-talk, which times its own keys
  const bool echo_;
  int64_t escape_since_ms_ = 0;  // when decoder_ began holding a lone ESC
  KeyDecoder decoder_;
  LineEditor editor_;
  bool prompt_wanted_ = false;
  bool open_ = false;  // TypeKey started a line: it stays, empty or not, until sent or dropped
  bool closed_ = false;
};

}  // namespace voxterm
