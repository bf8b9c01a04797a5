#include "tools/spawn_tool_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tools/process_spawn.h"

namespace voxterm {
namespace {

// Between SIGTERM and SIGKILL at the time limit: long enough to clean up, short enough to wait.
constexpr int64_t kKillGraceMs = 500;

// What an epoll event is about: the low two bits of its data, the child's id above them.
enum Source : uint64_t { kExit = 0, kStdout = 1, kStderr = 2, kTimer = 3 };

// glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage, so C++ cannot link it.
int PidFdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void Close(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// The arguments reach stdin from a sealed in-memory file: the child reads them at its pace
// and the main loop never blocks writing into a pipe that nobody reads.
int StdinFile(const std::string& data) {
  int fd = memfd_create("voxterm-tool-stdin", MFD_CLOEXEC);
  if (fd < 0) return -1;
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return -1;
    }
    written += static_cast<size_t>(n);
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

}  // namespace

struct SpawnToolRunner::Child {
  pid_t pid = -1;
  int pid_fd = -1, out_fd = -1, err_fd = -1;
  std::string out, err;
  size_t max_output_bytes = 0;
  bool truncated = false;
  int64_t started_ms = 0;
  int64_t deadline_ms = 0;
  // kRunning until its deadline; kTerminating after SIGTERM, until kill_at_ms; then kKilled.
  enum class State { kRunning, kTerminating, kKilled } state = State::kRunning;
  int64_t kill_at_ms = 0;
  ToolResult::End killed_as = ToolResult::End::kExited;  // kTimedOut / kInterrupted once killed
};

Result<std::unique_ptr<SpawnToolRunner>> SpawnToolRunner::Create() {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return Status::Error(std::string("tools: epoll_create1: ") + strerror(errno));
  int timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd < 0) {
    close(epoll_fd);
    return Status::Error(std::string("tools: timerfd_create: ") + strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTimer;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer_fd, &ev);
  return std::unique_ptr<SpawnToolRunner>(new SpawnToolRunner(epoll_fd, timer_fd));
}

SpawnToolRunner::SpawnToolRunner(int epoll_fd, int timer_fd)
    : epoll_fd_(epoll_fd), timer_fd_(timer_fd) {}

// voxterm is leaving (the session ended, or a second Ctrl-C): no tool outlives it.
SpawnToolRunner::~SpawnToolRunner() {
  for (auto& [id, child] : children_) {
    kill(-child->pid, SIGKILL);
    waitpid(child->pid, nullptr, 0);
    Close(&child->pid_fd);
    Close(&child->out_fd);
    Close(&child->err_fd);
  }
  close(timer_fd_);
  close(epoll_fd_);
}

ToolRunner::Id SpawnToolRunner::Start(const ToolCommand& command) {
  const Id id = next_id_++;
  if (children_.size() >= kMaxRunning) {
    queued_.emplace_back(id, command);
  } else {
    Launch(id, command);
  }
  return id;
}

// Called as each command finishes: the first of those waiting takes its place.
void SpawnToolRunner::LaunchQueued() {
  while (children_.size() < kMaxRunning && !queued_.empty()) {
    auto [id, command] = std::move(queued_.front());
    queued_.pop_front();
    Launch(id, command);
  }
}

// Its time limit starts now, not when it was queued.
void SpawnToolRunner::Launch(Id id, const ToolCommand& command) {
  auto child = std::make_unique<Child>();
  child->started_ms = NowMs();
  child->deadline_ms = child->started_ms + command.timeout_ms;
  child->max_output_bytes = command.max_output_bytes;
  Status spawned = Spawn(command, child.get());
  if (!spawned.ok()) {
    ToolResult result;
    result.end = ToolResult::End::kFailedToStart;
    result.error = spawned.message();
    finished_.emplace_back(id, std::move(result));
    return;
  }
  const std::pair<int, uint64_t> sources[] = {
      {child->pid_fd, kExit}, {child->out_fd, kStdout}, {child->err_fd, kStderr}};
  for (const auto& [fd, source] : sources) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = (static_cast<uint64_t>(id) << 2) | source;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
  children_[id] = std::move(child);
  ArmTimer();
}

Status SpawnToolRunner::Spawn(const ToolCommand& command, Child* child) {
  const int in_fd = StdinFile(command.stdin_data);
  if (in_fd < 0) return Status::Error(std::string("stdin for the tool: ") + strerror(errno));
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    const std::string message = std::string("pipe: ") + strerror(errno);
    close(in_fd);
    return Status::Error(
        message);  // (a pipe made before the failure leaks: fds are nearly gone anyway)
  }
  auto spawned =
      SpawnInOwnGroup({command.argv, command.env, command.cwd}, in_fd, out_pipe[1], err_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(in_fd);
  if (!spawned.ok()) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return spawned.status();
  }
  const pid_t pid = *spawned;
  child->pid = pid;
  child->pid_fd = PidFdOpen(pid);
  if (child->pid_fd < 0) {
    const int open_error = errno;
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(out_pipe[0]);
    close(err_pipe[0]);
    return Status::Error(std::string("pidfd_open: ") + strerror(open_error));
  }
  child->out_fd = out_pipe[0];
  child->err_fd = err_pipe[0];
  fcntl(child->out_fd, F_SETFL, O_NONBLOCK);
  fcntl(child->err_fd, F_SETFL, O_NONBLOCK);
  return Status::Ok();
}

// Level-triggered: whatever is not handled now is reported again, so one pass per wake-up is
// enough; the loop drains every ready event before returning to poll.
void SpawnToolRunner::Work() {
  epoll_event events[16];
  int n;
  while ((n = epoll_wait(epoll_fd_, events, 16, 0)) > 0) {
    for (int i = 0; i < n; ++i) {
      const uint64_t data = events[i].data.u64;
      const Id id = static_cast<Id>(data >> 2);
      if ((data & 3) == kTimer) {
        uint64_t expirations;
        while (read(timer_fd_, &expirations, sizeof expirations) > 0) {
        }
        EnforceTimeLimits();
        continue;
      }
      auto it = children_.find(id);
      if (it == children_.end()) continue;  // finished earlier in this batch
      Child* child = it->second.get();
      if ((data & 3) == kStdout) ReadOutput(child, &child->out_fd, &child->out);
      if ((data & 3) == kStderr) ReadOutput(child, &child->err_fd, &child->err);
      if ((data & 3) == kExit) Reap(id);
    }
  }
}

// Reads what is there; keeps up to the limit and drops the rest, so a chatty tool never blocks
// on a full pipe. End of file closes the pipe.
void SpawnToolRunner::ReadOutput(Child* child, int* fd, std::string* into) {
  char buffer[16384];
  while (*fd >= 0) {
    const ssize_t n = read(*fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, *fd, nullptr);
      Close(fd);
      return;
    }
    const size_t room = child->max_output_bytes - std::min(child->max_output_bytes, into->size());
    into->append(buffer, std::min(room, static_cast<size_t>(n)));
    if (static_cast<size_t>(n) > room) child->truncated = true;
  }
}

// The command's own process has exited (and is a zombie until reaped, so its pid, which is
// also the group's id, cannot be reused yet): kill what it left in its group, take the last
// of its output, then reap it.
void SpawnToolRunner::Reap(Id id) {
  Child* child = children_[id].get();
  kill(-child->pid, SIGKILL);
  ReadOutput(child, &child->out_fd, &child->out);
  ReadOutput(child, &child->err_fd, &child->err);
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED) != 0 && errno == EINTR) {
  }
  ToolResult result;
  result.end = child->killed_as;
  if (result.end == ToolResult::End::kExited && info.si_code != CLD_EXITED)
    result.end = ToolResult::End::kSignaled;
  result.exit_code = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
  result.out = std::move(child->out);
  result.err = std::move(child->err);
  result.truncated = child->truncated;
  result.duration_ms = NowMs() - child->started_ms;
  Finish(id, std::move(result));
}

void SpawnToolRunner::Finish(Id id, ToolResult result) {
  Child* child = children_[id].get();
  for (int* fd : {&child->pid_fd, &child->out_fd, &child->err_fd}) {
    if (*fd >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, *fd, nullptr);
    Close(fd);
  }
  children_.erase(id);
  finished_.emplace_back(id, std::move(result));
  LaunchQueued();
  ArmTimer();
}

// A command past its time gets SIGTERM (and SIGCONT, should it be stopped), and SIGKILL if it
// is still there after the grace period.
void SpawnToolRunner::EnforceTimeLimits() {
  const int64_t now = NowMs();
  for (auto& [id, child] : children_) {
    if (child->state == Child::State::kTerminating && now >= child->kill_at_ms) {
      kill(-child->pid, SIGKILL);
      child->state = Child::State::kKilled;
    } else if (child->state == Child::State::kRunning && now >= child->deadline_ms) {
      child->killed_as = ToolResult::End::kTimedOut;
      kill(-child->pid, SIGTERM);
      kill(-child->pid, SIGCONT);
      child->state = Child::State::kTerminating;
      child->kill_at_ms = now + kKillGraceMs;
    }
  }
  ArmTimer();
}

// The timer fires at the next deadline or end of a grace period; disarmed when there is none.
void SpawnToolRunner::ArmTimer() {
  int64_t next = -1;
  for (const auto& [id, child] : children_) {
    if (child->state == Child::State::kKilled) continue;
    const int64_t at =
        child->state == Child::State::kTerminating ? child->kill_at_ms : child->deadline_ms;
    if (next < 0 || at < next) next = at;
  }
  itimerspec spec{};  // all zero disarms
  if (next >= 0) {
    next = std::max<int64_t>(next, 1);
    spec.it_value.tv_sec = next / 1000;
    spec.it_value.tv_nsec = (next % 1000) * 1000000;
  }
  timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

// SIGKILL at once: the user asked for control back, and a tool gets no grace for that. Those
// still waiting never start.
void SpawnToolRunner::InterruptAll() {
  for (auto& [id, command] : queued_) {
    ToolResult result;
    result.end = ToolResult::End::kInterrupted;
    finished_.emplace_back(id, std::move(result));
  }
  queued_.clear();
  for (auto& [id, child] : children_) {
    child->killed_as = ToolResult::End::kInterrupted;
    child->state = Child::State::kKilled;
    kill(-child->pid, SIGKILL);
  }
}

std::vector<std::pair<ToolRunner::Id, ToolResult>> SpawnToolRunner::TakeFinished() {
  std::vector<std::pair<Id, ToolResult>> out;
  out.swap(finished_);
  return out;
}

}  // namespace voxterm
