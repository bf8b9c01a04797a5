#include "app/signal_watch.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <thread>

#include "tools/child_groups.h"
#include "ui/raw_terminal.h"
#include "util/exit_code.h"

namespace voxterm {
namespace {

int g_read_fd = -1;   // the main thread's end
int g_write_fd = -1;  // the watching thread's end
// Signals received (written by the watching thread) and absorbed (by the main thread): the
// process is due to end while received > absorbed.
std::atomic<uint64_t> g_received{0};
std::atomic<uint64_t> g_absorbed{0};
std::atomic<bool> g_resized{false};

int64_t NowMs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * int64_t{1000} + now.tv_nsec / 1000000;
}

// No stdio, no locks, no destructors: the main thread may be anywhere, holding anything. Nothing
// is printed, since stderr may be the very pipe that is stuck. The exit_group system call itself,
// not _exit(): a sanitizer's _exit() interceptor flushes stdio first, and waits forever for the
// stdout lock that the main thread holds while it is stuck writing to a full pipe.
[[noreturn]] void ExitNow() {
  RawTerminal::RestoreForExit();
  KillChildGroups();  // no destructor runs: the MCP servers would outlive voxterm
  syscall(SYS_exit_group, ToInt(ExitCode::kInterrupted));
  __builtin_unreachable();
}

void Watch(sigset_t set) {
  pthread_setname_np(pthread_self(), "vt-signals");
  int64_t deadline_ms = -1;  // when the process ends, while a signal is not absorbed
  for (;;) {
    const bool pending =
        g_absorbed.load(std::memory_order_acquire) < g_received.load(std::memory_order_relaxed);
    if (!pending) deadline_ms = -1;
    if (pending && NowMs() >= deadline_ms) ExitNow();
    siginfo_t info;
    int signo;
    if (deadline_ms < 0) {
      signo = sigwaitinfo(&set, &info);
    } else {
      const int64_t left_ms = deadline_ms - NowMs();
      const timespec wait = {static_cast<time_t>(left_ms / 1000),
                             static_cast<long>(left_ms % 1000) * 1000000};
      signo = sigtimedwait(&set, &info, &wait);
    }
    if (signo <= 0) continue;  // the deadline, or EINTR: checked at the top
    if (signo == SIGWINCH) {   // a redraw, not a reason to quit: the loop wakes for it
      if (!g_resized.exchange(true, std::memory_order_relaxed)) {
        const unsigned char byte = SIGWINCH;
        (void)!write(g_write_fd, &byte, 1);
      }
      continue;
    }
    // The clock starts at the first signal not yet absorbed.
    if (g_absorbed.load(std::memory_order_acquire) == g_received.load(std::memory_order_relaxed)) {
      deadline_ms = NowMs() + kExitGraceMs;
    }
    g_received.fetch_add(1, std::memory_order_release);
    const unsigned char byte = static_cast<unsigned char>(signo);
    (void)!write(g_write_fd, &byte, 1);  // the pipe never fills: a byte per signal
  }
}

}  // namespace

int StartSignalWatch() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGWINCH);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
  g_read_fd = fds[0];
  g_write_fd = fds[1];
  std::thread(Watch, set).detach();  // lives as long as the process
  return g_read_fd;
}

int TakeSignal() {
  unsigned char byte;
  while (read(g_read_fd, &byte, 1) == 1) {
    if (byte != SIGWINCH) return byte;  // a resize's wake-up: TakeResize says it
  }
  return 0;
}

void SignalAbsorbed() { g_absorbed.fetch_add(1, std::memory_order_release); }

bool TakeResize() { return g_resized.exchange(false, std::memory_order_relaxed); }

}  // namespace voxterm
