#include "ui/transcript_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "fakes/fake_view.h"

using namespace voxterm;

namespace {

struct TranscriptTest {
  explicit TranscriptTest(const char* name)
      : path(std::string("/tmp/voxterm_transcript_") + std::to_string(getpid()) + name) {}
  ~TranscriptTest() { unlink(path.c_str()); }
  std::string Read() const {
    std::ifstream in(path);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
  }
  std::string path;
};

// Every hh:mm:ss becomes T. (No std::regex: gcc 12 under ASan warns inside it.)
std::string WithoutTimes(const std::string& text) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const bool time = i + 8 <= text.size() && digit(text[i]) && digit(text[i + 1]) &&
                      text[i + 2] == ':' && digit(text[i + 3]) && digit(text[i + 4]) &&
                      text[i + 5] == ':' && digit(text[i + 6]) && digit(text[i + 7]);
    out += time ? "T" : std::string(1, text[i]);
    i += time ? 8 : 1;
  }
  return out;
}

}  // namespace

TEST_CASE("the transcript has both sides, as they happen, and passes every call on", "[ui]") {
  TranscriptTest t(".txt");
  FakeView inner;
  {
    auto file = TranscriptFile::Create(t.path);
    REQUIRE(file.ok());
    TranscriptFile& transcript = **file;
    transcript.SetInner(&inner, &inner);
    transcript.UserSaid("what's the weather?");
    transcript.AssistantDelta("Cold ");
    CHECK(WithoutTimes(t.Read()) == "[T] you: what's the weather?\n");  // the answer is not over
    transcript.AssistantDelta("and grey.\n");
    transcript.AssistantDone(/*interrupted=*/false);
    transcript.UserTyped("and tomorrow?");
    transcript.AssistantDelta("Snow, I");
    transcript.AssistantDone(/*interrupted=*/true);
    transcript.ToolActivity("disk_usage {\"path\":\"/tmp\"}");
    transcript.Notice("the connection was lost");  // not the conversation's words
    CHECK(WithoutTimes(t.Read()) ==
          "[T] you: what's the weather?\n"
          "[T] assistant: Cold and grey.\n"
          "[T] you (typed): and tomorrow?\n"
          "[T] assistant: Snow, I [interrupted]\n"
          "[T] tool: disk_usage {\"path\":\"/tmp\"}\n");
  }
  CHECK(inner.lines == std::vector<std::string>{"you: what's the weather?",
                                                "assistant: Cold and grey.\n",
                                                "assistant: Snow, I [interrupted]",
                                                "tool: disk_usage {\"path\":\"/tmp\"}"});
  CHECK(inner.notices == std::vector<std::string>{"the connection was lost"});
  struct stat st {};
  REQUIRE(stat(t.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a transcript named .md is Markdown", "[ui]") {
  TranscriptTest t(".md");
  {
    auto file = TranscriptFile::Create(t.path);
    REQUIRE(file.ok());
    (*file)->UserSaid("hi");
    (*file)->AssistantDelta("Hello.");
    (*file)->AssistantDone(/*interrupted=*/true);
  }
  CHECK(WithoutTimes(t.Read()) ==
        "**you** (T): hi\n\n**assistant** (T): Hello. *[interrupted]*\n\n");
}

TEST_CASE("a transcript through a symbolic link is refused", "[ui]") {
  TranscriptTest t(".lnk");
  REQUIRE(symlink("/tmp/voxterm_nowhere", t.path.c_str()) == 0);
  auto file = TranscriptFile::Create(t.path);
  REQUIRE_FALSE(file.ok());
  CHECK(file.status().message().find("--transcript") != std::string::npos);
}

TEST_CASE("a long answer is written as it comes, not kept", "[ui]") {
  TranscriptTest t(".long.txt");
  auto file = TranscriptFile::Create(t.path);
  REQUIRE(file.ok());
  TranscriptFile& transcript = **file;
  const std::string words(1000, 'w');
  std::string said;
  for (int i = 0; i < 200; ++i) {  // 200 KB, past what a transcript keeps
    transcript.AssistantDelta(words);
    said += words;
  }
  // Most of it is in the file already (stdio may hold its last buffer), the line not ended.
  const std::string early = WithoutTimes(t.Read());
  CHECK(early.size() > 150000);
  CHECK(early.rfind("[T] assistant: www", 0) == 0);
  CHECK(early.find('\n') == std::string::npos);
  transcript.AssistantDelta(" end.\n\n");  // line breaks at its end are dropped, as for a short one
  transcript.AssistantDone(/*interrupted=*/true);
  CHECK(WithoutTimes(t.Read()) == "[T] assistant: " + said + " end. [interrupted]\n");
}

TEST_CASE("another entry during a long answer ends its line, and the answer goes on after",
          "[ui]") {
  TranscriptTest t(".split.md");
  auto file = TranscriptFile::Create(t.path);
  REQUIRE(file.ok());
  TranscriptFile& transcript = **file;
  const std::string words(70 * 1024, 'w');
  transcript.AssistantDelta(words);  // past the limit at once
  transcript.AssistantDelta("\n");
  transcript.UserSaid("stop?");
  transcript.AssistantDelta("No.\n");
  transcript.AssistantDone(/*interrupted=*/false);
  CHECK(WithoutTimes(t.Read()) ==
        "**assistant** (T): " + words + "\n\n**you** (T): stop?\n\n**assistant** (T): No.\n\n");
}
