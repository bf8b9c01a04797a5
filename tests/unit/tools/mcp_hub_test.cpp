// McpHub against real children (tests/mcp/mcp_server.py): calls never block the caller, and
// every call ends once, whatever the server does.
#include "tools/mcp_hub.h"

#include <poll.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>

using namespace voxterm;

namespace {

const std::string kServer = std::string(VOXTERM_SOURCE_DIR) + "/tests/mcp/mcp_server.py";

McpServerConfig Config(std::string name, std::vector<std::string> modes, int timeout_ms = 5000) {
  McpServerConfig config;
  config.name = std::move(name);
  config.command = {"/usr/bin/python3", kServer};
  for (std::string& mode : modes) config.command.push_back(std::move(mode));
  config.timeout_ms = timeout_ms;
  return config;
}

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

struct McpHubTest {
  McpHubTest() { signal(SIGPIPE, SIG_IGN); }
  ~McpHubTest() { signal(SIGPIPE, SIG_DFL); }

  std::unique_ptr<McpHub> Hub(std::vector<McpServerConfig> configs) {
    auto hub = McpHub::Create(std::move(configs), {"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}, -1);
    REQUIRE(hub.ok());
    (*hub)->StartAll();
    return std::move(*hub);
  }
  // Polls the hub's fd as the main loop does, until n calls have finished or 10 s passed.
  std::vector<std::pair<McpCalls::Id, McpCallOutcome>> WaitFor(McpHub* hub, size_t n) {
    std::vector<std::pair<McpCalls::Id, McpCallOutcome>> done = hub->TakeFinished();
    const auto start = std::chrono::steady_clock::now();
    while (done.size() < n && ElapsedMs(start) < 10000) {
      pollfd p{hub->fd(), POLLIN, 0};
      poll(&p, 1, 100);
      hub->Work();
      for (auto& f : hub->TakeFinished()) done.push_back(std::move(f));
    }
    return done;
  }
};

}  // namespace

TEST_CASE_METHOD(McpHubTest, "a call in flight does not block, and its answer comes by the fd",
                 "[mcp][mcp_hub]") {
  auto hub = Hub({Config("t", {})});
  REQUIRE(hub->functions().size() == 7);
  CHECK(hub->functions()[1].name == "t__add");
  const auto start = std::chrono::steady_clock::now();
  const McpCalls::Id slow = hub->Start("t__sleep", R"({"ms":1500})");
  const McpCalls::Id quick = hub->Start("t__add", R"({"a":2,"b":40})");
  hub->Work();
  CHECK(ElapsedMs(start) < 500);  // neither Start nor Work waited for the sleep
  auto done = WaitFor(hub.get(), 2);
  REQUIRE(done.size() == 2);
  // The server answers in order: the sleep first, then the sum.
  CHECK(done[0].first == slow);
  CHECK(done[0].second.result.text == "slept");
  CHECK(done[1].first == quick);
  CHECK(done[1].second.end == McpCallOutcome::End::kAnswered);
  CHECK(done[1].second.result.text == "42");
}

TEST_CASE_METHOD(McpHubTest, "a call past its time limit times out, and the server is restarted",
                 "[mcp][mcp_hub]") {
  // The limit holds the start too: long enough for Python to start on a loaded machine.
  auto hub = Hub({Config("t", {}, 2000)});
  const McpCalls::Id slow = hub->Start("t__sleep", R"({"ms":30000})");
  auto done = WaitFor(hub.get(), 1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].first == slow);
  CHECK(done[0].second.end == McpCallOutcome::End::kTimedOut);
  hub->Start("t__add", R"({"a":1,"b":2})");
  done = WaitFor(hub.get(), 1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].second.result.text == "3");
}

TEST_CASE_METHOD(McpHubTest, "a server that crashes twice stays stopped, its calls say why",
                 "[mcp][mcp_hub]") {
  auto hub = Hub({Config("t", {"crash-on-call"})});
  for (int i = 0; i < 2; ++i) {
    hub->Start("t__echo", R"({"text":"x"})");
    auto done = WaitFor(hub.get(), 1);
    REQUIRE(done.size() == 1);
    CHECK(done[0].second.end == McpCallOutcome::End::kFailed);
    CHECK(done[0].second.error.find("exited with 5") != std::string::npos);
  }
  hub->Start("t__echo", R"({"text":"x"})");
  auto done = hub->TakeFinished();  // at once: nothing is sent
  REQUIRE(done.size() == 1);
  CHECK(done[0].second.error.find("is not running (it failed twice") != std::string::npos);
}

TEST_CASE_METHOD(McpHubTest, "a server that does not start leaves the others' tools",
                 "[mcp][mcp_hub]") {
  auto hub = Hub({Config("bad", {"crash"}), Config("good", {})});
  REQUIRE(hub->functions().size() == 7);
  CHECK(hub->functions()[0].name == "good__echo");
  CHECK(!hub->TakeToolsChanged());
}

TEST_CASE_METHOD(McpHubTest, "Ctrl-C interrupts the calls in flight at once", "[mcp][mcp_hub]") {
  auto hub = Hub({Config("t", {})});
  const McpCalls::Id slow = hub->Start("t__sleep", R"({"ms":3000})");
  hub->InterruptAll();
  auto done = hub->TakeFinished();
  REQUIRE(done.size() == 1);
  CHECK(done[0].first == slow);
  CHECK(done[0].second.end == McpCallOutcome::End::kInterrupted);
}

TEST_CASE_METHOD(McpHubTest, "list_changed lists the tools again", "[mcp][mcp_hub]") {
  auto hub = Hub({Config("t", {})});
  hub->Start("t__change", "{}");
  auto done = WaitFor(hub.get(), 1);
  REQUIRE(done.size() == 1);
  CHECK(hub->TakeToolsChanged());
  CHECK(hub->functions().back().name == "t__late");
}
