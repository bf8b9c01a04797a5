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
  CHECK_FALSE(core.ResendLine("one", {}, "voxterm_item_1", "voxterm_user_1"));
  CHECK(core.ResendLine("two", {}, "voxterm_item_2", "voxterm_user_2"));
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

namespace {

// A voice session's core, for /voice and /instructions.
struct SettingsChangeTest {
  FakeTransport sink;
  RealtimeClient server{Dialect::kGa, &sink};
  History history;
  ConversationCore core{Settings(), Modality::kAudio, &server, nullptr, &history};

  static SessionSettings Settings() {
    SessionSettings settings;
    settings.voice = "marin";
    settings.instructions = "Be brief.";
    settings.turns = SessionSettings::Turns::kDetect;
    settings.tools.push_back({"f", "", R"({"type":"object"})"});
    return settings;
  }
  void Server(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    core.Record(*event);
  }
  void AudioArrives() {
    Server(
        R"({"type":"response.output_audio.delta","response_id":"r1","item_id":"a1","delta":"AAAA"})");
  }
  void Reconnect() {
    core.OnDisconnected();
    sink.sent.clear();
    core.OnSessionCreated();
  }
  static bool Has(const std::string& event, const std::string& part) {
    return event.find(part) != std::string::npos;
  }
};

}  // namespace

TEST_CASE_METHOD(SettingsChangeTest,
                 "new instructions go at once, alone, and stay for the next session",
                 "[conversation_core]") {
  core.OnSessionCreated();
  sink.sent.clear();
  core.ChangeInstructions("Answer in French.");
  REQUIRE(sink.SentTypes() == std::vector<std::string>{"session.update"});
  const std::string& update = sink.sent[0];
  CHECK(Has(update, R"("instructions":"Answer in French.")"));
  CHECK(Has(update, R"("type":"realtime")"));  // GA's session.update cannot go without it
  // Nothing else changes: not the voice, the tools or the turn detection.
  CHECK_FALSE(Has(update, "voice"));
  CHECK_FALSE(Has(update, "tools"));
  CHECK_FALSE(Has(update, "turn_detection"));
  CHECK(core.settings().instructions == "Answer in French.");
  Reconnect();
  REQUIRE(!sink.sent.empty());
  CHECK(Has(sink.sent[0], R"("instructions":"Answer in French.")"));
  CHECK(Has(sink.sent[0], R"("voice":"marin")"));
}

TEST_CASE_METHOD(SettingsChangeTest, "a change of tools is sent, also when none are left",
                 "[conversation_core]") {
  core.OnSessionCreated();
  sink.sent.clear();
  core.ChangeTools({{"g", "", R"({"type":"object"})"}});
  REQUIRE(sink.SentTypes() == std::vector<std::string>{"session.update"});
  CHECK(Has(sink.sent[0], R"("name":"g")"));
  CHECK_FALSE(Has(sink.sent[0], R"("name":"f")"));
  // An MCP server whose list went empty: the session must lose its tools too ("tools" replaces
  // the whole list; an update without it would leave g).
  core.ChangeTools({});
  REQUIRE(sink.sent.size() == 2);
  CHECK(Has(sink.sent[1], R"("tools":[])"));
  CHECK_FALSE(Has(sink.sent[1], "tool_choice"));
  // Other changes leave the tools alone.
  core.ChangeInstructions("Answer in French.");
  CHECK_FALSE(Has(sink.sent[2], "tools"));
}

TEST_CASE_METHOD(SettingsChangeTest, "between sessions a change waits for the next one",
                 "[conversation_core]") {
  core.OnSessionCreated();
  core.OnDisconnected();
  sink.sent.clear();
  REQUIRE(core.ChangeVoice("cedar").ok());
  core.ChangeInstructions("Answer in French.");
  CHECK(sink.sent.empty());
  core.OnSessionCreated();
  REQUIRE(!sink.sent.empty());
  CHECK(Has(sink.sent[0], R"("voice":"cedar")"));
  CHECK(Has(sink.sent[0], R"("instructions":"Answer in French.")"));
}

TEST_CASE_METHOD(SettingsChangeTest, "the voice changes until the model has answered with audio",
                 "[conversation_core]") {
  core.OnSessionCreated();
  sink.sent.clear();
  REQUIRE(core.ChangeVoice("cedar").ok());
  REQUIRE(sink.SentTypes() == std::vector<std::string>{"session.update"});
  CHECK(Has(sink.sent[0], R"("voice":"cedar")"));
  CHECK_FALSE(Has(sink.sent[0], "instructions"));
  CHECK_FALSE(Has(sink.sent[0], "tools"));

  AudioArrives();
  CHECK(core.voice_locked());
  sink.sent.clear();
  Status refused = core.ChangeVoice("alloy");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.message() ==
        "voice: still cedar: the API keeps a session's voice once the model has answered with "
        "audio, and this session's has");
  CHECK(sink.sent.empty());  // nothing the server would refuse
  CHECK(core.settings().voice == "cedar");

  // A new session has no audio yet, and keeps the voice the user chose.
  Reconnect();
  CHECK_FALSE(core.voice_locked());
  CHECK(Has(sink.sent[0], R"("voice":"cedar")"));
}

TEST_CASE_METHOD(SettingsChangeTest, "a voice the server refuses is not kept",
                 "[conversation_core]") {
  core.OnSessionCreated();
  REQUIRE(core.ChangeVoice("cedar").ok());
  // Audio was on its way when the change went out.
  ParsedEvent error(
      R"({"type":"error","error":{"type":"invalid_request_error","code":"cannot_update_voice",)"
      R"("message":"Cannot update a conversation's voice if assistant audio is present."}})");
  REQUIRE(error.ok());
  CHECK(core.OnVoiceRefused(error->error) ==
        "voice: the server refused cedar (it keeps a session's voice once the model has answered "
        "with audio); still marin");
  CHECK(core.settings().voice == "marin");
  CHECK(core.voice_locked());
  CHECK(core.OnVoiceRefused(error->error).empty());  // nothing more to undo

  // A name it does not know: its error names the voice's field.
  Reconnect();
  REQUIRE(core.ChangeVoice("nobody").ok());
  ParsedEvent unknown(
      R"({"type":"error","error":{"type":"invalid_request_error","code":"invalid_value",)"
      R"("param":"session.audio.output.voice","message":"Invalid value: 'nobody'."}})");
  REQUIRE(unknown.ok());
  CHECK(core.OnVoiceRefused(unknown->error) == "voice: the server refused nobody; still marin");
  Reconnect();
  CHECK(Has(sink.sent[0], R"("voice":"marin")"));
}

TEST_CASE_METHOD(SettingsChangeTest, "other errors leave the voice alone", "[conversation_core]") {
  core.OnSessionCreated();
  REQUIRE(core.ChangeVoice("cedar").ok());
  ParsedEvent other(
      R"({"type":"error","error":{"type":"invalid_request_error","code":"invalid_value",)"
      R"("param":"item.content","message":"no"}})");
  REQUIRE(other.ok());
  CHECK(core.OnVoiceRefused(other->error).empty());
  CHECK(core.settings().voice == "cedar");
}
