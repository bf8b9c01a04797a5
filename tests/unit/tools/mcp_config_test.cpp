// The "mcp_servers" object, read through the config parser as a user's file would be.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "app/config.h"

using namespace voxterm;

namespace {

// The error for a file whose "mcp_servers" is the given text, which starts on line 2.
std::string Error(const std::string& servers) {
  Config config;
  Status s = ParseConfig("{\n\"mcp_servers\": " + servers + "\n}", "c.json", &config);
  REQUIRE_FALSE(s.ok());
  return s.message();
}

}  // namespace

TEST_CASE("an MCP server declaration is read whole, in the file's order", "[mcp][config]") {
  setenv("HOME", "/home/me", 1);
  Config config;
  REQUIRE(ParseConfig(R"({"mcp_servers": {
    "notes": {
      "command": ["npx", "-y", "some-mcp-server", "/home/me/notes"],
      "env": {"LANG": "C"}, "cwd": "~", "confirm": ["delete"], "timeout_ms": 2000,
    },
    "clock": {"command": ["clock-server"], "confirm": true},
  }})",
                      "c.json", &config)
              .ok());
  REQUIRE(config.mcp_servers.size() == 2);
  const McpServerConfig& notes = config.mcp_servers[0];
  CHECK(notes.name == "notes");
  CHECK(notes.command ==
        std::vector<std::string>{"npx", "-y", "some-mcp-server", "/home/me/notes"});
  CHECK(notes.env == std::vector<std::pair<std::string, std::string>>{{"LANG", "C"}});
  CHECK(notes.cwd == "/home/me");
  CHECK(notes.timeout_ms == 2000);
  CHECK(notes.NeedsConfirm("delete"));
  CHECK_FALSE(notes.NeedsConfirm("read"));
  const McpServerConfig& clock = config.mcp_servers[1];
  CHECK(clock.name == "clock");
  CHECK(clock.timeout_ms == 10000);
  CHECK(clock.cwd.empty());
  CHECK(clock.NeedsConfirm("anything"));
}

TEST_CASE("mcp_servers errors name the file, the line, the server and the key", "[mcp][config]") {
  CHECK(Error("[]") == "c.json:2: \"mcp_servers\" must be an object of servers, by name");
  CHECK(Error("{\"a\": []}") == "c.json:2: MCP server \"a\" must be an object");
  CHECK(Error("{\"a\": {}}") ==
        "c.json:2: MCP server \"a\" needs a \"command\" (a list of arguments)");
  CHECK(Error("{\n\"a\": {\n\"command\": []}}") ==
        "c.json:4: MCP server \"a\": \"command\" must be a list of strings, the program first");
  CHECK(Error("{\"a\": {\"command\": [\"x\", 1]}}") ==
        "c.json:2: MCP server \"a\": \"command\" must be a list of strings, the program first");
  CHECK(Error("{\"a\": {\"command\": [\"\"]}}") ==
        "c.json:2: MCP server \"a\": \"command\" must name a program first");
  CHECK(Error("{\"a\": {\"command\": [\"x\\u0000y\"]}}") ==
        "c.json:2: MCP server \"a\": \"command\" must be a list of strings, the program first");
  CHECK(Error("{\"a\": {\"command\": [\"x\"],\n\"commands\": 1}}") ==
        "c.json:3: MCP server \"a\": \"commands\" is not a known MCP server key (see "
        "docs/config.md)");
  CHECK(Error("{\"a\": {\"command\": [\"x\"], \"env\": {\"A-B\": \"1\"}}}") ==
        "c.json:2: MCP server \"a\": \"env\" has \"A-B\", which is not a variable name");
  CHECK(Error("{\"a\": {\"command\": [\"x\"], \"env\": {\"A\": 1}}}") ==
        "c.json:2: MCP server \"a\": \"env\" must be an object of strings");
  CHECK(Error("{\"a\": {\"command\": [\"x\"], \"cwd\": \"\"}}") ==
        "c.json:2: MCP server \"a\": \"cwd\" must be a directory");
  CHECK(Error("{\"a\": {\"command\": [\"x\"], \"confirm\": \"yes\"}}") ==
        "c.json:2: MCP server \"a\": \"confirm\" must be true, false or a list of tool names");
  CHECK(Error("{\"a\": {\"command\": [\"x\"], \"confirm\": [\"a b\"]}}") ==
        "c.json:2: MCP server \"a\": \"confirm\" must be true, false or a list of tool names");
  CHECK(Error("{\"a\": {\"command\": [\"x\"], \"timeout_ms\": 0}}") ==
        "c.json:2: MCP server \"a\": \"timeout_ms\" must be a whole number from 1 to 86400000");
  CHECK(Error("{\"a\": {\"command\": [\"x\"]}, \"a\": {\"command\": [\"y\"]}}") ==
        "c.json:2: MCP server \"a\" is declared twice");
}

TEST_CASE("a server's name leaves room for its tools' and splits from them", "[mcp][config]") {
  const std::string rule = "the name must be 1 to 32 letters, digits, _ or -, without \"__\"";
  CHECK(Error("{\"my__files\": {\"command\": [\"x\"]}}") ==
        "c.json:2: MCP server \"my__files\": " + rule);
  CHECK(Error("{\"a.b\": {\"command\": [\"x\"]}}") == "c.json:2: MCP server \"a.b\": " + rule);
  CHECK(Error("{\"\": {\"command\": [\"x\"]}}") == "c.json:2: MCP server \"\": " + rule);
  const std::string long_name(33, 'a');
  CHECK(Error("{\"" + long_name + "\": {\"command\": [\"x\"]}}") ==
        "c.json:2: MCP server \"" + long_name + "\": " + rule);
  Config config;
  CHECK(ParseConfig("{\"mcp_servers\": {\"" + std::string(32, 'a') +
                        "\": {\"command\": [\"x\"]}, \"my_files-2\": {\"command\": [\"x\"]}}}",
                    "c.json", &config)
            .ok());
}

TEST_CASE("a hosted server (\"url\") is read apart from the local ones", "[mcp][config]") {
  Config config;
  REQUIRE(ParseConfig(R"({"mcp_servers": {
    "local": {"command": ["x"]},
    "docs": {"url": "https://mcp.example.com/sse", "headers": {"Authorization": "Bearer t"},
             "allowed_tools": ["search"]},
    "open": {"url": "https://mcp.example.org", "require_approval": "never"},
    "mixed": {"url": "https://mcp.example.net",
              "require_approval": {"never": {"tool_names": ["read"], "read_only": true}}},
  }})",
                      "c.json", &config)
              .ok());
  REQUIRE(config.mcp_servers.size() == 1);
  REQUIRE(config.hosted_mcp_servers.size() == 3);
  const HostedMcpServer& docs = config.hosted_mcp_servers[0];
  CHECK(docs.label == "docs");
  CHECK(docs.url == "https://mcp.example.com/sse");
  CHECK(docs.headers ==
        std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer t"}});
  CHECK(docs.require_approval_json == "\"always\"");  // the safe default
  CHECK(docs.has_allowed_tools);
  CHECK(docs.allowed_tools == std::vector<std::string>{"search"});
  CHECK(config.hosted_mcp_servers[1].require_approval_json == "\"never\"");
  CHECK_FALSE(config.hosted_mcp_servers[1].has_allowed_tools);
  CHECK(config.hosted_mcp_servers[2].require_approval_json ==
        R"({"never":{"tool_names":["read"],"read_only":true}})");
}

TEST_CASE("a hosted server's errors never quote a header's value", "[mcp][config]") {
  CHECK(Error("{\"docs\": {\n\"url\": \"http://mcp.example.com\"}}") ==
        "c.json:3: MCP server \"docs\": \"url\" must be an https:// URL (the API calls the "
        "server, never over http)");
  const std::string error = Error(
      "{\"docs\": {\"url\": \"https://a.example\", \"headers\": {\"A\": \"sec\\u0007ret\"}}}");
  CHECK(error.find("sec") == std::string::npos);
  CHECK(Error("{\"docs\": {\"url\": \"https://a.example\", \"env\": {}}}") ==
        "c.json:2: MCP server \"docs\": \"env\" is not a key of a hosted MCP server (one with "
        "\"url\"; see docs/config.md)");
}
