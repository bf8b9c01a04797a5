// SpawnToolRunner with real processes and a real /bin/sh (as ninja's subprocess_test.cc).
#include "tools/spawn_tool_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

using namespace voxterm;

namespace {

ToolCommand Sh(const std::string& script, int timeout_ms = 10000) {
  ToolCommand c;
  c.argv = {"/bin/sh", "-c", script};
  c.env = {"PATH=/usr/bin:/bin"};
  c.timeout_ms = timeout_ms;
  return c;
}

struct Runner {
  Runner() {
    auto created = SpawnToolRunner::Create();
    REQUIRE(created.ok());
    runner = std::move(*created);
  }
  std::unique_ptr<SpawnToolRunner> runner;
  std::map<ToolRunner::Id, ToolResult> results;

  // Polls the runner's fd as the main loop does, until every command has finished; a hard
  // limit keeps a broken runner from hanging the suite.
  void WaitAll(int limit_ms = 20000) {
    for (auto& [id, r] : runner->TakeFinished()) results[id] = r;
    for (int waited = 0; runner->running() > 0 && waited < limit_ms; waited += 50) {
      pollfd p{runner->fd(), POLLIN, 0};
      if (poll(&p, 1, 50) > 0) runner->Work();
      for (auto& [id, r] : runner->TakeFinished()) results[id] = r;
    }
    REQUIRE(runner->running() == 0);
  }
  ToolResult Run(const ToolCommand& c) {
    const auto id = runner->Start(c);
    WaitAll();
    return results.at(id);
  }
};

// Running, not a zombie: a killed orphan stays a zombie until init reaps it, and a container's
// init may never do so.
bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("a command's exit code, stdout and stderr come back apart", "[tools][process]") {
  Runner r;
  ToolResult result = r.Run(Sh("echo out; echo err >&2; exit 7"));
  CHECK(result.end == ToolResult::End::kExited);
  CHECK(result.exit_code == 7);
  CHECK(result.out == "out\n");
  CHECK(result.err == "err\n");
  CHECK_FALSE(result.truncated);
}

TEST_CASE("stdin, environment and directory are the command's own", "[tools][process]") {
  Runner r;
  ToolCommand c = Sh("cat; printf '|%s|%s' \"$GREETING\" \"$(pwd)\"");
  c.stdin_data = R"({"a":"b"})";
  c.env.push_back("GREETING=hi there");
  c.cwd = "/tmp";
  ToolResult result = r.Run(c);
  CHECK(result.out == R"({"a":"b"}|hi there|/tmp)");
}

TEST_CASE("a command starts with default signals, none blocked, in a group of its own",
          "[tools][process]") {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, &old);  // as voxterm's main thread has it
  signal(SIGPIPE, SIG_IGN);
  Runner r;
  ToolResult result =
      r.Run(Sh("grep -E '^(SigBlk|SigIgn)' /proc/self/status; read -r _ _ _ _ pgid _ < "
               "/proc/$$/stat; echo $pgid $$"));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  signal(SIGPIPE, SIG_DFL);
  INFO(result.out);
  // The classic signals, 1 to 31; glibc's posix_spawn leaves its own internal ones (32, 33)
  // ignored, which no program uses.
  auto mask = [&](const char* field) {
    const size_t at = result.out.find(field);
    REQUIRE(at != std::string::npos);
    return std::stoull(result.out.substr(at + strlen(field)), nullptr, 16) & 0x7FFFFFFFull;
  };
  CHECK(mask("SigBlk:\t") == 0);
  CHECK(mask("SigIgn:\t") == 0);
  // The shell leads its own group: its pgid is its pid.
  std::istringstream lines(result.out.substr(result.out.find('\n', result.out.find("SigIgn")) + 1));
  long pgid = 0, pid = 0;
  lines >> pgid >> pid;
  CHECK(pgid == pid);
  CHECK(pgid != getpgrp());
}

TEST_CASE("at the time limit the whole group is killed and no orphan is left", "[tools][process]") {
  Runner r;
  char dir[] = "/tmp/voxterm-tool-XXXXXX";
  REQUIRE(mkdtemp(dir));
  const std::string pids = std::string(dir) + "/pids";
  // A shell with a child and a grandchild, all sleeping, each writing down its pid.
  ToolResult result = r.Run(Sh("sleep 60 & echo $! >> " + pids + "; (sleep 60 & echo $! >> " +
                                   pids + "; wait) & echo $$ >> " + pids + "; wait",
                               300));
  CHECK(result.end == ToolResult::End::kTimedOut);
  std::istringstream in(ReadFile(pids));
  int count = 0;
  for (pid_t pid; in >> pid; ++count) {
    INFO(pid);
    // Killed and reaped by init (or us) soon after: give it a moment.
    for (int i = 0; i < 100 && Alive(pid); ++i) usleep(10000);
    CHECK_FALSE(Alive(pid));
  }
  CHECK(count == 3);
  std::system(("rm -rf " + std::string(dir)).c_str());
}

TEST_CASE("a command that ignores SIGTERM is killed after the grace period", "[tools][process]") {
  Runner r;
  ToolResult result = r.Run(Sh("trap '' TERM; echo started; while :; do sleep 0.05; done", 200));
  CHECK(result.end == ToolResult::End::kTimedOut);
  CHECK(result.out == "started\n");  // what it wrote before still counts
}

TEST_CASE("what a command leaves running in its group ends with it", "[tools][process]") {
  Runner r;
  ToolResult result = r.Run(Sh("sleep 60 & echo $!"));
  CHECK(result.end == ToolResult::End::kExited);
  const pid_t background = std::atoi(result.out.c_str());
  REQUIRE(background > 0);
  for (int i = 0; i < 100 && Alive(background); ++i) usleep(10000);
  CHECK_FALSE(Alive(background));
}

TEST_CASE("output past the limit is read and dropped, and says so", "[tools][process]") {
  Runner r;
  ToolCommand c = Sh("head -c 1000000 /dev/zero | tr '\\0' x; echo done >&2");
  c.max_output_bytes = 1000;
  ToolResult result = r.Run(c);
  CHECK(result.exit_code == 0);  // the command never blocked on a full pipe
  CHECK(result.out == std::string(1000, 'x'));
  CHECK(result.err == "done\n");
  CHECK(result.truncated);
}

TEST_CASE("a command that cannot start says why", "[tools][process]") {
  Runner r;
  ToolCommand missing;
  missing.argv = {"voxterm-no-such-program"};
  missing.env = {"PATH=/usr/bin:/bin"};
  ToolResult result = r.Run(missing);
  CHECK(result.end == ToolResult::End::kFailedToStart);
  CHECK(result.error == "voxterm-no-such-program: command not found");

  ToolCommand bad_dir = Sh("true");
  bad_dir.cwd = "/nonexistent/dir";
  result = r.Run(bad_dir);
  CHECK(result.end == ToolResult::End::kFailedToStart);
  CHECK(result.error.find("/nonexistent/dir") != std::string::npos);

  ToolCommand too_long = Sh("true");
  too_long.argv.push_back(std::string(1 << 20, 'x'));  // past the kernel's limit for one argument
  result = r.Run(too_long);
  CHECK(result.end == ToolResult::End::kFailedToStart);
}

TEST_CASE("the program is looked up on the command's own PATH", "[tools][process]") {
  Runner r;
  ToolCommand c;
  c.argv = {"sh", "-c", "echo found"};
  c.env = {"PATH=/nonexistent:/bin"};
  CHECK(r.Run(c).out == "found\n");
}

TEST_CASE("several commands run at once and finish in their own time", "[tools][process]") {
  Runner r;
  const auto slow = r.runner->Start(Sh("sleep 0.3; echo slow"));
  const auto fast = r.runner->Start(Sh("echo fast"));
  r.WaitAll();
  CHECK(r.results.at(slow).out == "slow\n");
  CHECK(r.results.at(fast).out == "fast\n");
}

TEST_CASE("an interrupt kills every running command", "[tools][process]") {
  Runner r;
  const auto a = r.runner->Start(Sh("sleep 60"));
  const auto b = r.runner->Start(Sh("sleep 60"));
  r.runner->InterruptAll();
  r.WaitAll();
  CHECK(r.results.at(a).end == ToolResult::End::kInterrupted);
  CHECK(r.results.at(b).end == ToolResult::End::kInterrupted);
}

TEST_CASE("a command inherits no descriptor but its stdin, stdout and stderr", "[tools][spawn]") {
  // As voxterm's own files would be if opened without O_CLOEXEC (and a library's may be).
  const int file = open("/dev/null", O_RDONLY);
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  Runner r;
  // The shell's own descriptors, as ls (its child) sees them in /proc.
  ToolResult result = r.Run(Sh("ls /proc/$$/fd"));
  close(file);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "0\n1\n2\n");
}

TEST_CASE("at most four commands run at once; the others wait their turn", "[tools][spawn]") {
  char dir[] = "/tmp/voxterm-spawn-XXXXXX";
  REQUIRE(mkdtemp(dir));
  Runner r;
  // Each counts the commands running beside it, itself included.
  ToolCommand c = Sh(std::string("cd ") + dir + "; : > $$; sleep 0.05; set -- *; echo $#; rm $$");
  std::vector<ToolRunner::Id> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(r.runner->Start(c));
  CHECK(r.runner->running() == 12);
  r.WaitAll();
  rmdir(dir);
  int most = 0;
  for (ToolRunner::Id id : ids) {
    REQUIRE(r.results.count(id));
    CHECK(r.results[id].exit_code == 0);
    most = std::max(most, std::atoi(r.results[id].out.c_str()));
  }
  CHECK(most >= 1);
  CHECK(most <= static_cast<int>(SpawnToolRunner::kMaxRunning));
}

TEST_CASE("a waiting command's time limit starts when it starts", "[tools][spawn]") {
  Runner r;
  std::vector<ToolRunner::Id> ids;
  // Two rounds of 0.3 s: the second round would be past 0.5 s counted from Start().
  for (size_t i = 0; i < 2 * SpawnToolRunner::kMaxRunning; ++i)
    ids.push_back(r.runner->Start(Sh("sleep 0.3", 500)));
  r.WaitAll();
  for (ToolRunner::Id id : ids) CHECK(r.results[id].end == ToolResult::End::kExited);
}

TEST_CASE("an interrupt ends the waiting commands too, without running them", "[tools][spawn]") {
  Runner r;
  char dir[] = "/tmp/voxterm-spawn-XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::vector<ToolRunner::Id> ids;
  for (int i = 0; i < 10; ++i)
    ids.push_back(r.runner->Start(Sh(std::string("touch ") + dir + "/$$; exec sleep 30")));
  r.runner->InterruptAll();
  r.WaitAll(5000);
  for (ToolRunner::Id id : ids) CHECK(r.results[id].end == ToolResult::End::kInterrupted);
  int ran = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::filesystem::remove(entry.path());
    ++ran;
  }
  rmdir(dir);
  CHECK(ran <= static_cast<int>(SpawnToolRunner::kMaxRunning));
}

TEST_CASE("a burst of commands does not run out of descriptors", "[tools][spawn]") {
  rlimit saved;
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit low = saved;
  low.rlim_cur = 64;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  {
    Runner r;
    ToolCommand c;
    c.argv = {"/bin/true"};
    std::vector<ToolRunner::Id> ids;
    for (int i = 0; i < 300; ++i) ids.push_back(r.runner->Start(c));
    r.WaitAll();
    int failed = 0;
    for (ToolRunner::Id id : ids) failed += r.results[id].end != ToolResult::End::kExited;
    CHECK(failed == 0);
  }
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
}
