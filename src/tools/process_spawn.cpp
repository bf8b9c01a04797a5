#include "tools/process_spawn.h"

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace voxterm {
namespace {

// The program posix_spawn should run: argv[0] itself when it has a slash, else its first
// executable match on the PATH the child will have (its own environment's, not voxterm's).
Result<std::string> FindProgram(const ProcessSpec& spec) {
  const std::string& name = spec.argv[0];
  if (name.find('/') != std::string::npos) return name;
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const std::string& e : spec.env) {
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  size_t begin = 0;
  for (;;) {
    const size_t end = path.find(':', begin);
    std::string dir = path.substr(begin, end == std::string::npos ? end : end - begin);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return Status::Error(name + ": command not found");
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<pid_t> SpawnInOwnGroup(const ProcessSpec& spec, int stdin_fd, int stdout_fd, int stderr_fd) {
  if (spec.argv.empty()) return Status::Error("no program to run");
  auto program = FindProgram(spec);
  if (!program.ok()) return program.status();
  // posix_spawn's errno cannot tell a bad directory from a bad program: look first.
  struct stat st;
  if (!spec.cwd.empty() && stat(spec.cwd.c_str(), &st) != 0) {
    return Status::Error("cwd " + spec.cwd + ": " + strerror(errno));
  }
  if (!spec.cwd.empty() && !S_ISDIR(st.st_mode))
    return Status::Error("cwd " + spec.cwd + ": not a directory");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
  // Nothing else of voxterm's: not its event log, stats or recordings, nor its sockets, nor
  // what a library opened without O_CLOEXEC. (close_range in the child.)
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());
  // A group of its own: the terminal's Ctrl-C reaches voxterm, not the child, and a time limit
  // can kill everything the child started. voxterm blocks SIGINT and ignores SIGPIPE; the child
  // starts with every signal at its default and none blocked.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv = CStrings(spec.argv);
  std::vector<char*> envp = CStrings(spec.env);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, program->c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return Status::Error(spec.argv[0] + ": " + strerror(error));
  return pid;
}

}  // namespace voxterm
