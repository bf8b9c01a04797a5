// ConversationCore: a session is set up once, a resumed one gets the conversation so far after
// its settings, a line the server had is not sent again, and a request lost with the connection
// is wanted again.
#include "conversation/conversation_core.h"

#include <catch2/catch.hpp>

#include "fakes/fake_transport.h"
#include "protocol/realtime_client.h"

using namespace voxterm;

namespace {

struct ConversationCoreTest {
  FakeTransport sink;
  RealtimeClient server{Dialect::kGa, &sink};
  History history;
  ConversationCore core{SessionSettings{}, Modality::kText, &server, nullptr, &history};

  void Server(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    core.Record(*event);
  }
  void UserItem(const char* id, const char* text) {
    Server(
        std::string(R"({"type":"conversation.item.added","item":{"id":")") + id +
        R"(","type":"message","role":"user","status":"completed","content":[{"type":"input_text","text":")" +
        text + R"("}]}})");
  }
};

}  // namespace

TEST_CASE_METHOD(ConversationCoreTest, "the first session gets its settings, once",
                 "[conversation_core]") {
  CHECK_FALSE(core.ready());
  CHECK_FALSE(core.OnDisconnected());  // no session was set up on that connection
  CHECK_FALSE(core.resumed());
  CHECK(core.OnSessionCreated() == ConversationCore::Start::kFirst);
  CHECK(core.ready());
  CHECK(core.OnSessionCreated() == ConversationCore::Start::kAgain);  // announced twice
  CHECK(sink.SentTypes() == std::vector<std::string>{"session.update"});
}

TEST_CASE_METHOD(ConversationCoreTest, "a resumed session gets the conversation after its settings",
                 "[conversation_core]") {
  core.OnSessionCreated();
  UserItem("u1", "hello");
  CHECK(core.OnDisconnected());
  CHECK(core.resumed());
  CHECK_FALSE(core.ready());
  sink.sent.clear();
  CHECK(core.OnSessionCreated() == ConversationCore::Start::kResumed);
  CHECK(sink.SentTypes() == std::vector<std::string>{"session.update", "conversation.item.create"});
  CHECK(sink.sent[1].find("\"u1\"") != std::string::npos);
}

TEST_CASE_METHOD(ConversationCoreTest, "a line the server had is not sent again",
                 "[conversation_core]") {
  core.OnSessionCreated();
  UserItem("voxterm_user_1", "one");
  sink.sent.clear();
  CHECK_FALSE(core.ResendLine("one", "voxterm_item_1", "voxterm_user_1"));
  CHECK(core.ResendLine("two", "voxterm_item_2", "voxterm_user_2"));
  CHECK(sink.SentTypes() == std::vector<std::string>{"conversation.item.create"});
  CHECK(sink.sent[0].find("voxterm_user_2") != std::string::npos);
}

TEST_CASE_METHOD(ConversationCoreTest,
                 "a request lost with the connection goes to the next session",
                 "[conversation_core]") {
  core.OnSessionCreated();
  core.requests().Want();
  CHECK(core.requests().SendIfWanted(core.ready()));
  core.OnDisconnected();
  CHECK(core.requests().wanted());
  CHECK_FALSE(core.requests().SendIfWanted(core.ready()));  // not before the new session
  core.OnSessionCreated();
  CHECK(core.requests().SendIfWanted(core.ready()));
}

TEST_CASE_METHOD(ConversationCoreTest, "a typed line is a turn unless it is blank",
                 "[conversation_core]") {
  std::string line = "hello\r";
  CHECK(core.OnUserLine(&line) == ConversationCore::Line::kTurn);
  CHECK(line == "hello");  // a raw terminal's '\r' is not part of it
  line = " \t\r";
  CHECK(core.OnUserLine(&line) == ConversationCore::Line::kBlank);
  line = "";
  CHECK(core.OnUserLine(&line) == ConversationCore::Line::kBlank);
}
