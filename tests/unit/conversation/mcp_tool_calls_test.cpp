// ToolCalls with MCP tools: the same rules as a config tool's, through the McpCalls seam.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "conversation/tool_calls.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_mcp_calls.h"
#include "fakes/fake_tool_runner.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_view.h"
#include "protocol/realtime_client.h"

using namespace voxterm;

namespace {

constexpr const char* kAddSchema =
    R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},)"
    R"("required":["a","b"]})";

struct McpToolCallsTest {
  std::vector<ToolConfig> tools;
  FakeTransport transport;
  RealtimeClient server{Dialect::kGa, &transport};
  FakeToolRunner runner;
  FakeMcpCalls mcp;
  FakeView view;
  FakeClock clock;
  EventLog log{&clock};
  CanAsk can_ask = CanAsk::kYes;
  std::unique_ptr<ToolCalls> calls;

  McpToolCallsTest() {
    mcp.functions_list = {Function("calc", "add", kAddSchema),
                          Function("files", "delete", R"({"type":"object"})", /*confirm=*/true)};
  }
  ToolCalls& Calls() {
    if (!calls)
      calls = std::make_unique<ToolCalls>(&tools, &runner, &server, &view, &log, can_ask,
                                          std::vector<std::string>{}, &mcp);
    return *calls;
  }
  void Server(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    Calls().OnServerEvent(*event);
  }
  // One call in a completed response.
  void CallAndDone(const std::string& response, const std::string& call_id, const std::string& name,
                   const std::string& arguments_json_string) {
    Server(R"({"type":"response.function_call_arguments.done","response_id":")" + response +
           R"(","item_id":"i)" + call_id + R"(","call_id":")" + call_id + R"(","name":")" + name +
           R"(","arguments":)" + arguments_json_string + "}");
    Server(R"({"type":"response.done","response":{"id":")" + response +
           R"(","status":"completed"}})");
  }
  std::vector<std::string> Outputs() const {
    std::vector<std::string> out;
    for (const std::string& m : transport.sent) {
      rapidjson::Document d;
      d.Parse(m.data(), m.size());
      if (std::string(d["type"].GetString()) != "conversation.item.create") continue;
      out.push_back(d["item"]["output"].GetString());
    }
    return out;
  }
};

}  // namespace

TEST_CASE("the MCP tools are declared as SERVER__TOOL with their schemas", "[mcp][tool_calls]") {
  const auto specs = McpToolSpecs({Function("calc", "add", kAddSchema)});
  REQUIRE(specs.size() == 1);
  CHECK(specs[0].name == "calc__add");
  CHECK(specs[0].parameters_json == kAddSchema);
}

TEST_CASE_METHOD(McpToolCallsTest, "an MCP call is sent, and its answer is the one output",
                 "[mcp][tool_calls]") {
  CallAndDone("r1", "c1", "calc__add", R"("{\"a\":2,\"b\":40}")");
  REQUIRE(mcp.sent.size() == 1);
  CHECK(mcp.sent[0].function == "calc__add");
  CHECK(mcp.sent[0].arguments_json == R"({"a":2,"b":40})");
  CHECK(Outputs().empty());
  CHECK(Calls().busy());
  mcp.Answer(1, "42");
  Calls().OnRunnerReady();
  CHECK(Outputs() == std::vector<std::string>{"42"});
  CHECK(Calls().TakeFollowUp());
  CHECK(!Calls().busy());
}

TEST_CASE_METHOD(McpToolCallsTest, "arguments the schema refuses never reach the server",
                 "[mcp][tool_calls]") {
  CallAndDone("r1", "c1", "calc__add", R"("{\"a\":\"two\",\"b\":40}")");
  CallAndDone("r2", "c2", "calc__add", R"("[1]")");
  CallAndDone("r3", "c3", "calc__add", R"("{\"a\":1}")");
  CHECK(mcp.sent.empty());
  const auto outputs = Outputs();
  REQUIRE(outputs.size() == 3);
  for (const std::string& output : outputs) CHECK(output.rfind(R"({"error":"not run: )", 0) == 0);
}

TEST_CASE_METHOD(McpToolCallsTest, "isError, failures and time-outs are error outputs",
                 "[mcp][tool_calls]") {
  CallAndDone("r1", "c1", "calc__add", R"("{\"a\":1,\"b\":1}")");
  CallAndDone("r2", "c2", "calc__add", R"("{\"a\":1,\"b\":2}")");
  CallAndDone("r3", "c3", "calc__add", R"("{\"a\":1,\"b\":3}")");
  mcp.Answer(1, "bad numbers", /*is_error=*/true);
  McpCallOutcome crashed;
  crashed.end = McpCallOutcome::End::kFailed;
  crashed.error = "the server \"calc\" failed: exited with 5";
  mcp.Finish(2, crashed);
  McpCallOutcome late;
  late.end = McpCallOutcome::End::kTimedOut;
  late.error = "no answer within 1000 ms";
  mcp.Finish(3, late);
  Calls().OnRunnerReady();
  CHECK(Outputs() ==
        std::vector<std::string>{R"({"error":"bad numbers"})",
                                 R"({"error":"the server \"calc\" failed: exited with 5"})",
                                 R"({"error":"timed out: no answer within 1000 ms"})"});
}

TEST_CASE_METHOD(McpToolCallsTest, "content that is not text is named in a note",
                 "[mcp][tool_calls]") {
  CallAndDone("r1", "c1", "calc__add", R"("{\"a\":1,\"b\":1}")");
  McpCallOutcome o;
  o.result.text = "a picture";
  o.result.other_content = {"image"};
  mcp.Finish(1, o);
  Calls().OnRunnerReady();
  CHECK(Outputs() == std::vector<std::string>{
                         "a picture\n[voxterm: content of other types is not passed on: image]"});
}

TEST_CASE_METHOD(McpToolCallsTest, "a confirm tool asks first, and is refused without a terminal",
                 "[mcp][tool_calls]") {
  SECTION("asked: yes sends it") {
    CallAndDone("r1", "c1", "files__delete", R"("{}")");
    CHECK(Calls().awaiting_answer());
    CHECK(mcp.sent.empty());
    Calls().Answer(true);
    CHECK(mcp.sent.size() == 1);
  }
  SECTION("asked: no refuses it") {
    CallAndDone("r1", "c1", "files__delete", R"("{}")");
    Calls().Answer(false);
    CHECK(mcp.sent.empty());
    CHECK(Outputs() == std::vector<std::string>{R"({"error":"not run: the user declined"})"});
  }
  SECTION("no terminal") {
    can_ask = CanAsk::kNo;
    CallAndDone("r1", "c1", "files__delete", R"("{}")");
    CHECK(mcp.sent.empty());
    REQUIRE(Outputs().size() == 1);
    CHECK(Outputs()[0].find("confirmation") != std::string::npos);
  }
}

TEST_CASE_METHOD(McpToolCallsTest, "Ctrl-C answers a call in flight as interrupted, no follow-up",
                 "[mcp][tool_calls]") {
  CallAndDone("r1", "c1", "calc__add", R"("{\"a\":1,\"b\":1}")");
  CHECK(Calls().Interrupt());
  CHECK(Outputs() == std::vector<std::string>{R"({"error":"interrupted by the user"})"});
  CHECK(!Calls().TakeFollowUp());
  CHECK(!Calls().busy());
}

TEST_CASE_METHOD(McpToolCallsTest, "an unknown name lists the MCP tools too", "[mcp][tool_calls]") {
  CallAndDone("r1", "c1", "calc__mul", R"("{}")");
  CHECK(mcp.sent.empty());
  REQUIRE(Outputs().size() == 1);
  CHECK(Outputs()[0].find("calc__add, files__delete") != std::string::npos);
}

TEST_CASE_METHOD(McpToolCallsTest, "the declared tools are the config's, then the MCP servers'",
                 "[mcp][tool_calls]") {
  ToolConfig du;
  du.name = "disk_usage";
  tools.push_back(du);
  std::vector<std::string> names;
  for (const ToolSpec& spec : Calls().Declared()) names.push_back(spec.name);
  CHECK(names == std::vector<std::string>{"disk_usage", "calc__add", "files__delete"});
  CHECK(!Calls().TakeToolsChanged());
  mcp.tools_changed = true;
  CHECK(Calls().TakeToolsChanged());
  CHECK(!Calls().TakeToolsChanged());
}

// Hosted MCP servers' items (conversation/hosted_mcp.h), through the same ToolCalls: calls shown,
// approval requests asked, answered once each, refused without a terminal.
namespace {

void Request(McpToolCallsTest& t, const std::string& id,
             const char* event = "response.output_item.done") {
  t.Server(std::string(R"({"type":")") + event +
           R"(","response_id":"r1","output_index":0,"item":{"id":")" + id +
           R"(","type":"mcp_approval_request","server_label":"docs","name":"search",)"
           R"("arguments":"{\"q\":\"x\"}"}})");
}

std::vector<std::string> Approvals(const McpToolCallsTest& t) {
  std::vector<std::string> out;
  for (const std::string& m : t.transport.sent) {
    if (SentField(m, "/item/type") != "mcp_approval_response") continue;
    out.push_back(SentField(m, "/item/approval_request_id") + "=" + SentField(m, "/item/approve"));
  }
  return out;
}

}  // namespace

TEST_CASE("an approval request is asked once and answered once", "[hosted_mcp]") {
  McpToolCallsTest t;
  Request(t, "mcpr_1");
  Request(t, "mcpr_1", "conversation.item.done");  // the same request again: not asked twice
  REQUIRE(t.view.questions ==
          std::vector<std::string>{"allow the API to call docs__search {\"q\":\"x\"}? [y/N] "});
  CHECK(t.Calls().awaiting_answer());
  CHECK(t.Calls().busy());
  CHECK_FALSE(t.Calls().follow_up_due());
  t.Calls().Answer(true);
  CHECK(Approvals(t) == std::vector<std::string>{"mcpr_1=true"});
  CHECK(t.Calls().TakeFollowUp());
  CHECK_FALSE(t.Calls().busy());
  Request(t, "mcpr_1");  // answered already
  CHECK(t.view.questions.size() == 1);
  CHECK(Approvals(t).size() == 1);
}

TEST_CASE("without a terminal a request is refused at once, with a reason", "[hosted_mcp]") {
  McpToolCallsTest t;
  t.can_ask = CanAsk::kNo;
  Request(t, "mcpr_1");
  CHECK(t.view.questions.empty());
  REQUIRE(Approvals(t) == std::vector<std::string>{"mcpr_1=false"});
  CHECK(SentField(t.transport.sent.back(), "/item/reason").find("no terminal") !=
        std::string::npos);
  CHECK(t.view.lines.back() ==
        "tool: docs__search: not approved (it needs approval, and there is no terminal)");
  CHECK(t.Calls().TakeFollowUp());
}

TEST_CASE("a flood of requests refused is each answered, with a few lines", "[hosted_mcp]") {
  McpToolCallsTest t;
  t.can_ask = CanAsk::kNo;
  for (int i = 0; i < 500; ++i) Request(t, "mcpr_" + std::to_string(i));
  CHECK(Approvals(t).size() == 500);
  CHECK(t.view.lines.size() == LogThrottle::kFirstLines);  // the rest counted, in a warning
}

TEST_CASE("Ctrl-C refuses the requests waiting, without a follow-up", "[hosted_mcp]") {
  McpToolCallsTest t;
  Request(t, "mcpr_1");
  Request(t, "mcpr_2");
  CHECK(t.Calls().Interrupt());
  CHECK(Approvals(t) == std::vector<std::string>{"mcpr_1=false", "mcpr_2=false"});
  CHECK_FALSE(t.Calls().follow_up_due());
  CHECK_FALSE(t.Calls().awaiting_answer());
}

TEST_CASE("a lost connection drops the requests waiting, unanswered", "[hosted_mcp]") {
  McpToolCallsTest t;
  Request(t, "mcpr_1");
  t.Calls().OnDisconnected();
  CHECK_FALSE(t.Calls().awaiting_answer());
  CHECK_FALSE(t.Calls().busy());
  CHECK(Approvals(t).empty());
  CHECK(t.view.lines.back() == "tool: docs__search: not answered (the connection was lost)");
}

TEST_CASE("more requests than are kept waiting are refused", "[hosted_mcp]") {
  McpToolCallsTest t;
  for (size_t i = 0; i < HostedMcp::kMaxPending + 2; ++i) Request(t, "mcpr_" + std::to_string(i));
  CHECK(Approvals(t).size() == 2);
}

TEST_CASE("an mcp_call is shown as a tool call, escapes and all made harmless", "[hosted_mcp]") {
  McpToolCallsTest t;
  t.Server(R"({"type":"response.output_item.added","response_id":"r1","output_index":0,)"
           R"("item":{"id":"c1","type":"mcp_call","server_label":"docs","name":"se\u001b[2Jarch",)"
           R"("arguments":""}})");
  t.Server(R"({"type":"response.mcp_call_arguments.done","response_id":"r1","item_id":"c1",)"
           R"("output_index":0,"arguments":"{}"})");
  t.Server(R"({"type":"response.mcp_call.in_progress","item_id":"c1","output_index":0})");
  t.Server(R"({"type":"response.mcp_call.failed","item_id":"c1","output_index":0})");
  t.Server(R"({"type":"response.output_item.done","response_id":"r1","output_index":0,)"
           R"("item":{"id":"c1","type":"mcp_call","server_label":"docs","name":"se\u001b[2Jarch",)"
           R"("arguments":"{}","error":{"type":"http_error","code":404,"message":"Not found"}}})");
  REQUIRE(t.view.lines.size() == 2);
  CHECK(t.view.lines[0].find('\x1b') == std::string::npos);
  CHECK(t.view.lines[0].find("{} (called by the API)") != std::string::npos);
  CHECK(t.view.lines[1].find(": failed: Not found") != std::string::npos);
  CHECK(t.transport.sent.empty());  // the API ran it: nothing to answer
  CHECK_FALSE(t.Calls().busy());
}
