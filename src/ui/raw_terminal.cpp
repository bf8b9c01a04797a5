#include "ui/raw_terminal.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ui/keys.h"

namespace voxterm {
namespace {

// For the fatal-signal handler, which can reach nothing else.
int g_fd = -1;
termios g_saved;
std::string_view g_on;                    // what turns the key reporting on (a constant's bytes)
std::string_view g_off;                   // and off again
volatile sig_atomic_t g_text_pushed = 0;  // TypeText(true)'s flags are on the kitty stack
// Every signal whose default action ends the process, but those the signal watch takes (INT,
// TERM) and those voxterm ignores (PIPE).
const int kFatalSignals[] = {SIGSEGV, SIGBUS,  SIGFPE,  SIGILL,  SIGABRT,   SIGQUIT,
                             SIGHUP,  SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF,
                             SIGXCPU, SIGXFSZ, SIGTRAP, SIGSYS,  SIGIO};

void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

void Restore() {
  if (g_fd < 0) return;
  if (g_text_pushed) WriteAll(g_fd, kKittyTextOff);
  g_text_pushed = 0;
  WriteAll(g_fd, g_off);
  tcsetattr(g_fd, TCSAFLUSH, &g_saved);
}

// Puts the terminal back, then lets the signal do what it would have done.
void OnFatalSignal(int signal) {
  Restore();
  g_fd = -1;
  // SA_RESETHAND restored the default action: raise again to crash or hang up as usual.
  raise(signal);
}

}  // namespace

Result<std::unique_ptr<RawTerminal>> RawTerminal::Enter(int fd, Keys keys) {
  if (!isatty(fd)) return Status::Error("stdin is not a terminal");
  if (tcgetattr(fd, &g_saved) != 0)
    return Status::Error(std::string("terminal: ") + strerror(errno));
  g_fd = fd;
  g_on = keys == Keys::kReleases ? kKittyKeysOn : kBracketedPasteOn;
  g_off = keys == Keys::kReleases ? kKittyKeysOff : kBracketedPasteOff;
  struct sigaction action {};
  action.sa_handler = OnFatalSignal;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int s : kFatalSignals) sigaction(s, &action, nullptr);
  std::unique_ptr<RawTerminal> terminal(new RawTerminal(fd));
  terminal->MakeRaw();
  return terminal;
}

void RawTerminal::MakeRaw() {
  termios raw = g_saved;
  // Keys one at a time, no echo, and Ctrl-C / Ctrl-Z as bytes (ISIG off): voxterm handles them
  // itself, so it can put the terminal back before stopping. Output processing stays on,
  // so "\n" still starts a new line.
  raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG | IEXTEN);
  raw.c_iflag &= ~static_cast<tcflag_t>(IXON | ICRNL);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  tcsetattr(fd_, TCSAFLUSH, &raw);
  WriteAll(fd_, g_on);
}

RawTerminal::~RawTerminal() {
  Restore();
  g_fd = -1;
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  for (int s : kFatalSignals) sigaction(s, &action, nullptr);
}

void RawTerminal::RestoreForExit() { Restore(); }

void RawTerminal::TypeText(bool on) {
  if (g_on != kKittyKeysOn || static_cast<bool>(g_text_pushed) == on) return;
  WriteAll(fd_, on ? kKittyTextOn : kKittyTextOff);
  g_text_pushed = on;
}

void RawTerminal::Suspend() {
  Restore();
  // SIGTSTP's default action stops the process; execution resumes here after fg.
  raise(SIGTSTP);
  MakeRaw();
}

}  // namespace voxterm
