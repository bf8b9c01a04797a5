#include "conversation/tool_calls.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <catch2/catch.hpp>

#include "fakes/fake_clock.h"
#include "fakes/fake_tool_runner.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_view.h"
#include "protocol/json_write.h"
#include "protocol/realtime_client.h"

using namespace voxterm;

namespace {

struct ToolCallsTest {
  std::vector<ToolConfig> tools = [] {
    ToolConfig du;
    du.name = "disk_usage";
    du.parameter_names = {"path"};
    du.command = {"du", "-sh", "{path}"};
    ToolConfig rm;
    rm.name = "remove";
    rm.parameter_names = {"path"};
    rm.command = {"rm", "{path}"};
    rm.confirm = true;
    return std::vector<ToolConfig>{du, rm};
  }();
  FakeTransport transport;
  RealtimeClient server{Dialect::kGa, &transport};
  FakeToolRunner runner;
  FakeView view;
  FakeClock clock;
  EventLog log{&clock};
  CanAsk can_ask = CanAsk::kYes;
  std::unique_ptr<ToolCalls> calls;

  ToolCalls& Calls() {
    if (!calls)
      calls = std::make_unique<ToolCalls>(&tools, &runner, &server, &view, &log, can_ask,
                                          std::vector<std::string>{"PATH=/bin"});
    return *calls;
  }
  void Server(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    Calls().OnServerEvent(*event);
  }
  // A function call as a GA server streams it (PROTOCOL.md §f).
  void Call(const std::string& response, const std::string& call_id, const std::string& name,
            const std::string& arguments_json_string) {
    Server(R"({"type":"response.output_item.added","response_id":")" + response +
           R"(","output_index":0,"item":{"id":"i)" + call_id +
           R"(","type":"function_call","status":"in_progress","call_id":")" + call_id +
           R"(","name":")" + name + R"(","arguments":""}})");
    Server(R"({"type":"response.function_call_arguments.done","response_id":")" + response +
           R"(","call_id":")" + call_id + R"(","name":")" + name + R"(","arguments":)" +
           arguments_json_string + "}");
  }
  void Done(const std::string& response, const char* status = "completed") {
    Server(R"({"type":"response.done","response":{"id":")" + response + R"(","status":")" + status +
           R"("}})");
  }
  // A function_call item as a response.done's output lists it.
  static std::string Item(const std::string& item_id, const std::string& call_id,
                          const std::string& name, const std::string& arguments_json_string) {
    return R"({"id":")" + item_id + R"(","type":"function_call","status":"completed","call_id":")" +
           call_id + R"(","name":")" + name + R"(","arguments":)" + arguments_json_string + "}";
  }
  void DoneWith(const std::string& response, const std::string& output_items) {
    Server(R"({"type":"response.done","response":{"id":")" + response +
           R"(","status":"completed","output":[)" + output_items + "]}}");
  }
  // How many function_call_output items were sent, duplicates included.
  size_t OutputCount() const {
    size_t n = 0;
    for (const std::string& m : transport.sent)
      n += m.find("\"function_call_output\"") != std::string::npos;
    return n;
  }
  // The function_call_output items sent, as {call_id: output}.
  std::map<std::string, std::string> Outputs() const {
    std::map<std::string, std::string> out;
    for (const std::string& m : transport.sent) {
      rapidjson::Document d;
      d.Parse(m.data(), m.size());
      if (std::string(d["type"].GetString()) != "conversation.item.create") continue;
      out[d["item"]["call_id"].GetString()] = d["item"]["output"].GetString();
    }
    return out;
  }
};

// text as a JSON string, between before and after.
std::string JsonString(const std::string& text, const std::string& before = "",
                       const std::string& after = "") {
  JsonBuffer buffer;
  JsonWriter writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return before + buffer.GetString() + after;
}

}  // namespace

TEST_CASE_METHOD(ToolCallsTest, "a call runs when its response is done, and its output goes back",
                 "[tool_calls]") {
  Call("r1", "c1", "disk_usage", R"("{\"path\":\"/tmp\"}")");
  CHECK(runner.started.empty());  // not while the response runs
  Done("r1");
  REQUIRE(runner.started.size() == 1);
  CHECK(runner.started[0].argv == std::vector<std::string>{"du", "-sh", "/tmp"});
  CHECK(Calls().busy());
  CHECK_FALSE(Calls().follow_up_due());
  runner.Exit(1, 0, "16K\t/tmp\n");
  Calls().OnRunnerReady();
  CHECK(Outputs() == std::map<std::string, std::string>{
                         {"c1", R"({"exit_code":0,"stdout":"16K\t/tmp\n","stderr":""})"}});
  CHECK(Calls().follow_up_due());
  CHECK_FALSE(Calls().busy());
  CHECK(view.lines == std::vector<std::string>{"tool: disk_usage {\"path\":\"/tmp\"}",
                                               "tool: disk_usage: exit 0 (0 ms)"});
}

TEST_CASE_METHOD(ToolCallsTest, "parallel calls: one follow-up, once the last has its output",
                 "[tool_calls]") {
  Call("r1", "c1", "disk_usage", R"("{\"path\":\"/a\"}")");
  Call("r1", "c2", "disk_usage", R"("{\"path\":\"/b\"}")");
  Call("r1", "c3", "no_such_tool", R"("{}")");
  Done("r1");
  CHECK(runner.started.size() == 2);
  CHECK(Outputs().count("c3") == 1);  // answered at once
  runner.Exit(2, 0);
  Calls().OnRunnerReady();
  CHECK_FALSE(Calls().follow_up_due());
  runner.Exit(1, 1);
  Calls().OnRunnerReady();
  CHECK(Outputs().size() == 3);
  CHECK(Calls().follow_up_due());
  CHECK(Calls().TakeFollowUp());
  CHECK_FALSE(Calls().follow_up_due());
  CHECK_FALSE(Calls().TakeFollowUp());
}

TEST_CASE_METHOD(ToolCallsTest, "unknown tools and bad arguments still get an output",
                 "[tool_calls]") {
  Call("r1", "c1", "format_disk", R"("{}")");
  Call("r1", "c2", "disk_usage", R"("not json")");
  Done("r1");
  CHECK(runner.started.empty());
  auto outputs = Outputs();
  CHECK(outputs["c1"] ==
        R"({"error":"there is no tool named \"format_disk\"; the tools are: disk_usage, remove"})");
  CHECK(
      outputs["c2"] ==
      R"({"error":"not run: the arguments are not a JSON object: not JSON: Invalid value. at offset 1"})");
  CHECK(Calls().follow_up_due());  // the model hears about it
}

TEST_CASE_METHOD(ToolCallsTest, "beta: the name comes from the output item", "[tool_calls]") {
  Server(
      R"({"type":"response.output_item.added","response_id":"r1","output_index":0,"item":{"id":"i1","type":"function_call","call_id":"c1","name":"disk_usage","arguments":""}})");
  Server(
      R"({"type":"response.function_call_arguments.done","response_id":"r1","call_id":"c1","arguments":"{\"path\":\"/x\"}"})");
  Done("r1");
  REQUIRE(runner.started.size() == 1);
  CHECK(runner.started[0].argv.back() == "/x");
}

TEST_CASE_METHOD(ToolCallsTest, "calls of a cancelled response do not run and ask for nothing",
                 "[tool_calls]") {
  Call("r1", "c1", "disk_usage", R"("{\"path\":\"/\"}")");
  Server(
      R"({"type":"response.output_item.added","response_id":"r1","output_index":1,"item":{"id":"i2","type":"function_call","call_id":"c2","name":"disk_usage","arguments":""}})");
  Done("r1", "cancelled");
  CHECK(runner.started.empty());
  // The whole call is answered; the one cut off before its arguments is not in the conversation.
  CHECK(Outputs() ==
        std::map<std::string, std::string>{
            {"c1", R"({"error":"not run: the response that made this call was cancelled"})"}});
  CHECK_FALSE(Calls().follow_up_due());
  CHECK_FALSE(Calls().busy());
}

TEST_CASE_METHOD(ToolCallsTest, "a confirm tool asks first: yes runs it, no refuses it",
                 "[tool_calls]") {
  Call("r1", "c1", "remove", R"("{\"path\":\"a.txt\"}")");
  Call("r1", "c2", "remove", R"("{\"path\":\"b.txt\"}")");
  Done("r1");
  REQUIRE(view.questions == std::vector<std::string>{"run remove: rm a.txt? [y/N] "});
  CHECK(Calls().awaiting_answer());
  Calls().Answer(true);
  CHECK(runner.started.size() == 1);
  REQUIRE(view.questions.size() == 2);  // one question at a time
  Calls().Answer(false);
  CHECK_FALSE(Calls().awaiting_answer());
  CHECK(runner.started.size() == 1);
  CHECK(Outputs()["c2"] == R"({"error":"not run: the user declined"})");
  runner.Exit(1, 0);
  Calls().OnRunnerReady();
  CHECK(Calls().follow_up_due());
}

TEST_CASE_METHOD(ToolCallsTest,
                 "the question shows the whole command as it will run, nothing hidden",
                 "[tool_calls]") {
  // Spaces in a row, a tab, a newline, a right-to-left override, a zero-width space, an escape
  // sequence: each quoted so the line on the screen is the command that runs. Never cut.
  const std::string value = "x  y\t\n\u202e\u200b\u001b[2J" + std::string(5000, 'z');
  Call("r1", "c1", "remove", JsonString(JsonString(value, "{\"path\":", "}")));
  Done("r1");
  REQUIRE(view.questions.size() == 1);
  CHECK(view.questions[0] ==
        "run remove: rm $'x  y\\t\\n\\u202E\\u200B\\E[2J" + std::string(5000, 'z') + "'? [y/N] ");
  Calls().Answer(true);
  REQUIRE(runner.started.size() == 1);
  CHECK(runner.started[0].argv[1] == "x  y\t\n\u202e\u200b\x1b[2J" + std::string(5000, 'z'));
}

TEST_CASE_METHOD(ToolCallsTest, "a shell tool's question shows the arguments its script gets",
                 "[tool_calls]") {
  ToolConfig grep;
  grep.name = "grep_notes";
  grep.shell = "grep -r -- \"$VOXTERM_ARG_word\" .";
  grep.confirm = true;
  tools.push_back(grep);
  Call("r1", "c1", "grep_notes", R"("{\"word\":\"it's\",\"max\":3}")");
  Done("r1");
  REQUIRE(view.questions.size() == 1);
  CHECK(view.questions[0] ==
        "run grep_notes: /bin/sh -c 'grep -r -- \"$VOXTERM_ARG_word\" .' grep_notes, with "
        "word='it'\\''s', max=3? [y/N] ");
}

TEST_CASE_METHOD(ToolCallsTest, "arguments a tool refuses are not asked about", "[tool_calls]") {
  tools[1].parameters_json =
      R"({"type":"object","properties":{"path":{"type":"string"}},"required":["path"]})";
  Call("r1", "c1", "remove", R"("{\"path\":\"a\",\"path\":\"b\"}")");
  Call("r1", "c2", "remove", R"("{}")");
  Done("r1");
  CHECK(view.questions.empty());
  CHECK_FALSE(Calls().awaiting_answer());
  CHECK(runner.started.empty());
  CHECK(Outputs()["c1"] == R"({"error":"not run: the arguments name \"path\" twice"})");
  CHECK(Outputs()["c2"] == R"({"error":"not run: the arguments fail \"required\": [\"path\"]"})");
  CHECK(Calls().follow_up_due());
}

TEST_CASE_METHOD(ToolCallsTest, "without a terminal a confirm tool is refused, and the model told",
                 "[tool_calls]") {
  can_ask = CanAsk::kNo;
  Call("r1", "c1", "remove", R"("{\"path\":\"a.txt\"}")");
  Done("r1");
  CHECK(runner.started.empty());
  CHECK(view.questions.empty());
  CHECK(Outputs()["c1"].find("no terminal") != std::string::npos);
  CHECK(Calls().follow_up_due());
}

TEST_CASE_METHOD(ToolCallsTest,
                 "Ctrl-C kills the running, refuses the waiting, and asks for nothing",
                 "[tool_calls]") {
  CHECK_FALSE(Calls().Interrupt());  // nothing to stop: the caller quits instead
  Call("r1", "c1", "disk_usage", R"("{\"path\":\"/\"}")");
  Call("r1", "c2", "remove", R"("{\"path\":\"x\"}")");
  Done("r1");
  REQUIRE(Calls().awaiting_answer());
  CHECK(Calls().Interrupt());
  CHECK(runner.interrupts == 1);
  CHECK_FALSE(Calls().awaiting_answer());
  Calls().OnRunnerReady();
  auto outputs = Outputs();
  CHECK(outputs["c1"] == R"({"exit_code":null,"stdout":"","stderr":"","interrupted":true})");
  CHECK(outputs["c2"] == R"({"error":"not run: the user interrupted"})");
  CHECK_FALSE(Calls().busy());
  CHECK_FALSE(Calls().follow_up_due());
}

TEST_CASE_METHOD(ToolCallsTest,
                 "a call without a call_id, or an endless stream of them, cannot pile up",
                 "[tool_calls]") {
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"type":"function_call","name":"disk_usage","arguments":"{}"}})");
  for (int i = 0; i < 2000; ++i) {
    Server(
        R"({"type":"response.output_item.added","response_id":"r9","output_index":0,"item":{"type":"function_call","call_id":"x)" +
        std::to_string(i) + R"(","name":"disk_usage","arguments":""}})");
  }
  Done("r1");
  CHECK(runner.started.empty());
  CHECK(transport.sent.empty());
}

TEST_CASE_METHOD(ToolCallsTest,
                 "1,024 calls in one response each get one output, then one follow-up",
                 "[tool_calls]") {
  for (int i = 0; i < 1024; ++i)
    Call("r1", "c" + std::to_string(i), "disk_usage", R"("{\"path\":\"/\"}")");
  Done("r1");
  REQUIRE(runner.started.size() == 1024);
  for (int id = 1; id <= 1024; ++id) {
    CHECK_FALSE(Calls().follow_up_due());
    runner.Exit(id, 0, "ok");
    Calls().OnRunnerReady();
  }
  CHECK(Outputs().size() == 1024);
  CHECK(Calls().follow_up_due());
  CHECK_FALSE(Calls().busy());
}

TEST_CASE_METHOD(ToolCallsTest, "a call only response.done lists runs before the follow-up",
                 "[tool_calls]") {
  Call("r1", "c1", "disk_usage", R"("{\"path\":\"/a\"}")");
  DoneWith("r1", Item("ic1", "c1", "disk_usage", R"("{\"path\":\"/a\"}")") + "," +
                     Item("f2", "c2", "disk_usage", R"("{\"path\":\"/b\"}")"));
  REQUIRE(runner.started.size() == 2);
  CHECK(runner.started[1].argv == std::vector<std::string>{"du", "-sh", "/b"});
  runner.Exit(1, 0);
  Calls().OnRunnerReady();
  CHECK_FALSE(Calls().follow_up_due());
  runner.Exit(2, 0);
  Calls().OnRunnerReady();
  CHECK(OutputCount() == 2);
  CHECK(Calls().follow_up_due());
}

TEST_CASE_METHOD(ToolCallsTest,
                 "a call completed after response.done joins the calls still running",
                 "[tool_calls]") {
  Call("r1", "c1", "disk_usage", R"("{\"path\":\"/a\"}")");
  Server(
      R"({"type":"response.output_item.added","response_id":"r1","output_index":1,"item":{"id":"f2","type":"function_call","call_id":"c2","name":"disk_usage","arguments":""}})");
  Done("r1");  // c2's arguments have not arrived
  REQUIRE(runner.started.size() == 1);
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":1,"item":{"id":"f2","type":"function_call","status":"completed","call_id":"c2","name":"disk_usage","arguments":"{\"path\":\"/b\"}"}})");
  REQUIRE(runner.started.size() == 2);
  runner.Exit(1, 0);
  Calls().OnRunnerReady();
  CHECK_FALSE(Calls().follow_up_due());  // c2 still runs
  runner.Exit(2, 0);
  Calls().OnRunnerReady();
  CHECK(OutputCount() == 2);
  CHECK(Calls().follow_up_due());
}

TEST_CASE_METHOD(ToolCallsTest, "a late event of a call that ran does not run it again",
                 "[tool_calls]") {
  DoneWith("r1", Item("f1", "c1", "disk_usage", R"("{\"path\":\"/a\"}")"));
  REQUIRE(runner.started.size() == 1);
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"id":"f1","type":"function_call","status":"completed","call_id":"c1","name":"disk_usage","arguments":"{\"path\":\"/late\"}"}})");
  CHECK(runner.started.size() == 1);
  runner.Exit(1, 0);
  Calls().OnRunnerReady();
  CHECK(OutputCount() == 1);
  CHECK(Calls().follow_up_due());
}

TEST_CASE_METHOD(ToolCallsTest,
                 "a late call with nothing left to join is answered, and asks for nothing",
                 "[tool_calls]") {
  Done("r1");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"id":"f1","type":"function_call","status":"completed","call_id":"c1","name":"disk_usage","arguments":"{}"}})");
  CHECK(runner.started.empty());
  CHECK(Outputs()["c1"] ==
        R"({"error":"not run: the call came after the response that made it had ended"})");
  CHECK_FALSE(Calls().follow_up_due());
  CHECK_FALSE(Calls().busy());
}

TEST_CASE_METHOD(ToolCallsTest,
                 "a call_id used twice in a response: the first runs, the second gets nothing",
                 "[tool_calls]") {
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"id":"f1","type":"function_call","status":"completed","call_id":"c1","name":"disk_usage","arguments":"{\"path\":\"/first\"}"}})");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":1,"item":{"id":"f2","type":"function_call","status":"completed","call_id":"c1","name":"disk_usage","arguments":"{\"path\":\"/second\"}"}})");
  DoneWith("r1", Item("f1", "c1", "disk_usage", R"("{\"path\":\"/first\"}")") + "," +
                     Item("f2", "c1", "disk_usage", R"("{\"path\":\"/second\"}")"));
  REQUIRE(runner.started.size() == 1);
  CHECK(runner.started[0].argv == std::vector<std::string>{"du", "-sh", "/first"});
  runner.Exit(1, 0);
  Calls().OnRunnerReady();
  CHECK(OutputCount() == 1);
  CHECK(Calls().follow_up_due());
}

TEST_CASE_METHOD(ToolCallsTest, "calls run in the response's order, not their call_ids'",
                 "[tool_calls]") {
  for (int i = 0; i < 12; ++i)
    Call("r1", "c" + std::to_string(i), "disk_usage",
         R"("{\"path\":\"/)" + std::to_string(i) + R"(\"}")");
  Done("r1");
  REQUIRE(runner.started.size() == 12);
  for (int i = 0; i < 12; ++i) CHECK(runner.started[i].argv[2] == "/" + std::to_string(i));
}

TEST_CASE_METHOD(ToolCallsTest, "calls response.done lists run in its order", "[tool_calls]") {
  Call("r1", "a", "disk_usage", R"("{\"path\":\"/a\"}")");
  DoneWith("r1", Item("f0", "z", "disk_usage", R"("{\"path\":\"/z\"}")") + "," +
                     Item("ia", "a", "disk_usage", R"("{\"path\":\"/a\"}")"));
  REQUIRE(runner.started.size() == 2);
  CHECK(runner.started[0].argv[2] == "/z");
  CHECK(runner.started[1].argv[2] == "/a");
}

TEST_CASE_METHOD(ToolCallsTest, "responses without an id each run their calls", "[tool_calls]") {
  Call("", "c1", "disk_usage", R"("{\"path\":\"/a\"}")");
  Done("");
  Call("", "c2", "disk_usage", R"("{\"path\":\"/b\"}")");
  Done("");
  CHECK(runner.started.size() == 2);
}

TEST_CASE("a typed yes is y or yes, in any case, and nothing else", "[tool_calls]") {
  for (const char* yes : {"y", "Y", "yes", "YES", "Yes ", "y\r"}) CHECK(ToolCalls::IsYes(yes));
  for (const char* no : {"", "n", "no", "yeah", " y", "y es"}) CHECK_FALSE(ToolCalls::IsYes(no));
}

TEST_CASE_METHOD(ToolCallsTest, "calls of a failed response say it failed", "[tool_calls]") {
  Call("r1", "c1", "disk_usage", R"("{\"path\":\"/\"}")");
  Done("r1", "failed");
  CHECK(runner.started.empty());
  CHECK(Outputs() ==
        std::map<std::string, std::string>{
            {"c1", R"({"error":"not run: the response that made this call failed"})"}});
}

TEST_CASE_METHOD(ToolCallsTest, "a call_id an earlier response used does not run again",
                 "[tool_calls]") {
  DoneWith("r1", Item("f1", "c1", "disk_usage", R"("{\"path\":\"/first\"}")"));
  runner.Exit(1, 0);
  Calls().OnRunnerReady();
  REQUIRE(Calls().TakeFollowUp());
  // Far more responses later than the few kept whole: the call_id is still known.
  for (int i = 2; i < 20; ++i) Done("r" + std::to_string(i));
  DoneWith("r20", Item("f2", "c1", "disk_usage", R"("{\"path\":\"/again\"}")"));
  CHECK(runner.started.size() == 1);
  CHECK(OutputCount() == 1);
  CHECK_FALSE(Calls().follow_up_due());
  // The same item again is a late word of the first call, not a duplicate.
  DoneWith("r21", Item("f1", "c1", "disk_usage", R"("{\"path\":\"/first\"}")"));
  CHECK(runner.started.size() == 1);
}

TEST_CASE_METHOD(ToolCallsTest, "a response with more calls than are kept runs none of them",
                 "[tool_calls]") {
  for (int i = 0; i <= 1024; ++i) {
    Server(R"({"type":"response.output_item.done","response_id":"r1","item":{"id":"f)" +
           std::to_string(i) + R"(","type":"function_call","call_id":"c)" + std::to_string(i) +
           R"(","name":"disk_usage","arguments":"{\"path\":\"/\"}"}})");
  }
  Done("r1");
  CHECK(runner.started.empty());
  CHECK(OutputCount() == 1024);  // each call kept is answered; the one past the cap was not kept
  CHECK(Outputs()["c0"] ==
        R"({"error":"not run: the response that made this call made more than 1024 calls"})");
  // A few lines, then one for the rest: not a thousand.
  REQUIRE(view.lines.size() == ToolCalls::kNotRunLines + 1);
  CHECK(view.lines[0] == "tool: disk_usage: not run (the response made more than 1024 calls)");
  CHECK(view.lines.back() ==
        "tool: 1016 more calls not run (the response made more than 1024 calls)");
  CHECK_FALSE(Calls().follow_up_due());
  CHECK_FALSE(Calls().busy());
  // The next response is not held against it.
  Call("r2", "d1", "disk_usage", R"("{\"path\":\"/a\"}")");
  Done("r2");
  CHECK(runner.started.size() == 1);
}

TEST_CASE_METHOD(ToolCallsTest, "arguments that are not a string are refused, never read as {}",
                 "[tool_calls]") {
  tools[0].parameter_names.clear();
  tools[0].command = {"du", "-sh", "/"};  // it would run without arguments
  DoneWith("r1", Item("f1", "c1", "disk_usage", R"({"path":"/x"})"));
  CHECK(runner.started.empty());
  CHECK(Outputs()["c1"] ==
        R"({"error":"not run: the arguments were not a JSON string, as the API sends them"})");
  CHECK(Calls().follow_up_due());
}
