#include "conversation/text_chat.h"

#include <catch2/catch.hpp>

#include "fakes/fake_clock.h"
#include "fakes/fake_tool_runner.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_view.h"
#include "protocol/realtime_client.h"

using namespace voxterm;

namespace {

struct TextChatTest {
  FakeTransport transport;
  RealtimeClient server{Dialect::kGa, &transport};
  std::string answers;
  TextChat chat{[] {
                  SessionSettings s;
                  s.output = Modality::kText;
                  return s;
                }(),
                &server, [this](std::string_view text) { answers += text; }};

  void Server(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    chat.OnServerEvent(*event);
  }
  void SessionCreated() { Server(R"({"type":"session.created","session":{}})"); }
  void Answer(const std::string& id, std::vector<std::string> deltas,
              const char* status = "completed") {
    Server(R"({"type":"response.created","response":{"id":")" + id +
           R"(","status":"in_progress"}})");
    for (const std::string& d : deltas) {
      Server(R"({"type":"response.output_text.delta","response_id":")" + id + R"(","delta":")" + d +
             R"("})");
    }
    Server(R"({"type":"response.done","response":{"id":")" + id + R"(","status":")" + status +
           R"("}})");
  }
};

}  // namespace

TEST_CASE_METHOD(TextChatTest, "nothing is sent before session.created", "[text_chat]") {
  chat.OnUserLine("hello");
  CHECK(transport.sent.empty());
  SessionCreated();
  CHECK(transport.SentTypes() ==
        std::vector<std::string>{"session.update", "conversation.item.create", "response.create"});
}

TEST_CASE_METHOD(TextChatTest, "turns go one at a time and answers end with a newline",
                 "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("one");
  chat.OnUserLine("two");
  chat.OnInputEnd();
  CHECK(transport.sent.size() == 3);  // the second turn waits for the first answer
  Answer("r1", {"Fir", "st"});
  CHECK(answers == "First\n");
  CHECK(transport.sent.size() == 5);
  CHECK(transport.sent[3].find("\"two\"") != std::string::npos);
  CHECK_FALSE(chat.Finished());
  Answer("r2", {"Second\\n"});  // already ends with a newline: no second one
  CHECK(answers == "First\nSecond\n");
  CHECK(chat.Finished());
  CHECK(chat.failed_turns() == 0);
}

TEST_CASE_METHOD(TextChatTest, "blank lines are not turns", "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("");
  chat.OnUserLine("  \t");
  chat.OnUserLine("\r");
  CHECK(transport.sent.size() == 1);
  chat.OnInputEnd();
  CHECK(chat.Finished());
}

TEST_CASE_METHOD(TextChatTest, "audio transcripts count as the answer", "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("hi");
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r1","delta":"Hi there"})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(answers == "Hi there\n");
}

TEST_CASE_METHOD(TextChatTest, "a failed answer is counted and the next turn goes on",
                 "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("one");
  chat.OnUserLine("two");
  Answer("r1", {"partial"}, "failed");
  CHECK(chat.failed_turns() == 1);
  CHECK(answers == "partial\n");
  CHECK(transport.sent.size() == 5);
}

TEST_CASE_METHOD(TextChatTest, "a refused response.create ends the turn", "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("one");
  chat.OnInputEnd();
  Server(R"({"type":"error","error":{"type":"invalid_request_error","code":"invalid_value",
      "message":"no","event_id":"voxterm_response_1"}})");
  CHECK(chat.Finished());
  CHECK(chat.failed_turns() == 1);
}

TEST_CASE_METHOD(TextChatTest, "a refused line hides the answer to the old context",
                 "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("one");
  chat.OnInputEnd();
  Server(R"({"type":"error","error":{"type":"invalid_request_error","code":"invalid_value",
      "message":"bad item","event_id":"voxterm_item_1"}})");
  CHECK_FALSE(chat.Finished());  // the response.create behind it still answers
  Answer("r1", {"unrelated"});
  CHECK(answers.empty());
  CHECK(chat.Finished());
  CHECK(chat.failed_turns() == 1);
}

TEST_CASE_METHOD(TextChatTest, "a busy server gets response.create again after its response",
                 "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("one");
  Server(R"({"type":"response.created","response":{"id":"r0"}})");  // someone else's
  Server(R"({"type":"error","error":{"type":"invalid_request_error",
      "code":"conversation_already_has_active_response","message":"busy","event_id":"voxterm_response_1"}})");
  Server(R"({"type":"response.output_text.delta","response_id":"r0","delta":"not ours"})");
  Server(R"({"type":"response.done","response":{"id":"r0","status":"completed"}})");
  CHECK(transport.SentTypes().back() == "response.create");
  CHECK(transport.sent.size() == 4);
  Answer("r1", {"ours"});
  CHECK(answers == "ours\n");
}

TEST_CASE_METHOD(TextChatTest, "deltas of other responses are not printed", "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("one");
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  Server(R"({"type":"response.output_text.delta","response_id":"other","delta":"x"})");
  Server(R"({"type":"response.output_text.delta","response_id":"r1","delta":"y"})");
  CHECK(answers == "y");
}

TEST_CASE_METHOD(TextChatTest, "a response.done for a response never announced ends nothing",
                 "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("one");
  chat.OnUserLine("two");
  chat.OnInputEnd();
  Server(R"({"type":"response.done","response":{"id":"bogus","status":"completed"}})");
  CHECK(transport.sent.size() == 3);  // the first turn goes on; the second waits
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  Server(R"({"type":"response.output_text.delta","response_id":"r1","delta":"one"})");
  Server(R"({"type":"response.done","response":{"id":"bogus2","status":"completed"}})");
  CHECK(answers == "one");  // no newline: the answer is not over
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(answers == "one\n");
  CHECK(transport.sent.size() == 5);
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");  // again
  CHECK_FALSE(chat.Finished());
  Answer("r2", {"two"});
  CHECK(answers == "one\ntwo\n");
  CHECK(chat.Finished());
  CHECK(chat.answers() == 2);
}

TEST_CASE("the beta dialect asks for text in beta words", "[text_chat]") {
  FakeTransport transport;
  RealtimeClient server(Dialect::kBeta, &transport);
  TextChat chat(SessionSettings(), &server, [](std::string_view) {});
  chat.OnUserLine("hi");
  ParsedEvent created(R"({"type":"session.created","session":{}})");
  chat.OnServerEvent(*created);
  REQUIRE(transport.sent.size() == 3);
  CHECK(transport.sent[2].find(R"("modalities":["text"])") != std::string::npos);
}

namespace {

struct TextToolsTest {
  FakeTransport transport;
  RealtimeClient server{Dialect::kGa, &transport};
  FakeView view;
  FakeToolRunner runner;
  FakeClock clock;
  EventLog log{&clock};
  std::vector<ToolConfig> tools = {CommandTool("uptime", {"uptime"})};
  ToolCalls calls{&tools, &runner, &server, &view, &log, CanAsk::kYes, {}};
  std::string answers;
  TextChat chat{SessionSettings{}, &server, [this](std::string_view t) { answers += t; }, nullptr,
                &calls};

  void Server(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    chat.OnServerEvent(*event);
  }
};

}  // namespace

TEST_CASE_METHOD(TextToolsTest,
                 "a turn whose answer calls a tool goes on until the follow-up is answered",
                 "[text_chat][tools]") {
  Server(R"({"type":"session.created","session":{}})");
  chat.OnUserLine("how long has this machine been up?");
  chat.OnInputEnd();
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  Server(R"({"type":"response.output_text.delta","response_id":"r1","delta":"Let me look."})");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":1,"item":{"type":"function_call","call_id":"c1","name":"uptime","arguments":"{}"}})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(answers == "Let me look.\n");
  CHECK_FALSE(chat.Finished());
  CHECK(transport.SentTypes().back() == "response.create");  // the turn's own, so far
  runner.Exit(1, 0, "up 3 days");
  chat.OnToolsReady();
  auto types = transport.SentTypes();
  CHECK(std::vector<std::string>(types.end() - 2, types.end()) ==
        std::vector<std::string>{"conversation.item.create", "response.create"});
  Server(R"({"type":"response.created","response":{"id":"r2"}})");
  Server(R"({"type":"response.output_text.delta","response_id":"r2","delta":"Three days."})");
  Server(R"({"type":"response.done","response":{"id":"r2","status":"completed"}})");
  CHECK(answers == "Let me look.\nThree days.\n");
  CHECK(chat.Finished());
  CHECK(chat.failed_turns() == 0);
}

TEST_CASE_METHOD(TextToolsTest,
                 "a response the server starts by itself while a tool runs is not the turn's",
                 "[text_chat][tools]") {
  Server(R"({"type":"session.created","session":{}})");
  chat.OnUserLine("uptime?");
  chat.OnInputEnd();
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"type":"function_call","call_id":"c1","name":"uptime","arguments":"{}"}})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  chat.OnDisconnected();  // the tool goes on running
  Server(R"({"type":"session.created","session":{}})");
  // Nothing asked for this one: its words are not the turn's answer, and its failure is not
  // the turn's.
  Server(R"({"type":"response.created","response":{"id":"rX"}})");
  Server(R"({"type":"response.output_text.delta","response_id":"rX","delta":"SPONT"})");
  Server(R"({"type":"response.done","response":{"id":"rX","status":"failed"}})");
  CHECK(answers.empty());
  CHECK_FALSE(chat.Finished());
  runner.Exit(1, 0, "up 3 days");
  chat.OnToolsReady();
  Server(R"({"type":"response.created","response":{"id":"r2"}})");
  Server(R"({"type":"response.output_text.delta","response_id":"r2","delta":"Three days."})");
  Server(R"({"type":"response.done","response":{"id":"r2","status":"completed"}})");
  CHECK(answers == "Three days.\n");
  CHECK(chat.Finished());
  CHECK(chat.failed_turns() == 0);
}

TEST_CASE_METHOD(TextToolsTest, "Ctrl-C during a tool ends the turn, not the session",
                 "[text_chat][tools]") {
  Server(R"({"type":"session.created","session":{}})");
  CHECK_FALSE(chat.OnInterrupt());  // nothing runs: Ctrl-C is the loop's to quit on
  chat.OnUserLine("uptime?");
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"type":"function_call","call_id":"c1","name":"uptime","arguments":"{}"}})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(chat.OnInterrupt());
  chat.OnToolsReady();
  CHECK(chat.WantsPrompt());  // control is back
  auto types = transport.SentTypes();
  CHECK(std::count(types.begin(), types.end(), "response.create") == 1);
  CHECK(types.back() == "conversation.item.create");  // the output says "interrupted"
}

TEST_CASE_METHOD(TextToolsTest, "Ctrl-C at a tool's question gives the prompt back at once",
                 "[text_chat][tools]") {
  tools[0].confirm = true;
  Server(R"({"type":"session.created","session":{}})");
  chat.OnUserLine("uptime?");
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"type":"function_call","call_id":"c1","name":"uptime","arguments":"{}"}})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  REQUIRE(view.questions.size() == 1);
  CHECK_FALSE(chat.WantsPrompt());
  CHECK(chat.OnInterrupt());
  CHECK(chat.WantsPrompt());  // no runner event will come: the turn ended there and then
  CHECK(runner.started.empty());
}

TEST_CASE_METHOD(TextToolsTest, "/image while a tool's question waits is refused, not taken as n",
                 "[text_chat][tools][image]") {
  tools[0].confirm = true;
  Server(R"({"type":"session.created","session":{}})");
  chat.OnUserLine("uptime?");
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"type":"function_call","call_id":"c1","name":"uptime","arguments":"{}"}})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  REQUIRE(view.questions.size() == 1);
  const size_t sent = transport.sent.size();
  InputImage image;
  image.data_url = ImageDataUrl(ImageType::kGif, "GIF89a");
  const Status refused = chat.OnUserImage("look", image);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.message() == "/image: not sent; first answer the tool's question (y or n)");
  CHECK(transport.sent.size() == sent);  // nothing went, and the question still waits
  chat.OnUserLine("y");
  CHECK(runner.started.size() == 1);
}

namespace {

struct TextReconnectTest {
  FakeTransport transport;
  RealtimeClient server{Dialect::kGa, &transport};
  History history;
  std::string answers;
  TextChat chat{SessionSettings{}, &server, [this](std::string_view t) { answers += t; },
                nullptr,           nullptr, &history};

  void Server(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    chat.OnServerEvent(*event);
  }
  void SessionCreated() { Server(R"({"type":"session.created","session":{}})"); }
  void Delta(const std::string& response, const std::string& text) {
    Server(R"({"type":"response.output_text.delta","response_id":")" + response +
           R"(","item_id":"a1","delta":")" + text + R"("})");
  }
};

}  // namespace

TEST_CASE_METHOD(TextReconnectTest, "an answer cut off goes on where it stopped",
                 "[text_chat][reconnect]") {
  SessionCreated();
  chat.OnUserLine("hi");
  Server(
      R"({"type":"conversation.item.added","item":{"id":"voxterm_user_1","type":"message","role":"user",)"
      R"("status":"completed","content":[{"type":"input_text","text":"hi"}]}})");
  Server(R"({"type":"response.created","response":{"id":"r1","status":"in_progress"}})");
  Server(
      R"({"type":"response.output_item.added","response_id":"r1","item":{"id":"a1","type":"message",)"
      R"("role":"assistant","status":"in_progress","content":[]}})");
  Delta("r1", "Hel");
  chat.OnDisconnected();
  CHECK_FALSE(chat.session_ready());
  chat.OnUserLine("next");  // waits for the new session
  transport.sent.clear();
  SessionCreated();
  CHECK(transport.SentTypes() ==
        std::vector<std::string>{"session.update", "conversation.item.create",
                                 "conversation.item.create", "response.create"});
  CHECK(transport.sent[3].find("cut off by a lost connection") != std::string::npos);
  Server(R"({"type":"response.created","response":{"id":"r2","status":"in_progress"}})");
  Delta("r2", "lo");
  Server(R"({"type":"response.done","response":{"id":"r2","status":"completed"}})");
  CHECK(answers == "Hello\n");
  // Then the line typed during the outage.
  CHECK(transport.sent.back().find(R"("type":"response.create")") != std::string::npos);
  CHECK(transport.sent[transport.sent.size() - 2].find(R"("text":"next")") != std::string::npos);
}

TEST_CASE_METHOD(TextReconnectTest,
                 "an answer asked for afresh after a second loss starts a line of its own",
                 "[text_chat][reconnect]") {
  SessionCreated();
  chat.OnUserLine("hi");
  Server(R"({"type":"response.created","response":{"id":"r1","status":"in_progress"}})");
  Delta("r1", "part");
  chat.OnDisconnected();
  SessionCreated();       // asks for the rest: a continuation, on the open line
  chat.OnDisconnected();  // lost again before a word of it
  transport.sent.clear();
  SessionCreated();  // nothing of that one was written: the answer is asked for afresh
  CHECK(transport.sent.back().find("instructions") == std::string::npos);
  Server(R"({"type":"response.created","response":{"id":"r3","status":"in_progress"}})");
  Server(
      R"({"type":"response.output_text.delta","response_id":"r3","item_id":"a3","delta":"answer"})");
  Server(R"({"type":"response.done","response":{"id":"r3","status":"completed"}})");
  CHECK(answers == "part\nanswer\n");
}

TEST_CASE_METHOD(TextReconnectTest, "a line the server never had is sent again",
                 "[text_chat][reconnect]") {
  SessionCreated();
  chat.OnUserLine("hi");
  chat.OnDisconnected();
  transport.sent.clear();
  SessionCreated();
  CHECK(transport.SentTypes() ==
        std::vector<std::string>{"session.update", "conversation.item.create", "response.create"});
  CHECK(transport.sent[1].find(R"("id":"voxterm_user_1")") != std::string::npos);
  CHECK(transport.sent[2].find("instructions") == std::string::npos);
}

TEST_CASE_METHOD(TextReconnectTest, "input waits in the pipe once enough lines are queued",
                 "[text_chat]") {
  for (int i = 0; i < 63; ++i) chat.OnUserLine("line");
  CHECK(chat.WantsInput());
  chat.OnUserLine("line");
  CHECK_FALSE(chat.WantsInput());
}

TEST_CASE_METHOD(TextChatTest, "each message of a response is a line of its own", "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("hi");
  Server(R"({"type":"response.created","response":{"id":"r1","status":"in_progress"}})");
  auto delta = [&](const char* item, const char* text) {
    Server(std::string(R"({"type":"response.output_text.delta","response_id":"r1","item_id":")") +
           item + R"(","delta":")" + text + R"("})");
  };
  delta("p1", "One ");
  delta("p1", "moment.");
  delta("a1", "Here ");  // a new item: a new line, even before p1's item is done
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":1,"item":{"id":"a1",)"
      R"("type":"message","role":"assistant","status":"completed","content":[]}})");
  CHECK(answers == "One moment.\nHere \n");  // the item is done: its line ends
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(answers == "One moment.\nHere \n");
  CHECK(chat.Idle());
}

TEST_CASE_METHOD(TextReconnectTest,
                 "the rest of a cut answer goes on its line, the next message on another",
                 "[text_chat][reconnect]") {
  SessionCreated();
  chat.OnUserLine("hi");
  Server(R"({"type":"response.created","response":{"id":"r1","status":"in_progress"}})");
  Delta("r1", "Hel");
  chat.OnDisconnected();
  SessionCreated();
  Server(R"({"type":"response.created","response":{"id":"r2","status":"in_progress"}})");
  Server(
      R"({"type":"response.output_text.delta","response_id":"r2","item_id":"c1","delta":"lo."})");
  Server(
      R"({"type":"response.output_text.delta","response_id":"r2","item_id":"c2","delta":"More."})");
  Server(R"({"type":"response.done","response":{"id":"r2","status":"completed"}})");
  CHECK(answers == "Hello.\nMore.\n");
}

TEST_CASE_METHOD(TextChatTest, "a message that comes whole in its .done is printed once",
                 "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("hi");
  Server(R"({"type":"response.created","response":{"id":"r1","status":"in_progress"}})");
  Server(
      R"({"type":"response.output_text.done","response_id":"r1","item_id":"a1","output_index":0,"content_index":0,"text":"Only in done."})");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":0,"item":{"id":"a1","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Only in done."}]}})");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":1,"item":{"id":"a2","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Item only."}]}})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(answers == "Only in done.\nItem only.\n");
  chat.OnUserLine("again");
  Server(R"({"type":"response.created","response":{"id":"r2","status":"in_progress"}})");
  Server(
      R"({"type":"response.output_audio_transcript.delta","response_id":"r2","item_id":"b1","delta":"Hello wor"})");
  Server(
      R"({"type":"response.output_audio_transcript.done","response_id":"r2","item_id":"b1","transcript":"Hello world, corrected."})");
  Server(R"({"type":"response.done","response":{"id":"r2","status":"completed"}})");
  CHECK(answers == "Only in done.\nItem only.\nHello wor\n");  // what was written stays
}

TEST_CASE_METHOD(TextChatTest, "a response announced twice is still the turn's answer",
                 "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("one");
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  Server(R"({"type":"response.output_text.delta","response_id":"r1","delta":"y"})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(answers == "y\n");
  CHECK(chat.answers() == 1);
  chat.OnInputEnd();
  CHECK(chat.Finished());
}

namespace {

// --text on a terminal: Ctrl-C stops the answer rather than the session.
struct InteractiveTextTest : TextChatTest {
  TextChat terminal_chat{SessionSettings{},
                         &server,
                         [this](std::string_view text) { answers += text; },
                         nullptr,
                         nullptr,
                         nullptr,
                         /*interactive=*/true};
  void ToTerminal(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    terminal_chat.OnServerEvent(*event);
  }
};

}  // namespace

TEST_CASE_METHOD(InteractiveTextTest, "on a terminal, Ctrl-C stops the answer, not the session",
                 "[text_chat]") {
  ToTerminal(R"({"type":"session.created","session":{}})");
  CHECK_FALSE(terminal_chat.OnInterrupt());  // at the prompt it quits
  terminal_chat.OnUserLine("one");
  ToTerminal(R"({"type":"response.created","response":{"id":"r1"}})");
  ToTerminal(R"({"type":"response.output_text.delta","response_id":"r1","delta":"par"})");
  REQUIRE(terminal_chat.OnInterrupt());
  CHECK(transport.SentTypes().back() == "response.cancel");
  CHECK(answers == "par\n");  // the line ends where it stopped
  ToTerminal(R"({"type":"response.output_text.delta","response_id":"r1","delta":"tial"})");
  CHECK(answers == "par\n");
  CHECK_FALSE(terminal_chat.WantsPrompt());  // until the server confirms
  ToTerminal(R"({"type":"response.done","response":{"id":"r1","status":"cancelled"}})");
  CHECK(terminal_chat.WantsPrompt());
  CHECK(terminal_chat.failed_turns() == 0);
  terminal_chat.OnUserLine("two");
  CHECK(transport.SentTypes().back() == "response.create");
}

TEST_CASE_METHOD(InteractiveTextTest, "Ctrl-C before the answer begins cancels it once announced",
                 "[text_chat]") {
  ToTerminal(R"({"type":"session.created","session":{}})");
  terminal_chat.OnUserLine("one");
  REQUIRE(terminal_chat.OnInterrupt());
  CHECK(transport.SentTypes().back() == "response.create");  // nothing to cancel yet
  ToTerminal(R"({"type":"response.created","response":{"id":"r1"}})");
  CHECK(transport.SentTypes().back() == "response.cancel");
  ToTerminal(R"({"type":"response.output_text.delta","response_id":"r1","delta":"x"})");
  ToTerminal(R"({"type":"response.done","response":{"id":"r1","status":"cancelled"}})");
  CHECK(answers.empty());
  CHECK(terminal_chat.WantsPrompt());
}

TEST_CASE_METHOD(TextChatTest, "in a pipe, Ctrl-C during an answer ends the session",
                 "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("one");
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  CHECK_FALSE(chat.OnInterrupt());
}

TEST_CASE_METHOD(TextChatTest, "a response nobody asked for that never ends keeps nothing waiting",
                 "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("one");
  Answer("r1", {"first"});
  Server(R"({"type":"response.created","response":{"id":"ghost"}})");  // and never a done
  CHECK_FALSE(chat.AwaitingServer());
  chat.OnInputEnd();
  CHECK(chat.Finished());
}

TEST_CASE_METHOD(TextChatTest, "a line waits for a response nobody asked for, and says so",
                 "[text_chat]") {
  SessionCreated();
  Server(R"({"type":"response.created","response":{"id":"ghost"}})");
  chat.OnUserLine("one");
  // The line goes; its response.create waits for the other to end, and the watchdog watches.
  CHECK(transport.SentTypes().back() == "conversation.item.create");
  CHECK(chat.AwaitingServer());
  Server(R"({"type":"response.done","response":{"id":"ghost","status":"completed"}})");
  CHECK(transport.SentTypes().back() == "response.create");
  Answer("r1", {"answer"});
  CHECK(answers == "answer\n");
}

TEST_CASE_METHOD(TextChatTest, "a response nobody asked for does not hide the turn's answer",
                 "[text_chat]") {
  SessionCreated();
  chat.OnUserLine("one");
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  Server(R"({"type":"response.created","response":{"id":"r2"}})");  // nobody's
  Server(R"({"type":"response.output_text.delta","response_id":"r1","delta":"mine"})");
  Server(R"({"type":"response.output_text.delta","response_id":"r2","delta":"theirs"})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  CHECK(answers == "mine\n");
  CHECK(chat.answers() == 1);
  chat.OnInputEnd();
  CHECK(chat.Finished());
}

TEST_CASE_METHOD(TextToolsTest, "a refused line's answer is hidden, its tool's follow-up is not",
                 "[text_chat][tools]") {
  Server(R"({"type":"session.created","session":{}})");
  chat.OnUserLine("one");
  Server(
      R"({"type":"error","error":{"type":"invalid_request_error","code":"invalid_value","message":"bad item","event_id":"voxterm_item_1"}})");
  Server(R"({"type":"response.created","response":{"id":"r1"}})");
  Server(R"({"type":"response.output_text.delta","response_id":"r1","delta":"old context"})");
  Server(
      R"({"type":"response.output_item.done","response_id":"r1","output_index":1,"item":{"type":"function_call","call_id":"c1","name":"uptime","arguments":"{}"}})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed"}})");
  runner.Exit(1, 0, "up 3 days");
  chat.OnToolsReady();
  Server(R"({"type":"response.created","response":{"id":"r2"}})");
  Server(R"({"type":"response.output_text.delta","response_id":"r2","delta":"Three days."})");
  Server(R"({"type":"response.done","response":{"id":"r2","status":"completed"}})");
  CHECK(answers == "Three days.\n");
  chat.OnInputEnd();
  CHECK(chat.Finished());
  CHECK(chat.failed_turns() == 1);
}

TEST_CASE_METHOD(TextReconnectTest, "a line the server began to answer is not sent again",
                 "[text_chat][reconnect]") {
  SessionCreated();
  chat.OnUserLine("hi");  // never echoed back, so History does not have it
  Server(R"({"type":"response.created","response":{"id":"r1","status":"in_progress"}})");
  Server(
      R"({"type":"response.output_item.added","response_id":"r1","item":{"id":"a1","type":"message",)"
      R"("role":"assistant","status":"in_progress","content":[]}})");
  chat.OnDisconnected();
  transport.sent.clear();
  SessionCreated();
  // Sent again, it would follow the replayed answer: the server had it, since it answered it.
  for (const std::string& sent : transport.sent)
    CHECK(sent.find(R"("text":"hi")") == std::string::npos);
  CHECK(transport.SentTypes().back() == "response.create");
}

TEST_CASE_METHOD(TextChatTest, "text mode has no microphone to mute, but new instructions go",
                 "[text_chat]") {
  Status muted = chat.SetMuted(true);
  REQUIRE_FALSE(muted.ok());
  CHECK(muted.message() == "mute: there is no microphone in text mode");
  CHECK_FALSE(chat.muted());
  SessionCreated();
  transport.sent.clear();
  chat.ChangeInstructions("Answer in French.");
  REQUIRE(transport.SentTypes() == std::vector<std::string>{"session.update"});
  CHECK(transport.sent[0].find(R"("instructions":"Answer in French.")") != std::string::npos);
  CHECK(transport.sent[0].find(R"("output_modalities":["text"])") != std::string::npos);
}

namespace {

InputImage TestImage(const std::string& name) {
  InputImage image;
  image.data_url = ImageDataUrl(ImageType::kPng, "\x89PNG\r\n\x1a\n" + name);
  image.name = name;
  image.bytes = 8 + name.size();
  return image;
}

}  // namespace

TEST_CASE_METHOD(TextChatTest, "images of --image go with the first turn, in its message",
                 "[text_chat][image]") {
  chat.AttachToFirstTurn({TestImage("a.png"), TestImage("b.png")});
  SessionCreated();
  chat.OnUserLine("  ");  // a blank line is no turn, and takes nothing
  chat.OnUserLine("what are these?");
  REQUIRE(transport.sent.size() == 3);
  const std::string& item = transport.sent[1];
  CHECK(SentField(item, "/item/content") == "[3]");
  CHECK(SentField(item, "/item/content/0/text") == "what are these?");
  CHECK(SentField(item, "/item/content/1/image_url") == TestImage("a.png").data_url);
  CHECK(SentField(item, "/item/content/2/image_url") == TestImage("b.png").data_url);
  Answer("r1", {"Two."});
  chat.OnUserLine("and now?");
  CHECK(SentField(transport.sent[3], "/item/content") == "[1]");  // the next turn has none
}

TEST_CASE_METHOD(TextChatTest, "/image waits its turn, and an image alone is a turn",
                 "[text_chat][image]") {
  SessionCreated();
  chat.OnUserLine("first");
  REQUIRE(chat.OnUserImage("", TestImage("c.png")).ok());
  CHECK(transport.sent.size() == 3);  // behind the first turn, as a line would be
  Answer("r1", {"One."});
  REQUIRE(transport.sent.size() == 5);
  CHECK(SentField(transport.sent[3], "/item/content") == "[1]");
  CHECK(SentField(transport.sent[3], "/item/content/0/type") == "input_image");
  CHECK(SentField(transport.sent[4], "/type") == "response.create");
}

TEST_CASE_METHOD(TextChatTest, "a turn the server never had is sent again with its images",
                 "[text_chat][image]") {
  SessionCreated();
  REQUIRE(chat.OnUserImage("look", TestImage("d.png")).ok());
  chat.OnDisconnected();
  transport.sent.clear();
  SessionCreated();
  REQUIRE(transport.sent.size() >= 2);
  CHECK(SentField(transport.sent[1], "/type") == "conversation.item.create");
  CHECK(SentField(transport.sent[1], "/item/content/0/text") == "look");
  CHECK(SentField(transport.sent[1], "/item/content/1/image_url") == TestImage("d.png").data_url);
}

TEST_CASE_METHOD(TextChatTest, "images with no turn to go with are dropped at the end of input",
                 "[text_chat][image]") {
  chat.AttachToFirstTurn({TestImage("e.png")});
  SessionCreated();
  chat.OnInputEnd();
  CHECK(chat.Finished());
  CHECK(transport.sent.size() == 1);  // session.update only
}
