// McpServer against a real child: tests/mcp/mcp_server.py, a server written from the MCP
// specification, with modes that misbehave.
#include "tools/mcp_server.h"

#include <rapidjson/document.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

using namespace voxterm;

namespace {

const std::string kServer = std::string(VOXTERM_SOURCE_DIR) + "/tests/mcp/mcp_server.py";

McpServerConfig Config(std::vector<std::string> modes, int timeout_ms = 5000) {
  McpServerConfig config;
  config.name = "test";
  config.command = {"/usr/bin/python3", kServer};
  for (std::string& mode : modes) config.command.push_back(std::move(mode));
  config.timeout_ms = timeout_ms;
  return config;
}

std::vector<std::string> BaseEnv() { return {"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}; }

// Running: a zombie (an orphan that init has not reaped yet) counts as gone.
bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

// A process the McpServer did not reap dies when its SIGKILL is delivered: soon, not at once.
bool GoneSoon(pid_t pid) {
  for (int i = 0; i < 200 && Alive(pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return !Alive(pid);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// SIGPIPE ignored, as voxterm's signal watch leaves it, for the servers that stop reading.
struct McpServerTest {
  McpServerTest() { signal(SIGPIPE, SIG_IGN); }
  ~McpServerTest() { signal(SIGPIPE, SIG_DFL); }
};

}  // namespace

TEST_CASE_METHOD(McpServerTest, "a server starts, lists its tools and answers calls", "[mcp]") {
  McpServer server(Config({}), BaseEnv());
  REQUIRE(server.Start().ok());
  REQUIRE(server.running());
  REQUIRE(server.tools().size() == 7);
  CHECK(server.tools()[0].name == "echo");
  CHECK(server.tools()[0].description == "Says the text back.");
  CHECK(server.tools()[0].input_schema_json ==
        R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})");
  CHECK(server.skipped().empty());

  auto sum = server.CallTool("add", R"({"a": 2, "b": 3})", 1000);
  REQUIRE(sum.ok());
  CHECK(sum->text == "5");
  CHECK_FALSE(sum->is_error);

  auto failed = server.CallTool("fail", "{}", 1000);
  REQUIRE(failed.ok());
  CHECK(failed->is_error);
  CHECK(failed->text == "it failed");

  auto picture = server.CallTool("picture", "{}", 1000);
  REQUIRE(picture.ok());
  CHECK(picture->text == "a picture");
  CHECK(picture->other_content == std::vector<std::string>{"image"});

  auto unknown = server.CallTool("nope", "{}", 1000);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.message() == "tools/call: Unknown tool: nope");
  CHECK(server.running());  // a JSON-RPC error is the call's, not the server's failure
}

TEST_CASE_METHOD(McpServerTest, "a call's output is cut to the cap, at a character", "[mcp]") {
  McpServer server(Config({}), BaseEnv());
  REQUIRE(server.Start().ok());
  auto shout = server.CallTool("shout", "{}", 1000);
  REQUIRE(shout.ok());
  CHECK(shout->text == std::string(1000, 'A'));
  CHECK(shout->truncated);
  auto echo = server.CallTool("echo", R"({"text": "h\u00e9llo"})", 2);
  REQUIRE(echo.ok());
  CHECK(echo->text == "h");  // not half of the é
}

TEST_CASE_METHOD(McpServerTest, "the arguments reach the server as given, in a tools/call",
                 "[mcp]") {
  const std::string log = "/tmp/voxterm-mcp-test-" + std::to_string(getpid()) + ".log";
  unlink(log.c_str());
  McpServer server(Config({"--log", log}), BaseEnv());
  REQUIRE(server.Start().ok());
  REQUIRE(server.CallTool("echo", R"({"text": "a\nb"})", 1000).ok());
  server.Stop();
  const std::string received = ReadFile(log);
  unlink(log.c_str());
  CHECK(received.find(R"("method": "initialize")") != std::string::npos);
  CHECK(received.find(R"("protocolVersion": "2025-11-25")") != std::string::npos);
  CHECK(received.find(R"("method": "notifications/initialized")") != std::string::npos);
  CHECK(
      received.find(
          R"("method": "tools/call", "params": {"name": "echo", "arguments": {"text": "a\nb"}})") !=
      std::string::npos);
}

TEST_CASE_METHOD(McpServerTest, "a server that fails to start says why and leaves nothing",
                 "[mcp]") {
  SECTION("it exits at once") {
    McpServer server(Config({"crash"}), BaseEnv());
    Status s = server.Start();
    REQUIRE_FALSE(s.ok());
    CHECK(s.message() == "initialize: exited with 3 (stderr: test server: crashing as asked)");
    CHECK_FALSE(server.running());
  }
  SECTION("no such program") {
    McpServerConfig config = Config({});
    config.command = {"voxterm-no-such-server"};
    McpServer server(config, BaseEnv());
    Status s = server.Start();
    CHECK(s.message() == "voxterm-no-such-server: command not found");
  }
  SECTION("no such directory") {
    McpServerConfig config = Config({});
    config.cwd = "/nonexistent-dir";
    McpServer server(config, BaseEnv());
    CHECK(server.Start().message() == "cwd /nonexistent-dir: No such file or directory");
  }
  SECTION("another protocol version") {
    McpServer server(Config({"bad-version"}), BaseEnv());
    CHECK(server.Start().message() ==
          "initialize: the server speaks protocol version \"1999-01-01\", voxterm 2025-11-25");
    CHECK_FALSE(server.running());
  }
  SECTION("an error for initialize") {
    McpServer server(Config({"error-init"}), BaseEnv());
    CHECK(server.Start().message() ==
          "initialize: the server answered with an error: Unsupported protocol version");
  }
}

TEST_CASE_METHOD(McpServerTest, "a server that hangs is stopped at the time limit", "[mcp]") {
  const std::string pid_file = "/tmp/voxterm-mcp-pid-" + std::to_string(getpid());
  McpServer server(Config({"hang", "--pid", pid_file}, 1500), BaseEnv());
  const auto start = std::chrono::steady_clock::now();
  Status s = server.Start();
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(s.message() == "initialize: no answer within 1500 ms");
  CHECK(took < std::chrono::seconds(3));
  const pid_t pid = static_cast<pid_t>(std::stol(ReadFile(pid_file)));
  unlink(pid_file.c_str());
  CHECK_FALSE(Alive(pid));
}

TEST_CASE_METHOD(McpServerTest, "a call past the time limit fails and stops the server", "[mcp]") {
  McpServer server(Config({}, 2000), BaseEnv());
  REQUIRE(server.Start().ok());
  const pid_t pid = server.pid();
  auto slow = server.CallTool("sleep", R"({"ms": 20000})", 1000);
  REQUIRE_FALSE(slow.ok());
  CHECK(slow.message() == "tools/call: no answer within 2000 ms");
  CHECK_FALSE(server.running());
  CHECK_FALSE(Alive(pid));
}

TEST_CASE_METHOD(McpServerTest, "lines that are not JSON-RPC are ignored", "[mcp]") {
  McpServer server(Config({"garbage"}), BaseEnv());
  REQUIRE(server.Start().ok());
  CHECK(server.tools().size() == 7);
}

TEST_CASE_METHOD(McpServerTest, "a line over the limit fails the server", "[mcp]") {
  McpServer server(Config({"huge"}), BaseEnv());
  CHECK(server.Start().message() == "initialize: a line longer than 4 MiB");
  CHECK_FALSE(server.running());
}

TEST_CASE_METHOD(McpServerTest, "tools with bad names or schemas are left out, with a note",
                 "[mcp]") {
  McpServer server(Config({"bad-names"}), BaseEnv());
  REQUIRE(server.Start().ok());
  REQUIRE(server.tools().size() == 1);
  CHECK(server.tools()[0].name == "echo");
  const std::string rule = "the name must be 1 to 58 letters, digits, _ or -";
  CHECK(server.skipped() ==
        std::vector<std::string>{
            "tool \"has space\": " + rule,
            "tool \"" + std::string(65, 'x') + "\": " + rule,
            "tool \"no_schema\": \"inputSchema\" must be an object schema ({\"type\": \"object\"})",
            "tool \"bad_schema\": \"inputSchema\" must be an object schema ({\"type\": "
            "\"object\"})",
            "tool \"\": " + rule,
            "tool \"pick\": its \"inputSchema\" cannot be enforced: uses \"const\", which voxterm "
            "cannot check (JSON Schema draft-04): use \"enum\": [value] (at /properties/x)",
            "tool \"\": " + rule,
            "tool \"echo\": listed twice (the first is kept)",
        });
}

TEST_CASE_METHOD(McpServerTest, "a damaged tools/list is refused or read safely, never trusted",
                 "[mcp]") {
  for (int seed = 1; seed <= 25; ++seed) {
    INFO("seed " << seed);
    McpServer server(Config({"mutate=" + std::to_string(seed)}, 200), BaseEnv());
    Status started = server.Start();
    if (!started.ok()) {
      CHECK_FALSE(server.running());
      CHECK_FALSE(started.message().empty());
      continue;
    }
    for (const McpTool& tool : server.tools()) {
      CHECK(IsName(tool.name, 58));
      rapidjson::Document schema;
      schema.Parse(tool.input_schema_json.c_str(), tool.input_schema_json.size());
      CHECK(schema.IsObject());
    }
  }
}

TEST_CASE_METHOD(McpServerTest, "a list in pages is read to its end, up to 16 pages", "[mcp]") {
  McpServer paged(Config({"paged"}), BaseEnv());
  REQUIRE(paged.Start().ok());
  REQUIRE(paged.tools().size() == 7);
  CHECK(paged.tools()[3].name == "picture");
  CHECK(paged.tools()[6].name == "change");
  CHECK(paged.skipped().empty());
  McpServer endless(Config({"endless"}), BaseEnv());
  REQUIRE(endless.Start().ok());
  CHECK(endless.tools().size() == 16);
  CHECK(endless.skipped() ==
        std::vector<std::string>{"tools/list: more than 16 pages; the rest are left out"});
}

TEST_CASE_METHOD(McpServerTest, "at most kMaxTools tools are kept", "[mcp]") {
  McpServer server(Config({"many-tools"}), BaseEnv());
  REQUIRE(server.Start().ok());
  CHECK(server.tools().size() == McpServer::kMaxTools);
  CHECK(server.skipped().size() == 1000 - McpServer::kMaxTools);
}

TEST_CASE_METHOD(McpServerTest, "a change of the tool list is noticed", "[mcp]") {
  McpServer server(Config({}), BaseEnv());
  REQUIRE(server.Start().ok());
  CHECK_FALSE(server.tools_changed());
  REQUIRE(server.CallTool("change", "{}", 1000).ok());
  CHECK(server.tools_changed());
  REQUIRE(server.Start().ok());  // a fresh start lists again
  CHECK_FALSE(server.tools_changed());
}

TEST_CASE_METHOD(McpServerTest, "a server that exits is reported with its exit status", "[mcp]") {
  McpServer server(Config({"exit-after-init"}), BaseEnv());
  REQUIRE(server.Start().ok());
  auto call = server.CallTool("echo", R"({"text": "x"})", 1000);
  REQUIRE_FALSE(call.ok());
  CHECK(call.message().rfind("tools/call: ", 0) == 0);
  CHECK_FALSE(server.running());
}

TEST_CASE_METHOD(McpServerTest, "the server and its group are gone after the McpServer", "[mcp]") {
  pid_t pid = -1;
  {
    McpServer server(Config({}), BaseEnv());
    REQUIRE(server.Start().ok());
    pid = server.pid();
    CHECK(Alive(pid));
  }
  CHECK_FALSE(Alive(pid));
}

TEST_CASE_METHOD(McpServerTest,
                 "a server that stays after the end of stdin and ignores SIGTERM is killed, with "
                 "what it started",
                 "[mcp]") {
  const std::string pid_file = "/tmp/voxterm-mcp-pid-" + std::to_string(getpid());
  const std::string child_file = pid_file + "-child";
  pid_t pid = -1;
  const auto start = std::chrono::steady_clock::now();
  {
    McpServer server(Config({"linger", "--pid", pid_file, "--child-pid", child_file}), BaseEnv());
    REQUIRE(server.Start().ok());
    pid = server.pid();
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  const pid_t grandchild = static_cast<pid_t>(std::stol(ReadFile(child_file)));
  unlink(pid_file.c_str());
  unlink(child_file.c_str());
  CHECK_FALSE(Alive(pid));
  CHECK(GoneSoon(grandchild));
}

TEST_CASE_METHOD(McpServerTest, "an interrupt ends a wait at once and kills the server", "[mcp]") {
  int interrupt[2];
  REQUIRE(pipe(interrupt) == 0);
  McpServer server(Config({}, 60000), BaseEnv());
  server.SetInterruptFd(interrupt[0]);
  REQUIRE(server.Start().ok());
  const pid_t pid = server.pid();
  std::thread user([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    REQUIRE(write(interrupt[1], "x", 1) == 1);
  });
  const auto start = std::chrono::steady_clock::now();
  auto call = server.CallTool("sleep", R"({"ms": 30000})", 1000);
  const auto took = std::chrono::steady_clock::now() - start;
  user.join();
  CHECK(call.message() == "tools/call: interrupted");
  CHECK(took < std::chrono::seconds(1));
  CHECK_FALSE(server.running());
  CHECK(GoneSoon(pid));
  close(interrupt[0]);
  close(interrupt[1]);
}

TEST_CASE_METHOD(McpServerTest, "the environment is the base plus the config's, no more", "[mcp]") {
  McpServerConfig config = Config({});
  config.command = {"/bin/sh", "-c",
                    "echo \"$FOO $LANG $PATH ${OPENAI_API_KEY-unset}\" >&2; exit 3"};
  config.env = {{"FOO", "bar"}, {"LANG", "C"}};
  McpServer server(config, BaseEnv());
  Status s = server.Start();
  CHECK(s.message() == "initialize: exited with 3 (stderr: bar C /usr/bin:/bin unset)");
}
