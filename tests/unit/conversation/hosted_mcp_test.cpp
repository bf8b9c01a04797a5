// A hosted MCP server's items through ToolCalls: calls shown, approval requests asked, answered
// once each, refused without a terminal, and the follow-up made due.
#include <catch2/catch.hpp>

#include "conversation/tool_calls.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_tool_runner.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_view.h"
#include "protocol/realtime_client.h"

using namespace voxterm;

namespace {

struct HostedTest {
  std::vector<ToolConfig> tools;
  FakeTransport transport;
  RealtimeClient server{Dialect::kGa, &transport};
  FakeToolRunner runner;
  FakeView view;
  FakeClock clock;
  EventLog log{&clock};
  std::unique_ptr<ToolCalls> calls;

  explicit HostedTest(CanAsk can_ask = CanAsk::kYes)
      : calls(std::make_unique<ToolCalls>(&tools, &runner, &server, &view, &log, can_ask,
                                          std::vector<std::string>{})) {}
  void Server(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    calls->OnServerEvent(*event);
  }
  void Request(const std::string& id, const char* event = "response.output_item.done") {
    Server(std::string(R"({"type":")") + event +
           R"(","response_id":"r1","output_index":0,"item":{"id":")" + id +
           R"(","type":"mcp_approval_request","server_label":"docs","name":"search",)"
           R"("arguments":"{\"q\":\"x\"}"}})");
  }
  std::vector<std::string> Approvals() const {
    std::vector<std::string> out;
    for (const std::string& m : transport.sent) {
      if (SentField(m, "/item/type") != "mcp_approval_response") continue;
      out.push_back(SentField(m, "/item/approval_request_id") + "=" +
                    SentField(m, "/item/approve"));
    }
    return out;
  }
};

}  // namespace

TEST_CASE("an approval request is asked once and answered once", "[hosted_mcp]") {
  HostedTest t;
  t.Request("mcpr_1");
  t.Request("mcpr_1", "conversation.item.done");  // the same request again: not asked twice
  REQUIRE(t.view.questions ==
          std::vector<std::string>{"allow the API to call docs__search {\"q\":\"x\"}? [y/N] "});
  CHECK(t.calls->awaiting_answer());
  CHECK(t.calls->busy());
  CHECK_FALSE(t.calls->follow_up_due());
  t.calls->Answer(true);
  CHECK(t.Approvals() == std::vector<std::string>{"mcpr_1=true"});
  CHECK(t.calls->TakeFollowUp());
  CHECK_FALSE(t.calls->busy());
  t.Request("mcpr_1");  // answered already
  CHECK(t.view.questions.size() == 1);
  CHECK(t.Approvals().size() == 1);
}

TEST_CASE("without a terminal a request is refused at once, with a reason", "[hosted_mcp]") {
  HostedTest t(CanAsk::kNo);
  t.Request("mcpr_1");
  CHECK(t.view.questions.empty());
  REQUIRE(t.Approvals() == std::vector<std::string>{"mcpr_1=false"});
  CHECK(SentField(t.transport.sent.back(), "/item/reason").find("no terminal") !=
        std::string::npos);
  CHECK(t.view.lines.back() ==
        "tool: docs__search: not approved (it needs approval, and there is no terminal)");
  CHECK(t.calls->TakeFollowUp());
}

TEST_CASE("Ctrl-C refuses the requests waiting, without a follow-up", "[hosted_mcp]") {
  HostedTest t;
  t.Request("mcpr_1");
  t.Request("mcpr_2");
  CHECK(t.calls->Interrupt());
  CHECK(t.Approvals() == std::vector<std::string>{"mcpr_1=false", "mcpr_2=false"});
  CHECK_FALSE(t.calls->follow_up_due());
  CHECK_FALSE(t.calls->awaiting_answer());
}

TEST_CASE("more requests than are kept waiting are refused", "[hosted_mcp]") {
  HostedTest t;
  for (size_t i = 0; i < HostedMcp::kMaxPending + 2; ++i) t.Request("mcpr_" + std::to_string(i));
  CHECK(t.Approvals().size() == 2);
}

TEST_CASE("an mcp_call is shown as a tool call, escapes and all made harmless", "[hosted_mcp]") {
  HostedTest t;
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
  CHECK_FALSE(t.calls->busy());
}
