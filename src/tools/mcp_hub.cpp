#include "tools/mcp_hub.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "util/log.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

// epoll data: the timer, or a server's index.
constexpr uint64_t kTimerTag = ~uint64_t{0};

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// A server's words on one line, for a warning.
std::string OneLine(std::string_view text) {
  std::string out;
  AppendForDisplay(text, LineBreaks::kEscape, &out, 300);
  return out;
}

}  // namespace

Result<std::unique_ptr<McpHub>> McpHub::Create(std::vector<McpServerConfig> configs,
                                               std::vector<std::string> base_env,
                                               int interrupt_fd) {
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return Status::Error(std::string("mcp: epoll_create1: ") + strerror(errno));
  const int timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd < 0) {
    const int error = errno;
    close(epoll_fd);
    return Status::Error(std::string("mcp: timerfd_create: ") + strerror(error));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTimerTag;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer_fd, &ev);
  return std::unique_ptr<McpHub>(
      new McpHub(epoll_fd, timer_fd, std::move(configs), std::move(base_env), interrupt_fd));
}

McpHub::McpHub(int epoll_fd, int timer_fd, std::vector<McpServerConfig> configs,
               std::vector<std::string> base_env, int interrupt_fd)
    : epoll_fd_(epoll_fd),
      timer_fd_(timer_fd),
      base_env_(std::move(base_env)),
      interrupt_fd_(interrupt_fd) {
  for (McpServerConfig& config : configs) {
    Server& s = servers_.emplace_back();
    s.server = std::make_unique<McpServer>(std::move(config), base_env_);
    s.server->SetInterruptFd(interrupt_fd_);
  }
}

// Servers first (each closes its pipes as it stops), then the descriptors that watched them.
McpHub::~McpHub() {
  servers_.clear();
  close(timer_fd_);
  close(epoll_fd_);
}

void McpHub::StartAll() {
  for (size_t i = 0; i < servers_.size(); ++i) StartServer(i);
  ListFunctions();
  tools_changed_ = false;  // the session's first tools: nothing to declare again
}

bool McpHub::StartServer(size_t i) {
  Server& s = servers_[i];
  const std::string& name = s.server->config().name;
  Status started = s.server->Start();
  if (!started.ok()) {
    ++s.failures;
    s.gone = "it does not start: " + OneLine(started.message());
    LOG_WARN("mcp server \"%s\" does not start: %s; the conversation goes on without its tools",
             name.c_str(), OneLine(started.message()).c_str());
    return false;
  }
  s.gone.clear();
  for (const std::string& skipped : s.server->skipped())
    LOG_INFO("mcp %s: left out: %s", name.c_str(), OneLine(skipped).c_str());
  LOG_INFO("mcp %s: started, %zu tools", name.c_str(), s.server->tools().size());
  Watch(i);
  return true;
}

void McpHub::Watch(size_t i) {
  for (int fd : {servers_[i].server->out_fd(), servers_[i].server->err_fd()}) {
    if (fd < 0) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void McpHub::ListFunctions() {
  std::vector<McpFunction> before = std::move(functions_);
  functions_.clear();
  // A server stopped for good keeps its tools (the session declared them): their calls are
  // answered with the reason.
  for (const Server& s : servers_) {
    const McpServerConfig& config = s.server->config();
    for (const McpTool& tool : s.server->tools()) {
      McpFunction f;
      f.name = config.name + "__" + tool.name;
      f.server = config.name;
      f.tool = tool.name;
      f.description = tool.description;
      f.parameters_json = tool.input_schema_json;
      f.confirm = config.NeedsConfirm(tool.name);
      f.timeout_ms = config.timeout_ms;
      functions_.push_back(std::move(f));
    }
  }
  auto same = [](const McpFunction& a, const McpFunction& b) {
    return a.name == b.name && a.description == b.description &&
           a.parameters_json == b.parameters_json;
  };
  if (!std::equal(before.begin(), before.end(), functions_.begin(), functions_.end(), same)) {
    tools_changed_ = true;
  }
}

void McpHub::RelistIfChanged(size_t i) {
  McpServer& server = *servers_[i].server;
  if (!server.running() || !server.tools_changed() || server.calls_in_flight()) return;
  Status listed = server.Relist();
  if (!listed.ok()) return ServerFailed(i, "tools/list after list_changed: " + listed.message());
  LOG_INFO("mcp %s: its tools changed: %zu now", server.config().name.c_str(),
           server.tools().size());
  ListFunctions();
}

McpCalls::Id McpHub::Start(const std::string& function, const std::string& arguments_json) {
  const Id id = next_id_++;
  const int64_t now = NowMs();
  size_t i = servers_.size();
  std::string tool;
  for (const McpFunction& f : functions_) {
    if (f.name != function) continue;
    tool = f.tool;
    for (i = 0; i < servers_.size() && servers_[i].server->config().name != f.server; ++i) {
    }
  }
  McpCallOutcome failed;
  failed.end = McpCallOutcome::End::kFailed;
  if (i == servers_.size()) {
    failed.error = "no MCP tool is named \"" + function + "\"";
    Finish(id, std::move(failed));
    return id;
  }
  Server& s = servers_[i];
  if (!s.server->running()) {
    failed.error = "the server \"" + s.server->config().name + "\" is not running (" +
                   (s.gone.empty() ? std::string("stopped") : s.gone) + ")";
    Finish(id, std::move(failed));
    return id;
  }
  auto request = s.server->SendCall(tool, arguments_json);
  if (!request.ok()) {
    failed.error = request.message();
    Finish(id, std::move(failed));
    ServerFailed(i, request.message());
    return id;
  }
  pending_[id] = {i, *request, now, now + s.server->config().timeout_ms};
  ArmTimer();
  return id;
}

void McpHub::Work() {
  epoll_event events[16];
  int n;
  std::set<size_t> ready;
  while ((n = epoll_wait(epoll_fd_, events, 16, 0)) > 0) {
    for (int e = 0; e < n; ++e) {
      if (events[e].data.u64 == kTimerTag) {
        uint64_t expirations;
        while (read(timer_fd_, &expirations, sizeof expirations) > 0) {
        }
      } else {
        ready.insert(static_cast<size_t>(events[e].data.u64));
      }
    }
    // Each ready server is read to its pipe's end below: the level-triggered events are gone
    // then, so one more round only finds what came since.
    for (size_t i : ready) Pump(i);
    ready.clear();
  }
  EnforceTimeLimits();
  ArmTimer();
}

void McpHub::Pump(size_t i) {
  Server& s = servers_[i];
  if (!s.server->running()) return;
  std::vector<McpServer::CallAnswer> answers;
  Status pumped = s.server->Pump(kMaxOutputBytes, &answers);
  const int64_t now = NowMs();
  for (McpServer::CallAnswer& answer : answers) {
    auto it = std::find_if(pending_.begin(), pending_.end(), [&](const auto& entry) {
      return entry.second.server == i && entry.second.request == answer.id;
    });
    if (it == pending_.end()) continue;
    McpCallOutcome outcome;
    outcome.duration_ms = now - it->second.started_ms;
    if (answer.result.ok()) {
      outcome.result = std::move(*answer.result);
    } else {
      outcome.end = McpCallOutcome::End::kFailed;
      outcome.error = answer.result.message();
    }
    const Id id = it->first;
    pending_.erase(it);
    Finish(id, std::move(outcome));
  }
  if (!pumped.ok()) return ServerFailed(i, pumped.message());
  RelistIfChanged(i);
}

// A failed server's calls cannot be answered any more: each gets an error output now. The
// server is started again once, so that one crash does not cost the conversation its tools.
void McpHub::ServerFailed(size_t i, const std::string& why) {
  Server& s = servers_[i];
  s.server->Kill();  // stopped already after most failures; a hung one is killed here
  const std::string name = s.server->config().name;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.server != i) {
      ++it;
      continue;
    }
    McpCallOutcome outcome;
    outcome.end = McpCallOutcome::End::kFailed;
    outcome.error = "the server \"" + name + "\" failed: " + OneLine(why);
    outcome.duration_ms = NowMs() - it->second.started_ms;
    const Id id = it->first;
    it = pending_.erase(it);
    Finish(id, std::move(outcome));
  }
  if (++s.failures >= 2) {
    s.gone = "it failed twice, the last time: " + OneLine(why);
    LOG_WARN("mcp server \"%s\" failed again (%s): it stays stopped", name.c_str(),
             OneLine(why).c_str());
    ListFunctions();
    return;
  }
  LOG_WARN("mcp server \"%s\" failed (%s): starting it again", name.c_str(), OneLine(why).c_str());
  // A restart's handshake waits, as the first start did, at most the server's time limit.
  if (StartServer(i)) {
    ListFunctions();
  } else {
    ++s.failures;
    s.gone = "it failed, and did not start again: " + s.gone;
    ListFunctions();
  }
}

void McpHub::EnforceTimeLimits() {
  const int64_t now = NowMs();
  std::set<size_t> hung;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline_ms > now) {
      ++it;
      continue;
    }
    const size_t i = it->second.server;
    McpCallOutcome outcome;
    outcome.end = McpCallOutcome::End::kTimedOut;
    outcome.error =
        "no answer within " + std::to_string(servers_[i].server->config().timeout_ms) + " ms";
    outcome.duration_ms = now - it->second.started_ms;
    const Id id = it->first;
    it = pending_.erase(it);
    Finish(id, std::move(outcome));
    hung.insert(i);
  }
  // A server that leaves a call unanswered at its time limit is taken as hung.
  for (size_t i : hung) {
    ServerFailed(i, "no answer to a call within " +
                        std::to_string(servers_[i].server->config().timeout_ms) + " ms");
  }
}

void McpHub::ArmTimer() {
  int64_t earliest = -1;
  for (const auto& [id, p] : pending_) {
    if (earliest < 0 || p.deadline_ms < earliest) earliest = p.deadline_ms;
  }
  itimerspec spec{};
  if (earliest >= 0) {
    // 0 would disarm it: a deadline already past fires at once.
    const int64_t at = std::max<int64_t>(earliest, 1);
    spec.it_value.tv_sec = at / 1000;
    spec.it_value.tv_nsec = (at % 1000) * 1000000;
  }
  timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void McpHub::InterruptAll() {
  const int64_t now = NowMs();
  for (auto& [id, p] : pending_) {
    servers_[p.server].server->Cancel(p.request);
    McpCallOutcome outcome;
    outcome.end = McpCallOutcome::End::kInterrupted;
    outcome.duration_ms = now - p.started_ms;
    finished_.emplace_back(id, std::move(outcome));
  }
  pending_.clear();
  ArmTimer();
}

void McpHub::Finish(Id id, McpCallOutcome outcome) {
  finished_.emplace_back(id, std::move(outcome));
}

std::vector<std::pair<McpCalls::Id, McpCallOutcome>> McpHub::TakeFinished() {
  std::vector<std::pair<Id, McpCallOutcome>> out;
  out.swap(finished_);
  return out;
}

}  // namespace voxterm
