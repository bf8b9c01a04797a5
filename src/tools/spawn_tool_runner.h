// SpawnToolRunner: the ToolRunner of real child processes, as ninja's SubprocessSet.
// Each command starts with posix_spawn in a process group of its own, with a clean signal state,
// stdin from an in-memory file, stdout/stderr into pipes and no other descriptor. An epoll set
// holds the pipes, a pidfd per child and one timerfd for the time limits, so the main loop polls
// a single fd(). At most kMaxRunning commands run at once (each holds three descriptors, and a
// model may call a thousand tools in one response); the others wait, in order, and their time
// limit starts when they do.
// At the time limit the group gets SIGTERM, then SIGKILL after a grace period; when a command
// exits, whatever it left running in its group is killed, so no tool leaves an orphan behind
// (a process that leaves the group, with setsid, is beyond reach). Destruction kills and reaps
// every command still running.
// Thread safety: main thread only.
#pragma once

#include <sys/types.h>

#include <deque>
#include <map>
#include <memory>

#include "tools/tool_runner.h"
#include "util/status.h"

namespace voxterm {

class SpawnToolRunner final : public ToolRunner {
 public:
  static Result<std::unique_ptr<SpawnToolRunner>> Create();
  ~SpawnToolRunner() override;

  Id Start(const ToolCommand& command) override;
  int fd() const override { return epoll_fd_; }
  void Work() override;
  std::vector<std::pair<Id, ToolResult>> TakeFinished() override;
  void InterruptAll() override;
  // Commands not finished yet: running or waiting for their turn.
  size_t running() const override { return children_.size() + queued_.size(); }

  static constexpr size_t kMaxRunning = 4;

 private:
  struct Child;
  SpawnToolRunner(int epoll_fd, int timer_fd);
  void Launch(Id id, const ToolCommand& command);
  void LaunchQueued();
  Status Spawn(const ToolCommand& command, Child* child);
  void ReadOutput(Child* child, int* fd, std::string* into);
  void Reap(Id id);
  void EnforceTimeLimits();
  void ArmTimer();
  void Finish(Id id, ToolResult result);

  const int epoll_fd_;
  const int timer_fd_;
  Id next_id_ = 1;
  std::map<Id, std::unique_ptr<Child>> children_;
  std::deque<std::pair<Id, ToolCommand>> queued_;  // waiting for one of children_ to finish
  std::vector<std::pair<Id, ToolResult>> finished_;
};

}  // namespace voxterm
