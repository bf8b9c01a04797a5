// AnswerText: a line per message, .done events only for messages that had no deltas, lines that
// end when a message is whole, and a continuation that goes on the open line.
#include "conversation/answer_text.h"

#include <catch2/catch.hpp>
#include <string>

#include "fakes/fake_transport.h"
#include "util/secret_mask.h"

using namespace voxterm;

namespace {

// The lines as a terminal would show them: words as they come, "|" for a line's end, "#" for
// a line cut off.
struct AnswerTextTest : AnswerText::Lines {
  std::string shown;
  AnswerText text{this};

  void Words(std::string_view, std::string_view words) override { shown += words; }
  void EndLine(bool interrupted) override { shown += interrupted ? "#" : "|"; }

  bool Event(const std::string& json, bool show = true, bool end_line = true) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    return text.OnEvent(*event, show, end_line);
  }
  bool Delta(const char* item, const char* words, bool show = true) {
    return Event(
        std::string(R"({"type":"response.output_text.delta","response_id":"r","item_id":")") +
            item + R"(","output_index":0,"content_index":0,"delta":")" + words + R"("})",
        show);
  }
  bool TextDone(const char* item, const char* words) {
    return Event(
        std::string(R"({"type":"response.output_text.done","response_id":"r","item_id":")") + item +
        R"(","output_index":0,"content_index":0,"text":")" + words + R"("})");
  }
  bool ItemDone(const char* item, const char* role, const char* words, bool end_line = true) {
    return Event(
        std::string(R"({"type":"response.output_item.done","response_id":"r","output_index":0,)") +
            R"("item":{"id":")" + item + R"(","type":"message","role":")" + role +
            R"(","status":"completed","content":[{"type":"output_text","text":")" + words +
            R"("}]}})",
        /*show=*/true, end_line);
  }
};

}  // namespace

TEST_CASE_METHOD(AnswerTextTest, "a line for each message of a response", "[answer_text]") {
  CHECK(Delta("pre", "Let me look."));
  CHECK(Delta("ans", "It is "));
  CHECK(Delta("ans", "four."));
  text.EndLine(/*interrupted=*/false);
  CHECK(shown == "Let me look.|It is four.|");
  CHECK_FALSE(text.line_open());
}

TEST_CASE_METHOD(AnswerTextTest, "a .done shows only a message that had no deltas",
                 "[answer_text]") {
  CHECK(Delta("a1", "Hello"));
  CHECK_FALSE(TextDone("a1", "Hello, corrected"));  // what was shown stays
  CHECK(TextDone("a2", "Whole."));                  // none came as deltas
  CHECK_FALSE(ItemDone("a2", "assistant", "Whole."));
  CHECK(shown == "Hello|Whole.|");
}

TEST_CASE_METHOD(AnswerTextTest, "output_item.done shows an unshown message and ends its line",
                 "[answer_text]") {
  CHECK(ItemDone("a1", "assistant", "Only here."));
  CHECK(shown == "Only here.|");
  CHECK_FALSE(ItemDone("u1", "user", "my words"));  // the user's own item is not an answer
  CHECK(shown == "Only here.|");
}

TEST_CASE_METHOD(AnswerTextTest, "a message's line ends only where the mode lets it",
                 "[answer_text]") {
  CHECK(Delta("a1", "Hi"));
  CHECK_FALSE(ItemDone("a1", "assistant", "Hi", /*end_line=*/false));
  CHECK(text.line_open());
  CHECK_FALSE(ItemDone("other", "assistant", "", /*end_line=*/true));  // not the open line's
  CHECK(text.line_open());
  text.EndLine(/*interrupted=*/true);
  text.EndLine(/*interrupted=*/true);  // a line ends once
  CHECK(shown == "Hi#");
}

TEST_CASE_METHOD(AnswerTextTest, "words not to be shown are not, and change nothing",
                 "[answer_text]") {
  CHECK(Delta("a1", "Hi"));
  CHECK_FALSE(Delta("dropped", "stale words", /*show=*/false));
  CHECK(Delta("a1", " there"));
  CHECK(shown == "Hi there");
}

TEST_CASE_METHOD(AnswerTextTest, "a continuation after a reconnect goes on the open line",
                 "[answer_text]") {
  CHECK(Delta("old", "The answer is"));
  text.AdoptOpenLine(true);
  CHECK(Delta("new", " forty-two."));
  CHECK(Delta("next", "More."));  // only the first words are adopted
  CHECK(shown == "The answer is forty-two.|More.");
}

TEST_CASE_METHOD(AnswerTextTest, "adopting with no open line starts a new one", "[answer_text]") {
  CHECK(Delta("a1", "Done."));
  text.EndLine(/*interrupted=*/false);
  text.AdoptOpenLine(true);
  CHECK(Delta("a2", "Next."));
  CHECK(shown == "Done.|Next.");
}

TEST_CASE_METHOD(AnswerTextTest, "empty words show nothing and leave the line as it was",
                 "[answer_text]") {
  CHECK_FALSE(Delta("a1", ""));
  CHECK_FALSE(TextDone("a2", ""));
  CHECK_FALSE(text.line_open());
  CHECK(shown.empty());
}

TEST_CASE_METHOD(AnswerTextTest, "only the last few shown messages are remembered",
                 "[answer_text]") {
  for (int i = 0; i < 9; ++i) CHECK(Delta(("m" + std::to_string(i)).c_str(), "x"));
  // m0 is forgotten: its .done counts as a message that had no deltas. m8 is not.
  CHECK(TextDone("m0", "y"));
  CHECK_FALSE(TextDone("m8", "y"));
}

TEST_CASE_METHOD(AnswerTextTest, "an answer asked for afresh does not continue the open line",
                 "[answer_text]") {
  CHECK(Delta("old", "part"));
  text.AdoptOpenLine(true);   // a continuation is asked for, and its words never come
  text.AdoptOpenLine(false);  // then a fresh answer, after another reconnect
  CHECK(Delta("new", "answer"));
  CHECK(shown == "part|answer");
}

TEST_CASE_METHOD(AnswerTextTest, "a line does not begin with the space that joined its words",
                 "[answer_text]") {
  CHECK(Delta("a", "Let me check."));
  text.EndLine(/*interrupted=*/false);  // a tool's line comes between
  CHECK(Delta("a", " Tool clock returned noon."));
  CHECK_FALSE(Delta("b", " "));     // nothing to show: no line begins
  CHECK(Delta("b", "  indented"));  // one space only: the rest is the answer's own
  CHECK(shown == "Let me check.|Tool clock returned noon.| indented");
}

TEST_CASE_METHOD(AnswerTextTest, "a key in one message's deltas, another's between, is masked",
                 "[answer_text]") {
  const std::string key = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv";
  SetProcessSecret(key);
  for (size_t at = 0; at < key.size(); at += 3) {
    CHECK_NOTHROW(Delta("a", key.substr(at, 3).c_str()));
    CHECK_NOTHROW(Delta("b", "x"));
  }
  text.EndLine(/*interrupted=*/false);
  SetProcessSecret("");
  // Each piece ends its line before the next comes: what could begin the key is masked there
  // (the last 7 characters begin no maskable run, and pass, as the mask's shorter pieces do).
  for (size_t at = 0; at + 8 <= key.size(); ++at)
    CHECK(shown.find(key.substr(at, 8)) == std::string::npos);
  CHECK(shown.find("sk-") == std::string::npos);
  CHECK(shown.find("x|***|x|") != std::string::npos);
}
