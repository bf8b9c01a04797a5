#include "app/api_key.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/clock.h"

extern char** environ;

namespace voxterm {

const char* ApiKeyVariable(const Config& config) {
  return config.azure ? "AZURE_OPENAI_API_KEY" : "OPENAI_API_KEY";
}

// A CR or LF in a key would end the header and start another (header injection). A quote or a
// backslash has no place in a key either, and would let a masked echo of it break JSON.
Status CheckApiKey(const std::string& key) {
  for (unsigned char c : key) {
    if (c <= 0x20 || c >= 0x7F || c == '"' || c == '\\') {
      return Status::Error("the API key contains spaces, quotes, control or non-ASCII characters");
    }
  }
  return Status::Ok();
}

namespace {

constexpr size_t kMaxKeyCommandOutput = 64 * 1024;
const char* const kKeyVariables[] = {"OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"};

// glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage, so C++ cannot link it.
int PidFdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

void ReadSome(int fd, std::string* output, bool* open) {
  char buffer[4096];
  const ssize_t n = read(fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    *open = false;
    return;
  }
  if (output->size() < kMaxKeyCommandOutput) output->append(buffer, static_cast<size_t>(n));
}

// Reads what the command prints until it exits or its time is up.
Result<std::string> ReadKeyCommand(pid_t pid, int out, int timeout_s) {
  const int pid_fd = PidFdOpen(pid);
  if (pid_fd < 0) {
    const int error = errno;
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return Status::Error(std::string("api_key_command: pidfd_open: ") + strerror(error));
  }
  std::string output;
  bool pipe_open = true, exited = false;
  const int64_t deadline_ms = SteadyClock().NowMs() + timeout_s * int64_t{1000};
  while (!exited) {
    const int64_t left_ms = deadline_ms - SteadyClock().NowMs();
    if (left_ms <= 0) break;
    pollfd fds[2] = {{pid_fd, POLLIN, 0}, {out, POLLIN, 0}};
    if (poll(fds, pipe_open ? 2 : 1, static_cast<int>(left_ms)) < 0 && errno != EINTR) break;
    if (fds[0].revents) exited = true;
    if (pipe_open && fds[1].revents) ReadSome(out, &output, &pipe_open);
  }
  if (exited && pipe_open) {
    // What the command wrote before it exited is in the pipe; a background child may still hold
    // it open, so read what is there and stop.
    fcntl(out, F_SETFL, O_NONBLOCK);
    size_t before;
    do {
      before = output.size();
      ReadSome(out, &output, &pipe_open);
    } while (pipe_open && output.size() > before);
  }
  close(pid_fd);
  if (!exited) kill(-pid, SIGKILL);  // the command's whole process group
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!exited) {
    return Status::Error("api_key_command did not finish within " + std::to_string(timeout_s) +
                         " s");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string how = WIFEXITED(status)
                          ? "exited with status " + std::to_string(WEXITSTATUS(status))
                          : std::string("did not exit normally");
    return Status::Error("api_key_command " + how);
  }
  // The key is the first line; trailing whitespace is the usual newline.
  output = output.substr(0, output.find('\n'));
  while (!output.empty() && (output.back() == '\r' || output.back() == ' ')) output.pop_back();
  if (output.empty()) return Status::Error("api_key_command printed no key");
  return output;
}

// The terminal, when voxterm is in its foreground; else -1.
int ForegroundTerminal() {
  const int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty >= 0 && tcgetpgrp(tty) == getpgrp()) return tty;
  if (tty >= 0) close(tty);
  return -1;
}

// Gives the terminal back to voxterm's process group, from the background: SIGTTOU is held off,
// as a shell does.
void TakeTerminalBack(int tty) {
  sigset_t ttou, old;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  pthread_sigmask(SIG_BLOCK, &ttou, &old);
  tcsetpgrp(tty, getpgrp());
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

// /bin/sh -c command, with stdin from /dev/null (the user's input is for the conversation),
// stdout to us and stderr left on the terminal, so that a password manager can ask for a
// passphrase there. The command runs in a process group of its own, made the terminal's
// foreground group (as a shell runs a job) so that it can still read the terminal, and so that
// past the time limit it is killed with everything it started. It is done when it exits: a child
// it left in the background (gpg-agent, say) may keep the pipe open, and is not waited for.
Result<std::string> RunKeyCommand(const std::string& command, int timeout_s) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    return Status::Error(std::string("api_key_command: pipe: ") + strerror(errno));
  const int tty = ForegroundTerminal();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  if (tty >= 0) posix_spawn_file_actions_addtcsetpgrp_np(&actions, tty);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // voxterm blocks SIGINT and SIGTERM (the signal watch takes them) and ignores SIGPIPE; the
  // command starts with neither, as from a shell.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int signo : {SIGINT, SIGTERM, SIGPIPE}) sigaddset(&defaults, signo);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, "/bin/sh", &actions, &attributes, const_cast<char**>(argv), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (spawned != 0) {
    if (tty >= 0) close(tty);
    close(out[0]);
    return Status::Error(std::string("api_key_command: could not start /bin/sh: ") +
                         strerror(spawned));
  }
  auto result = ReadKeyCommand(pid, out[0], timeout_s);
  close(out[0]);
  if (tty >= 0) {
    TakeTerminalBack(tty);
    close(tty);
  }
  return result;
}

}  // namespace

// The variables are wiped where they lie before they are removed: /proc/PID/environ shows the
// environment the process started with, not what unsetenv leaves, and root can read it.
void ScrubApiKeyVariables() {
  for (const char* variable : kKeyVariables) {
    if (char* value = getenv(variable)) memset(value, 0, strlen(value));
    unsetenv(variable);
  }
}

Result<std::string> ResolveApiKey(const Config& config) {
  const char* variable = ApiKeyVariable(config);
  const char* value = getenv(variable);
  std::string key;
  if (value && *value) {
    key = value;
  } else if (!config.api_key_command.empty()) {
    auto from_command = RunKeyCommand(config.api_key_command, config.api_key_command_timeout_s);
    if (!from_command.ok()) return from_command;
    key = *from_command;
  } else {
    return Result<std::string>::Error(std::string("no API key: set ") + variable +
                                      " or api_key_command in the config file");
  }
  Status ok = CheckApiKey(key);
  if (!ok.ok()) return ok;
  return key;
}

}  // namespace voxterm
