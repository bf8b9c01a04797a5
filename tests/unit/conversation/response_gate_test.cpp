// ResponseGate: one response.create at a time, requests that meet share one, a busy refusal is
// asked again (with its own instructions), and a request lost with the connection is wanted
// again.
#include "conversation/response_gate.h"

#include <catch2/catch.hpp>

#include "fakes/fake_transport.h"
#include "protocol/realtime_client.h"

using namespace voxterm;

namespace {

struct ResponseGateTest {
  FakeTransport sink;
  RealtimeClient server{Dialect::kGa, &sink};
  ResponseGate gate{&server, Modality::kAudio};

  static ErrorInfo Error(std::string_view code, std::string_view event_id) {
    ErrorInfo e;
    e.code = code;
    e.event_id = event_id;
    return e;
  }
  std::string LastInstructions() {
    rapidjson::Document doc;
    const std::string& event = sink.sent.back();
    doc.Parse(event.data(), event.size());  // with its length: no SSE2 read past the end
    const auto& response = doc["response"];
    return response.HasMember("instructions") ? response["instructions"].GetString() : "";
  }
};

}  // namespace

TEST_CASE_METHOD(ResponseGateTest,
                 "nothing is sent unless wanted, and only when the server is free",
                 "[response_gate]") {
  CHECK_FALSE(gate.SendIfWanted(true));
  gate.Want();
  CHECK_FALSE(gate.SendIfWanted(/*server_free=*/false));
  CHECK(sink.sent.empty());
  CHECK(gate.wanted());
  CHECK(gate.SendIfWanted(true));
  CHECK(sink.SentTypes() == std::vector<std::string>{"response.create"});
  CHECK(gate.requested());
  CHECK_FALSE(gate.wanted());
}

TEST_CASE_METHOD(ResponseGateTest, "two requests that meet are one response.create",
                 "[response_gate]") {
  gate.Want();
  CHECK(gate.SendIfWanted(true));
  gate.Want();  // a tool's follow-up while the take's request is out
  CHECK_FALSE(gate.SendIfWanted(true));
  CHECK(gate.OnCreated());
  CHECK_FALSE(gate.OnCreated());   // a second response.created answers no request of ours
  CHECK(gate.SendIfWanted(true));  // the follow-up goes once the server is free again
  CHECK(sink.sent.size() == 2);
}

TEST_CASE_METHOD(ResponseGateTest, "each request has its own event id, which errors are matched by",
                 "[response_gate]") {
  gate.Want();
  gate.SendIfWanted(true);
  CHECK(gate.OnError(Error("invalid_value", "voxterm_item_1")) == ResponseGate::Refusal::kNotOurs);
  CHECK(gate.OnError(Error("invalid_value", "")) == ResponseGate::Refusal::kNotOurs);
  CHECK(gate.requested());
  CHECK(gate.OnError(Error("invalid_value", "voxterm_response_1")) ==
        ResponseGate::Refusal::kRefused);
  CHECK_FALSE(gate.requested());
  CHECK_FALSE(gate.wanted());  // refused for good: not asked again
  gate.Want();
  gate.SendIfWanted(true);
  CHECK(sink.sent.back().find("voxterm_response_2") != std::string::npos);
}

TEST_CASE_METHOD(ResponseGateTest, "a busy server is asked again, with the same instructions",
                 "[response_gate]") {
  gate.Want("Go on from where you were cut off.");
  gate.SendIfWanted(true);
  CHECK(LastInstructions() == "Go on from where you were cut off.");
  CHECK(gate.OnError(Error("conversation_already_has_active_response", "voxterm_response_1")) ==
        ResponseGate::Refusal::kBusy);
  CHECK(gate.wanted());
  CHECK_FALSE(gate.SendIfWanted(/*server_free=*/false));  // its response is still active
  CHECK(gate.SendIfWanted(true));
  CHECK(LastInstructions() == "Go on from where you were cut off.");
  CHECK(gate.OnCreated());
  gate.Want();
  gate.SendIfWanted(true);
  CHECK(LastInstructions().empty());  // a request's instructions are its own
}

TEST_CASE_METHOD(ResponseGateTest, "a server that is always busy is asked a few times, not forever",
                 "[response_gate]") {
  gate.Want();
  for (int n = 1; n <= ResponseGate::kMaxBusyRefusals; ++n) {
    REQUIRE(gate.SendIfWanted(true));
    CHECK(gate.OnError(Error("conversation_already_has_active_response",
                             "voxterm_response_" + std::to_string(n))) ==
          ResponseGate::Refusal::kBusy);
  }
  REQUIRE(gate.SendIfWanted(true));
  const std::string last = "voxterm_response_" + std::to_string(ResponseGate::kMaxBusyRefusals + 1);
  CHECK(gate.OnError(Error("conversation_already_has_active_response", last)) ==
        ResponseGate::Refusal::kRefused);  // given up: no answer will come
  CHECK_FALSE(gate.wanted());
  // A response that does begin starts the count afresh.
  gate.Want();
  gate.SendIfWanted(true);
  const std::string next = "voxterm_response_" + std::to_string(ResponseGate::kMaxBusyRefusals + 2);
  CHECK(gate.OnError(Error("conversation_already_has_active_response", next)) ==
        ResponseGate::Refusal::kBusy);
  gate.SendIfWanted(true);
  CHECK(gate.OnCreated());
  for (int n = 0; n < ResponseGate::kMaxBusyRefusals; ++n) {
    gate.Want();
    gate.SendIfWanted(true);
    CHECK(gate.OnError(Error(
              "conversation_already_has_active_response",
              "voxterm_response_" + std::to_string(ResponseGate::kMaxBusyRefusals + 4 + n))) ==
          ResponseGate::Refusal::kBusy);
  }
}

TEST_CASE_METHOD(ResponseGateTest, "a request lost with the connection is wanted again",
                 "[response_gate]") {
  gate.OnDisconnected();
  CHECK_FALSE(gate.wanted());
  gate.Want();
  gate.SendIfWanted(true);
  gate.OnDisconnected();
  CHECK(gate.wanted());
  CHECK_FALSE(gate.requested());
  CHECK(gate.SendIfWanted(true));
}
