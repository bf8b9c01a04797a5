// /save: the conversation from the History, as text or Markdown, into a private file that is
// never reached through a symbolic link.
#include "app/saved_conversation.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "fakes/fake_transport.h"

using namespace voxterm;

namespace {

struct SavedConversationTest {
  History history;
  const std::string dir = "/tmp/voxterm_test_" + std::to_string(getpid()) + "_save";

  SavedConversationTest() { mkdir(dir.c_str(), 0700); }
  ~SavedConversationTest() {
    for (const char* name : {"/talk.txt", "/talk.md", "/link.txt", "/other.txt", "/fifo"})
      unlink((dir + name).c_str());
    rmdir(dir.c_str());
  }

  void Server(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    history.OnServerEvent(*event);
  }
  // A typed turn, a spoken one, a tool call and its result, and an answer cut by a barge-in.
  void Conversation() {
    Server(
        R"({"type":"conversation.item.added","item":{"id":"u1","type":"message","role":"user",)"
        R"("status":"completed","content":[{"type":"input_text","text":"how full is /tmp?"}]}})");
    Server(R"({"type":"response.output_item.done","response_id":"r","item":{"id":"c1",)"
           R"("type":"function_call","status":"completed","call_id":"call_1","name":"disk_usage",)"
           R"("arguments":"{\"path\":\"/tmp\"}"}})");
    Server(R"({"type":"conversation.item.added","item":{"id":"o1","type":"function_call_output",)"
           R"("call_id":"call_1","output":"{\"stdout\":\"12%\"}"}})");
    Server(R"({"type":"conversation.item.added","item":{"id":"s1","type":"message","role":"user",)"
           R"("status":"completed","content":[{"type":"input_audio","transcript":null}]}})");
    Server(R"({"type":"conversation.item.input_audio_transcription.completed","item_id":"s1",)"
           R"("content_index":0,"transcript":"and in words?"})");
    Server(R"({"type":"response.output_item.added","response_id":"r","item":{"id":"a1",)"
           R"("type":"message","role":"assistant","status":"in_progress","content":[]}})");
    Server(R"({"type":"response.output_audio_transcript.delta","response_id":"r","item_id":"a1",)"
           R"("delta":"one two three four"})");
    Server(R"({"type":"response.output_audio.delta","response_id":"r","item_id":"a1","delta":")" +
           std::string(64000, 'A') + R"("})");
    Server(R"({"type":"conversation.item.truncated","item_id":"a1","content_index":0,)"
           R"("audio_end_ms":500})");
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
};

}  // namespace

TEST_CASE_METHOD(SavedConversationTest, "plain text: both sides, tools, interruptions",
                 "[saved_conversation]") {
  Conversation();
  CHECK(FormatConversation(history, SavedFormat::kText) ==
        "you: how full is /tmp?\n"
        "tool call: disk_usage {\"path\":\"/tmp\"}\n"
        "tool result: {\"stdout\":\"12%\"}\n"
        "you: and in words?\n"
        "assistant: one two [interrupted]\n");
}

TEST_CASE_METHOD(SavedConversationTest, "Markdown: names in bold, a tool's JSON in code",
                 "[saved_conversation]") {
  Conversation();
  CHECK(FormatConversation(history, SavedFormat::kMarkdown) ==
        "**you**: how full is /tmp?\n\n"
        "**tool call**: ` disk_usage {\"path\":\"/tmp\"} `\n\n"
        "**tool result**: ` {\"stdout\":\"12%\"} `\n\n"
        "**you**: and in words?\n\n"
        "**assistant**: one two *[interrupted]*\n\n");
  CHECK(SavedFormatFor("a/talk.md") == SavedFormat::kMarkdown);
  CHECK(SavedFormatFor("talk.txt") == SavedFormat::kText);
  CHECK(SavedFormatFor(".md.txt") == SavedFormat::kText);
}

TEST_CASE_METHOD(SavedConversationTest, "speech never transcribed is said to be there",
                 "[saved_conversation]") {
  Server(R"({"type":"conversation.item.added","item":{"id":"s1","type":"message","role":"user",)"
         R"("status":"completed","content":[{"type":"input_audio","transcript":null}]}})");
  CHECK(FormatConversation(history, SavedFormat::kText) == "you: (spoken, not transcribed)\n");
}

TEST_CASE_METHOD(SavedConversationTest, "the file is created 0600, Markdown by its name",
                 "[saved_conversation]") {
  Conversation();
  REQUIRE(SaveConversation(history, dir + "/talk.md").ok());
  struct stat st;
  REQUIRE(stat((dir + "/talk.md").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(Read(dir + "/talk.md") == FormatConversation(history, SavedFormat::kMarkdown));
  // Saved again later: the file holds the conversation as it is then, not twice.
  REQUIRE(SaveConversation(history, dir + "/talk.md").ok());
  CHECK(Read(dir + "/talk.md") == FormatConversation(history, SavedFormat::kMarkdown));
}

TEST_CASE_METHOD(SavedConversationTest, "a symbolic link, a FIFO or the run's own file is refused",
                 "[saved_conversation]") {
  Conversation();
  { std::ofstream(dir + "/other.txt") << "keep me"; }
  REQUIRE(symlink((dir + "/other.txt").c_str(), (dir + "/link.txt").c_str()) == 0);
  Status linked = SaveConversation(history, dir + "/link.txt");
  REQUIRE_FALSE(linked.ok());
  CHECK(linked.message() == "/save " + dir + "/link.txt: is a symbolic link (refused)");
  CHECK(Read(dir + "/other.txt") == "keep me");

  REQUIRE(mkfifo((dir + "/fifo").c_str(), 0600) == 0);
  Status fifo = SaveConversation(history, dir + "/fifo");
  REQUIRE_FALSE(fifo.ok());
  CHECK(fifo.message().find("is a FIFO") != std::string::npos);

  Status own =
      SaveConversation(history, dir + "/other.txt", {{"--input-file", dir + "/other.txt"}});
  REQUIRE_FALSE(own.ok());
  CHECK(own.message().find("are the same file") != std::string::npos);
  CHECK(Read(dir + "/other.txt") == "keep me");
}

TEST_CASE_METHOD(SavedConversationTest, "a directory that is not there is a one-line error",
                 "[saved_conversation]") {
  Status status = SaveConversation(history, dir + "/none/talk.txt");
  REQUIRE_FALSE(status.ok());
  CHECK(status.message() == "/save " + dir + "/none/talk.txt: No such file or directory");
}
