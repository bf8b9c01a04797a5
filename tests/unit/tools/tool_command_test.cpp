#include "tools/tool_command.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "protocol/json_write.h"

using namespace voxterm;

namespace {

ToolConfig Du() {
  ToolConfig t;
  t.name = "disk_usage";
  t.parameter_names = {"path", "depth", "flags"};
  t.command = {"du", "-sh", "--max-depth={depth}", "{path}"};
  return t;
}

std::string Env(const ToolCommand& c, const std::string& name) {
  for (const std::string& e : c.env) {
    if (e.rfind(name + "=", 0) == 0) return e.substr(name.size() + 1);
  }
  return "<unset>";
}

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

}  // namespace

TEST_CASE("hostile argument values reach argv whole, each in its one element", "[tools]") {
  const std::string hostile[] = {
      "a b",          "'quoted' \"double\"", "$(rm -rf ~)", "`reboot`", "x; rm -rf /",
      "line1\nline2", "ünïcødé ✓",           "{depth}",     "--help",   std::string(100000, 'x'),
  };
  for (const std::string& value : hostile) {
    rapidjson::Document args(rapidjson::kObjectType);
    args.AddMember("path",
                   rapidjson::Value(value.c_str(), static_cast<rapidjson::SizeType>(value.size()),
                                    args.GetAllocator()),
                   args.GetAllocator());
    args.AddMember("depth", 2, args.GetAllocator());
    JsonBuffer buffer;
    JsonWriter writer(buffer);
    args.Accept(writer);
    auto command = PrepareCommand(Du(), buffer.GetString(), {"PATH=/bin"});
    REQUIRE(command.ok());
    // One pass only: a value that says {depth} stays as it is.
    CHECK(command->argv == std::vector<std::string>{"du", "-sh", "--max-depth=2", value});
    CHECK(Env(*command, "VOXTERM_ARG_path") == value);
    CHECK(Env(*command, "VOXTERM_ARG_depth") == "2");  // not a string: as JSON
    CHECK(command->stdin_data == buffer.GetString());
    CHECK(Env(*command, "VOXTERM_ARGS") == buffer.GetString());
  }
}

TEST_CASE("an element naming an argument the call left out is dropped", "[tools]") {
  auto command = PrepareCommand(Du(), R"({"path":"/tmp"})", {});
  REQUIRE(command.ok());
  CHECK(command->argv == std::vector<std::string>{"du", "-sh", "/tmp"});
}

TEST_CASE("braces that name no parameter are literal, as in an awk program", "[tools]") {
  ToolConfig t;
  t.name = "first_column";
  t.parameter_names = {"file"};
  t.command = {"awk", "{print $1} {x}", "{file}", "{file"};
  auto command = PrepareCommand(t, R"({"file":"a.txt","x":"no"})", {});
  REQUIRE(command.ok());
  CHECK(command->argv == std::vector<std::string>{"awk", "{print $1} {x}", "a.txt", "{file"});
}

TEST_CASE("a shell tool gets its arguments only through the environment and stdin", "[tools]") {
  ToolConfig t;
  t.name = "grep_notes";
  t.parameter_names = {"pattern"};
  t.shell = "grep -r -- \"$VOXTERM_ARG_pattern\" .";
  auto command = PrepareCommand(t, R"j({"pattern":"$(id)"})j", {});
  REQUIRE(command.ok());
  CHECK(command->argv == std::vector<std::string>{"/bin/sh", "-c", t.shell, "grep_notes"});
  CHECK(Env(*command, "VOXTERM_ARG_pattern") == "$(id)");
  CHECK(Env(*command, "VOXTERM_TOOL") == "grep_notes");
}

TEST_CASE("arguments that are not a JSON object, or hold a NUL, are refused", "[tools]") {
  CHECK_FALSE(PrepareCommand(Du(), "not json", {}).ok());
  CHECK_FALSE(PrepareCommand(Du(), "[1,2]", {}).ok());
  CHECK_FALSE(PrepareCommand(Du(), "\"str\"", {}).ok());
  auto nul = PrepareCommand(Du(), R"({"path":"a\u0000b"})", {});
  REQUIRE_FALSE(nul.ok());
  CHECK(nul.message().find("NUL") != std::string::npos);
  CHECK_FALSE(PrepareCommand(Du(), R"({"deep":{"k":"\u0000"}})", {}).ok());
  // An empty string is how a model calls a tool without arguments.
  CHECK(PrepareCommand(Du(), "", {}).ok());
}

TEST_CASE("arguments nested without end are refused, with the depth limit of messages", "[tools]") {
  for (const std::string& deep :
       {std::string(100000, '[') + std::string(100000, ']'),
        "{\"path\":" + std::string(100000, '[') + std::string(100000, ']') + "}"}) {
    auto command = PrepareCommand(Du(), deep, {});
    REQUIRE_FALSE(command.ok());
    CHECK(command.message() ==
          "the arguments are not a JSON object: JSON nested deeper than 64 levels");
  }
  std::string nested = "{\"path\":\"/\",\"x\":" + std::string(62, '[') + std::string(62, ']') + "}";
  CHECK(PrepareCommand(Du(), nested, {}).ok());  // 64 levels, as many as a message may have
}

TEST_CASE("a key named twice is refused, at any depth", "[tools]") {
  // The argv form would take the first, the environment the last.
  auto twice = PrepareCommand(Du(), R"({"path":"/tmp","path":"-rf"})", {});
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.message() == "the arguments name \"path\" twice");
  auto deep = PrepareCommand(Du(), R"({"path":"/","flags":[{"a":1,"b":2,"a":3}]})", {});
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.message() == "the arguments name \"a\" twice");
  CHECK(PrepareCommand(Du(), R"({"path":"/","flags":{"path":1}})", {}).ok());  // one per object
}

TEST_CASE("arguments the tool's schema refuses make no command", "[tools]") {
  ToolConfig t = Du();
  t.parameters_json =
      R"({"type":"object","properties":{"path":{"type":"string","pattern":"^/"}},"required":["path"]})";
  CHECK(PrepareCommand(t, R"({"path":"/tmp"})", {}).ok());
  auto missing = PrepareCommand(t, "{}", {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.message() == R"(the arguments fail "required": ["path"])");
  auto option = PrepareCommand(t, R"({"path":"--files0-from=x"})", {});
  REQUIRE_FALSE(option.ok());
  CHECK(option.message() == R"(argument "/path" fails "pattern": "^/")");
}

TEST_CASE("a value too long for the environment is left out of it, and stays on stdin", "[tools]") {
  ToolConfig t;
  t.name = "big";
  t.shell = "wc -c";
  const std::string value(200 * 1024, 'x');
  const std::string json = R"({"text":")" + value + R"(","small":"abc"})";
  auto command = PrepareCommand(t, json, {"PATH=/bin"});
  REQUIRE(command.ok());
  CHECK(Env(*command, "VOXTERM_ARG_text") == "<unset>");
  CHECK(Env(*command, "VOXTERM_ARGS") == "<unset>");
  CHECK(Env(*command, "VOXTERM_ARG_small") == "abc");
  CHECK(command->stdin_data == json);
  for (const std::string& e : command->env) CHECK(e.size() < 128 * 1024);
  // Just under the limit still fits: NAME=value and its NUL in 128 KiB.
  const std::string fits(128 * 1024 - sizeof("VOXTERM_ARG_text="), 'y');
  auto under = PrepareCommand(t, R"({"text":")" + fits + R"("})", {});
  REQUIRE(under.ok());
  CHECK(Env(*under, "VOXTERM_ARG_text") == fits);
}

TEST_CASE("thousands of arguments make an environment in linear time", "[tools]") {
  std::string json = "{";
  // 100,000: as many as a message may hold values (kMaxJsonValues), with room to spare.
  for (int i = 0; i < 100000; ++i) json += (i ? ",\"a" : "\"a") + std::to_string(i) + "\":1";
  json += "}";
  auto command = PrepareCommand(Du(), json, {"PATH=/bin"});
  REQUIRE(command.ok());
  // PATH, VOXTERM_TOOL and the arguments; VOXTERM_ARGS, 1 MB, is too long for the environment.
  CHECK(command->env.size() == 100000 + 2);
  CHECK(Env(*command, "VOXTERM_ARG_a99999") == "1");
}

TEST_CASE("the tool's env overrides what is inherited, and keys that cannot be names are skipped",
          "[tools]") {
  ToolConfig t = Du();
  t.env = {{"LANG", "C"}};
  auto command =
      PrepareCommand(t, R"({"path":"/","a=b":"x"})", {"LANG=de_DE.UTF-8", "HOME=/home/u"});
  REQUIRE(command.ok());
  CHECK(Env(*command, "LANG") == "C");
  CHECK(Env(*command, "HOME") == "/home/u");
  CHECK(std::none_of(command->env.begin(), command->env.end(),
                     [](const std::string& e) { return e.rfind("VOXTERM_ARG_a=b", 0) == 0; }));
}

TEST_CASE("tools never inherit the API keys", "[tools]") {
  const char* environ[] = {
      "PATH=/bin",         "OPENAI_API_KEY=sk-secret", "AZURE_OPENAI_API_KEY=az",
      "VOXTERM_ARG_old=1", "OPENAI_API_KEY_HINT=ok",   nullptr};
  CHECK(ToolBaseEnvironment(environ) ==
        std::vector<std::string>{"PATH=/bin", "OPENAI_API_KEY_HINT=ok"});
}

TEST_CASE("the output is the exit code, stdout and stderr as JSON", "[tools]") {
  ToolResult r;
  r.exit_code = 3;
  r.out = "16K\t/tmp\n";
  r.err = "du: warning \"x\"\n";
  auto doc = Json(FormatToolOutput(r, 16384));
  CHECK(doc["exit_code"].GetInt() == 3);
  CHECK(doc["stdout"].GetString() == std::string("16K\t/tmp\n"));
  CHECK(doc["stderr"].GetString() == std::string("du: warning \"x\"\n"));
  CHECK_FALSE(doc.HasMember("truncated"));
  CHECK_FALSE(doc.HasMember("timed_out"));

  r.end = ToolResult::End::kTimedOut;
  doc = Json(FormatToolOutput(r, 16384));
  CHECK(doc["exit_code"].IsNull());
  CHECK(doc["timed_out"].GetBool());

  r.end = ToolResult::End::kFailedToStart;
  r.error = "nosuch: command not found";
  doc = Json(FormatToolOutput(r, 16384));
  CHECK(doc["error"].GetString() == std::string("nosuch: command not found"));
}

TEST_CASE("long output is cut to the limit at a character, stderr keeping its share", "[tools]") {
  ToolResult r;
  r.exit_code = 0;
  for (int i = 0; i < 3000; ++i) r.out += "é\x01";  // escaping makes \x01 six bytes
  r.err = std::string(5000, 'e');
  for (size_t limit : {256u, 1000u, 4096u}) {
    const std::string output = FormatToolOutput(r, limit);
    INFO(limit);
    CHECK(output.size() <= limit);
    auto doc = Json(output);  // valid JSON, so valid UTF-8 too: no é was split
    CHECK(doc["truncated"].GetBool());
    CHECK(doc["stderr"].GetStringLength() > 0);
    CHECK(doc["stdout"].GetStringLength() > 0);
  }
  r.truncated = true;  // the runner already dropped some: said even when the rest fits
  r.out = "a";
  r.err.clear();
  CHECK(Json(FormatToolOutput(r, 16384))["truncated"].GetBool());
}

TEST_CASE("bytes that are not UTF-8 become U+FFFD", "[tools]") {
  CHECK(ValidUtf8("ok ✓") == "ok ✓");
  CHECK(ValidUtf8("a\xff"
                  "b") ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(ValidUtf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  CHECK(ValidUtf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  CHECK(ValidUtf8("\xE2\x9C") == "\xEF\xBF\xBD");  // cut short: one character
}
