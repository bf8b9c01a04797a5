// LiveDelegations with ToolCalls and a LiveClient: GPT-Live's delegations each answered once; a
// delegation backend's function calls run through the same checks as the Realtime model's and
// go back as response.item.create, one per call, before one response.create; a call dies with
// its connection.
#include "conversation/live_delegations.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "conversation/tool_calls.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_tool_runner.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_view.h"
#include "protocol/live_client.h"
#include "protocol/live_events.h"

using namespace voxterm;

namespace {

struct Sent {
  std::string type, delegation_id, call_id, output;
  bool null_id = false;
};

Sent Read(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  REQUIRE(doc.IsObject());
  Sent s;
  s.type = doc["type"].GetString();
  if (doc.HasMember("delegation_id")) {
    s.null_id = doc["delegation_id"].IsNull();
    if (!s.null_id) s.delegation_id = doc["delegation_id"].GetString();
  }
  if (doc.HasMember("item")) {
    s.call_id = doc["item"]["call_id"].GetString();
    s.output = doc["item"]["output"].GetString();
  }
  return s;
}

struct DelegationsTest {
  explicit DelegationsTest(bool with_tools) {
    if (with_tools) tools.push_back(CommandTool("uptime", {"uptime"}));
    settings.tools = ToolSpecs(tools);
    live.BeginStart(settings);
    live.SendStart();
    live.ConfigureSession(settings);  // session.started
    transport.sent.clear();
  }

  std::vector<ToolConfig> tools;
  SessionSettings settings;
  FakeTransport transport;
  LiveClient live{"gpt-live-1.1", &transport, "gpt-5.5"};
  FakeToolRunner runner;
  FakeView view;
  FakeClock clock;
  EventLog log{&clock};
  ToolCalls calls{&tools, &runner, &live, &view, &log, CanAsk::kNo, {}};
  LiveDelegations delegations{&live, &calls};

  void Server(std::string json) {
    ServerEvent event;
    REQUIRE(ParseLiveEvent(&json, &event).ok());
    calls.OnServerEvent(event);
    if (event.type == ServerEventType::kDelegationCreated) delegations.OnDelegation(event);
    if (event.type == ServerEventType::kBackendEvent) delegations.OnBackendEvent(event);
  }
  void Backend(const std::string& event) {
    Server(R"({"type":"response.event","delegation_id":"dlg_1","event":)" + event + "}");
  }
  // The backend's response with a function call for each name, as LIVE.md 5c shows it.
  void BackendCalls(const std::vector<std::string>& names, const char* status = "completed") {
    Begin();
    int n = 0;
    for (const std::string& name : names) Call(std::to_string(++n), name);
    End(status);
  }
  // A delegation to the backend, and its response begun.
  void Begin() {
    Server(R"({"type":"session.delegation.created","offset_ms":10,"delegation":{"id":"dlg_1",)"
           R"("type":"delegation","target":"responses","response_id":"resp_1"}})");
    Backend(R"({"type":"response.created","response":{"id":"resp_1","status":"in_progress"}})");
  }
  // A whole call_ID (output_item.done), or one only announced (output_item.added).
  void Call(const std::string& id, const std::string& name) {
    Backend(R"({"type":"response.output_item.done","output_index":0,"item":{"id":"fc_)" + id +
            R"(","type":"function_call","status":"completed","call_id":"call_)" + id +
            R"(","name":")" + name + R"(","arguments":"{}"}})");
  }
  void Announce(const std::string& id) {
    Backend(R"({"type":"response.output_item.added","output_index":0,"item":{"id":"fc_)" + id +
            R"(","type":"function_call","status":"in_progress","call_id":"call_)" + id +
            R"(","name":"uptime","arguments":""}})");
  }
  void End(const std::string& status = "completed") {
    Backend(R"({"type":"response.)" + status + R"(","response":{"id":"resp_1","status":")" +
            status + R"(","output":[]}})");
  }
  std::vector<Sent> Sends() const {
    std::vector<Sent> out;
    for (const std::string& json : transport.sent) out.push_back(Read(json));
    return out;
  }
};

}  // namespace

TEST_CASE("without tools, a client delegation is answered once, by its id", "[live_delegations]") {
  DelegationsTest t(/*with_tools=*/false);
  CHECK_FALSE(t.live.tools_delegated());
  const std::string created =
      R"({"type":"session.delegation.created","delegation":{"id":"dlg_7","target":"client"}})";
  t.Server(created);
  t.Server(created);  // announced again: not answered again
  auto sent = t.Sends();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].type == "session.commentary.append");
  CHECK(sent[0].delegation_id == "dlg_7");
  t.Server(
      R"({"type":"session.delegation.created","delegation":{"id":"dlg_8","target":"client"}})");
  CHECK(t.Sends().size() == 2);
  // An id longer than any real one is not echoed: the model still hears the words.
  t.Server(R"({"type":"session.delegation.created","delegation":{"id":")" +
           std::string(kMaxDelegationIdBytes + 1, 'x') + R"(","target":"client"}})");
  REQUIRE(t.Sends().size() == 3);
  CHECK(t.Sends()[2].null_id);
}

TEST_CASE("the backend's calls run and go back, one output each, then one response.create",
          "[live_delegations]") {
  DelegationsTest t(/*with_tools=*/true);
  CHECK(t.live.tools_delegated());
  t.BackendCalls({"uptime", "nope"});
  // A backend delegation is not the client's to answer in words.
  REQUIRE(t.runner.started.size() == 1);
  CHECK(t.runner.started[0].argv == std::vector<std::string>{"uptime"});
  auto sent = t.Sends();
  REQUIRE(sent.size() == 1);  // the unknown tool is answered at once
  CHECK(sent[0].type == "response.item.create");
  CHECK(sent[0].call_id == "call_2");
  CHECK(sent[0].output.find("no tool named") != std::string::npos);
  CHECK_FALSE(t.calls.follow_up_due());
  t.runner.Exit(1, 0, "up 3 days\n");
  t.calls.OnRunnerReady();
  sent = t.Sends();
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].call_id == "call_1");
  CHECK(sent[1].output.find("up 3 days") != std::string::npos);
  REQUIRE(t.calls.TakeFollowUp());
  t.live.ContinueDelegation();
  CHECK(t.Sends().back().type == "response.create");
}

TEST_CASE("a backend response that failed runs nothing and answers nothing", "[live_delegations]") {
  DelegationsTest t(/*with_tools=*/true);
  t.BackendCalls({"uptime"}, "failed");
  CHECK(t.runner.started.empty());
  CHECK(t.Sends().empty());
  CHECK_FALSE(t.calls.follow_up_due());
  CHECK_FALSE(t.calls.busy());
}

TEST_CASE("an output that comes after its connection was lost is not sent", "[live_delegations]") {
  DelegationsTest t(/*with_tools=*/true);
  t.BackendCalls({"uptime"});
  REQUIRE(t.runner.started.size() == 1);
  t.calls.OnDisconnected();
  t.delegations.OnDisconnected();
  t.live.BeginStart(t.settings);  // the next connection's session
  t.live.SendStart();
  t.live.ConfigureSession(t.settings);
  t.calls.OnSessionReady();
  t.transport.sent.clear();
  t.runner.Exit(1, 0, "late\n");
  t.calls.OnRunnerReady();
  CHECK(t.Sends().empty());
  CHECK_FALSE(t.calls.follow_up_due());
  CHECK_FALSE(t.calls.busy());
}

TEST_CASE("Ctrl-C answers the backend's calls and still lets it go on", "[live_delegations]") {
  DelegationsTest t(/*with_tools=*/true);
  t.BackendCalls({"uptime"});
  REQUIRE(t.calls.Interrupt());
  t.calls.OnRunnerReady();
  auto sent = t.Sends();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].output.find("interrupted") != std::string::npos);
  CHECK(t.calls.follow_up_due());  // the backend waits for every output, then response.create
}

TEST_CASE("a backend the session did not ask for is not acted on", "[live_delegations]") {
  DelegationsTest t(/*with_tools=*/false);  // client delegation: no backend of voxterm's
  t.BackendCalls({"uptime"});
  CHECK(t.runner.started.empty());
  CHECK(t.Sends().empty());
  CHECK_FALSE(t.calls.busy());  // nothing waits for outputs that could not go
  CHECK_FALSE(t.calls.follow_up_due());
}

TEST_CASE("a lost connection stops the calls it asked for", "[live_delegations]") {
  DelegationsTest t(/*with_tools=*/true);
  t.BackendCalls({"uptime"});
  REQUIRE(t.runner.started.size() == 1);
  t.calls.OnDisconnected();
  CHECK(t.runner.interrupts == 1);
  t.calls.OnRunnerReady();
  CHECK_FALSE(t.calls.busy());
  CHECK(t.Sends().empty());
}

TEST_CASE("a call announced after its backend response ended is not answered",
          "[live_delegations]") {
  DelegationsTest t(/*with_tools=*/true);
  t.BackendCalls({});  // created and completed with no call
  t.Backend(R"({"type":"response.output_item.done","output_index":0,"item":{"id":"fc_9",)"
            R"("type":"function_call","status":"completed","call_id":"call_9","name":"uptime",)"
            R"("arguments":"{}"}})");
  CHECK(t.runner.started.empty());
  CHECK(t.Sends().empty());  // the service takes no output for an ended response
  CHECK_FALSE(t.calls.busy());
}

TEST_CASE("a name the server made up reaches the screen escaped", "[live_delegations]") {
  DelegationsTest t(/*with_tools=*/true);
  t.BackendCalls({"up\\u001b]0;PWNED\\u0007\\u001b[2J"});
  REQUIRE_FALSE(t.view.lines.empty());
  for (const std::string& line : t.view.lines) {
    INFO(line);
    CHECK(line.find('\x1b') == std::string::npos);
    CHECK(line.find('\x07') == std::string::npos);
  }
}

TEST_CASE("every call of a delegation is answered: those over its limit with an error",
          "[live_delegations]") {
  DelegationsTest t(/*with_tools=*/true);
  t.BackendCalls(std::vector<std::string>(1030, "uptime"));
  // The first 64 run; each of the others is answered at once, with an error that says why.
  REQUIRE(t.runner.started.size() == 64);
  auto sent = t.Sends();
  REQUIRE(sent.size() == 1030 - 64);
  for (const Sent& s : sent) {
    CHECK(s.type == "response.item.create");
    CHECK(s.output.find("not run") != std::string::npos);
    CHECK(s.output.find("64") != std::string::npos);
  }
  CHECK(sent.front().call_id == "call_65");
  CHECK(sent.back().call_id == "call_1030");
  // One line for the calls not run, not one each.
  CHECK(t.view.lines.size() == 64 + 1);
  CHECK_FALSE(t.calls.follow_up_due());
  for (int id = 1; id <= 64; ++id) t.runner.Exit(id, 0, "up\n");
  t.calls.OnRunnerReady();
  CHECK(t.Sends().size() == 1030);
  CHECK(t.calls.follow_up_due());  // then the one response.create
}

TEST_CASE("a call announced but never completed is answered with an error", "[live_delegations]") {
  DelegationsTest t(/*with_tools=*/true);
  t.Begin();
  t.Announce("9");
  t.Call("1", "uptime");
  t.End();
  // The complete call runs; the other is not run, and answered at once: the backend waits for
  // an output for every call it announced.
  REQUIRE(t.runner.started.size() == 1);
  auto sent = t.Sends();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].call_id == "call_9");
  CHECK(sent[0].output.find("never") != std::string::npos);
  CHECK_FALSE(t.calls.follow_up_due());
  t.runner.Exit(1, 0, "up\n");
  t.calls.OnRunnerReady();
  REQUIRE(t.Sends().size() == 2);
  CHECK(t.Sends()[1].call_id == "call_1");
  CHECK(t.calls.follow_up_due());
}

TEST_CASE("a delegation whose only call never completed still goes on", "[live_delegations]") {
  DelegationsTest t(/*with_tools=*/true);
  t.Begin();
  t.Announce("9");
  t.End();
  CHECK(t.runner.started.empty());
  REQUIRE(t.Sends().size() == 1);
  CHECK(t.calls.follow_up_due());
  CHECK_FALSE(t.calls.busy());
}
