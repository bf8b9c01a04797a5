// The "tools" list, read through the config parser as a user's file would be.
#include <catch2/catch.hpp>

#include "app/config.h"

using namespace voxterm;

namespace {

// The error for a file whose "tools" is the given text, which starts on line 2.
std::string Error(const std::string& tools) {
  Config config;
  Status s = ParseConfig("{\n\"tools\": " + tools + "\n}", "c.json", &config);
  REQUIRE_FALSE(s.ok());
  return s.message();
}

}  // namespace

TEST_CASE("a tool declaration is read whole", "[tools][config]") {
  Config config;
  REQUIRE(ParseConfig(R"({"tools": [
    {
      "name": "disk_usage",
      "description": "Disk usage of a directory.",
      "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
      "command": ["du", "-sh", "{path}"],  // no shell
      "timeout_ms": 2000, "max_output_bytes": 4096, "confirm": true, "cwd": "~/notes",
      "env": {"LANG": "C"},
    },
    {"name": "uptime", "shell": "uptime"},
  ]})",
                      "c.json", &config)
              .ok());
  REQUIRE(config.tools.size() == 2);
  const ToolConfig& du = config.tools[0];
  CHECK(du.name == "disk_usage");
  CHECK(du.description == "Disk usage of a directory.");
  CHECK(du.parameters_json ==
        R"({"type":"object","properties":{"path":{"type":"string"}},"required":["path"]})");
  CHECK(du.parameter_names == std::vector<std::string>{"path"});
  CHECK(du.command == std::vector<std::string>{"du", "-sh", "{path}"});
  CHECK(du.timeout_ms == 2000);
  CHECK(du.max_output_bytes == 4096);
  CHECK(du.confirm);
  CHECK(du.cwd == std::string(getenv("HOME")) + "/notes");
  CHECK(du.env == std::vector<std::pair<std::string, std::string>>{{"LANG", "C"}});
  const ToolConfig& up = config.tools[1];
  CHECK(up.shell == "uptime");
  CHECK(up.parameters_json == R"({"type":"object","properties":{}})");  // no parameters: none
  CHECK(up.timeout_ms == 10000);
  CHECK(up.max_output_bytes == 16384);
  CHECK_FALSE(up.confirm);
}

TEST_CASE("tool errors name the file, the line, the tool and the key", "[tools][config]") {
  CHECK(Error(R"([{"name": "a b", "shell": "x"}])") ==
        "c.json:2: tools[0]: \"name\" must be 1 to 64 letters, digits, _ or -");
  CHECK(Error("[{\"shell\": \"x\"}]") == "c.json:2: tools[0] needs a \"name\"");
  CHECK(Error("[{\"name\": \"t\",\n \"shell\": \"x\",\n \"command\": [\"y\"]}]") ==
        "c.json:2: tool \"t\" needs exactly one of \"command\" (a list of arguments) and \"shell\" "
        "(a script)");
  CHECK(Error("[{\"name\": \"t\"}]").find("needs exactly one of") != std::string::npos);
  CHECK(Error("[{\"name\": \"t\", \"shell\": \"x\",\n\n \"timeout\": 5}]") ==
        "c.json:4: tool \"t\": \"timeout\" is not a known tool key (see docs/config.md)");
  CHECK(Error("[{\"name\": \"t\",\n \"command\": []}]") ==
        "c.json:3: tool \"t\": \"command\" must be a list of strings, the program first");
  CHECK(Error("[{\"name\": \"t\",\n \"command\": [\"a\", 1]}]").find("c.json:3:") == 0);
  CHECK(Error("[{\"name\": \"t\", \"shell\": \"x\",\n \"parameters\": {\"type\": \"string\"}}]") ==
        "c.json:3: tool \"t\": \"parameters\" must be a JSON Schema object: {\"type\": \"object\", "
        "\"properties\": {...}}");
  CHECK(
      Error(R"([{"name": "t", "shell": "x", "parameters": {"type": "object", "properties": []}}])")
          .find("must be a JSON Schema object") != std::string::npos);
  CHECK(
      Error(R"([{"name": "t", "shell": "x", "parameters": {"type": "object", "required": ["p"]}}])")
          .find("\"required\" names a property") != std::string::npos);
  CHECK(Error(R"([{"name": "t", "shell": "x", "timeout_ms": 0}])").find("\"timeout_ms\" must be") !=
        std::string::npos);
  CHECK(Error(R"([{"name": "t", "shell": "x", "max_output_bytes": 10}])").find("from 256") !=
        std::string::npos);
  CHECK(
      Error(R"([{"name": "t", "shell": "x", "env": {"A=B": "c"}}])").find("not a variable name") !=
      std::string::npos);
  CHECK(Error(R"([{"name": "t", "shell": "x", "confirm": "yes"}])").find("true or false") !=
        std::string::npos);
  CHECK(Error(R"([{"name": "t", "command": ["a\u0000b"]}])").find("\"command\"") !=
        std::string::npos);
  CHECK(Error("[{\"name\": \"t\", \"shell\": \"x\"},\n {\"name\": \"t\", \"shell\": \"y\"}]") ==
        "c.json:3: tool \"t\": \"name\" is declared twice");
  CHECK(Error(R"({"name": "t"})") == "c.json:2: \"tools\" must be a list of tools");
  CHECK(Error("[42]") == "c.json:2: tools[0] must be an object");
}

TEST_CASE("each tool key refuses what it cannot use, in its own words", "[tools][config]") {
  // The message for one member beside a valid name and shell (or command).
  auto member = [](const std::string& json) {
    const std::string runs =
        json.find("\"shell\"") == std::string::npos && json.find("\"command\"") == std::string::npos
            ? R"("shell": "x", )"
            : "";
    return Error(R"([{"name": "t", )" + runs + json + "}]");
  };
  const std::string t = "c.json:2: tool \"t\": ";
  CHECK(member(R"("description": 1)") == t + "\"description\" must be a string");
  CHECK(member(R"("command": [""])") == t + "\"command\" must name a program first");
  CHECK(member(R"("command": "ls")") ==
        t + "\"command\" must be a list of strings, the program first");
  for (const char* shell : {R"("shell": "")", R"("shell": ["x"])", R"("shell": "a\u0000b")"}) {
    INFO(shell);
    CHECK(member(shell) == t + "\"shell\" must be a script for /bin/sh");
  }
  for (const char* timeout : {R"("timeout_ms": 86400001)", R"("timeout_ms": 1.5)",
                              R"("timeout_ms": "5")", R"("timeout_ms": -1)"}) {
    INFO(timeout);
    CHECK(member(timeout) == t + "\"timeout_ms\" must be a whole number from 1 to 86400000");
  }
  for (const char* bytes : {R"("max_output_bytes": 1048577)", R"("max_output_bytes": 255)",
                            R"("max_output_bytes": -300)", R"("max_output_bytes": 512.5)"}) {
    INFO(bytes);
    CHECK(member(bytes) ==
          t + "\"max_output_bytes\" must be a number of bytes from 256 to 1048576");
  }
  CHECK(member(R"("confirm": 1)") == t + "\"confirm\" must be true or false");
  for (const char* cwd : {R"("cwd": "")", R"("cwd": 1)", R"("cwd": "/a\u0000b")"}) {
    INFO(cwd);
    CHECK(member(cwd) == t + "\"cwd\" must be a directory");
  }
  for (const char* env : {R"("env": ["A"])", R"("env": {"A": 1})", R"("env": {"A": "a\u0000b"})"}) {
    INFO(env);
    CHECK(member(env) == t + "\"env\" must be an object of strings");
  }
  CHECK(member(R"("env": {"1A": "x"})") == t + "\"env\" has \"1A\", which is not a variable name");
  CHECK(member(R"("parameters": [])") ==
        t + "\"parameters\" must be a JSON Schema object: {\"type\": \"object\", \"properties\": "
            "{...}}");
}

TEST_CASE("the bounds of a tool's numbers are accepted", "[tools][config]") {
  Config config;
  REQUIRE(ParseConfig(R"({"tools": [
    {"name": "a", "shell": "x", "timeout_ms": 86400000, "max_output_bytes": 1048576},
    {"name": "b", "shell": "x", "timeout_ms": 1, "max_output_bytes": 256, "confirm": false},
  ]})",
                      "c.json", &config)
              .ok());
  REQUIRE(config.tools.size() == 2);
  CHECK(config.tools[0].timeout_ms == 86400000);
  CHECK(config.tools[0].max_output_bytes == 1048576);
  CHECK(config.tools[1].timeout_ms == 1);
  CHECK(config.tools[1].max_output_bytes == 256);
  CHECK_FALSE(config.tools[1].confirm);
}
