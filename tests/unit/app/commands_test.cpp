// Commands: what a typed line is, and what each command asks of its target.
#include "app/commands.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace voxterm;

namespace {

// Records every call; each answers with what the test set.
class FakeTarget : public CommandTarget {
 public:
  Status SetMuted(bool muted) override {
    calls.push_back(muted ? "mute" : "unmute");
    return mute_error.empty() ? Status::Ok() : Status::Error(mute_error);
  }
  Status ChangeVoice(std::string voice) override {
    calls.push_back("voice " + voice);
    return Status::Ok();
  }
  Status ChangeInstructions(std::string text) override {
    calls.push_back("instructions " + text);
    return Status::Ok();
  }
  Status SaveTranscript(const std::string& path) override {
    calls.push_back("save " + path);
    return save_error.empty() ? Status::Ok() : Status::Error(save_error);
  }
  Status SendImage(const std::string& path, std::string text) override {
    calls.push_back("image " + path + " [" + text + "]");
    return image_error.empty() ? Status::Ok() : Status::Error(image_error);
  }
  std::string UsageSummary() override {
    calls.push_back("usage");
    return "12 tokens in, 34 out\ncost: $0.01";
  }
  void Quit() override { calls.push_back("quit"); }
  void Show(std::string_view line) override { shown.emplace_back(line); }

  std::string mute_error, save_error, image_error;
  std::vector<std::string> calls;
  std::vector<std::string> shown;
};

ParsedLine::Kind KindOf(std::string_view line) { return ParseCommand(line).kind; }

}  // namespace

TEST_CASE("a line without a leading slash is a turn, as typed", "[commands]") {
  const ParsedLine parsed = ParseCommand("what is 2 + 2?");
  CHECK(parsed.kind == ParsedLine::Kind::kTurn);
  CHECK(parsed.text == "what is 2 + 2?");
  CHECK(ParseCommand(" /mute").kind == ParsedLine::Kind::kTurn);  // only at the very start
  CHECK(ParseCommand("").kind == ParsedLine::Kind::kTurn);
}

TEST_CASE("a double slash sends the line with one slash removed", "[commands]") {
  const ParsedLine parsed = ParseCommand("//usr/bin is where it lives");
  CHECK(parsed.kind == ParsedLine::Kind::kTurn);
  CHECK(parsed.text == "/usr/bin is where it lives");
  CHECK(ParseCommand("//").text == "/");
}

TEST_CASE("every command is known, with its argument trimmed", "[commands]") {
  CHECK(ParseCommand("/mute").name == CommandName::kMute);
  CHECK(ParseCommand("/unmute\r").name == CommandName::kUnmute);  // a raw terminal's '\r'
  CHECK(ParseCommand("/usage").name == CommandName::kUsage);
  CHECK(ParseCommand("/help").name == CommandName::kHelp);
  CHECK(ParseCommand("/quit  ").name == CommandName::kQuit);
  const ParsedLine voice = ParseCommand("/voice  marin ");
  CHECK(voice.kind == ParsedLine::Kind::kCommand);
  CHECK(voice.name == CommandName::kVoice);
  CHECK(voice.text == "marin");
  const ParsedLine instructions = ParseCommand("/instructions Answer in French, briefly.");
  CHECK(instructions.name == CommandName::kInstructions);
  CHECK(instructions.text == "Answer in French, briefly.");
  const ParsedLine save = ParseCommand("/save ~/my notes/talk.md");
  CHECK(save.name == CommandName::kSave);
  CHECK(save.text == "~/my notes/talk.md");  // spaces in a path are the path's
}

TEST_CASE("a missing or extra argument is a one-line error naming the command", "[commands]") {
  CHECK(ParseCommand("/voice").text == "/voice NAME: which NAME?");
  CHECK(ParseCommand("/voice   ").kind == ParsedLine::Kind::kError);
  CHECK(ParseCommand("/voice marin cedar").text == "/voice NAME: one NAME, without spaces");
  CHECK(ParseCommand("/instructions").text == "/instructions TEXT: which TEXT?");
  CHECK(ParseCommand("/save").text == "/save PATH: which PATH?");
  CHECK(ParseCommand("/mute now").text == "/mute: takes nothing after it");
  CHECK(KindOf("/quit please") == ParsedLine::Kind::kError);
  for (const char* line : {"/voice", "/save", "/mute now", "/nope"})
    CHECK(ParseCommand(line).text.find('\n') == std::string::npos);
}

TEST_CASE("an unknown command says so and lists the known ones", "[commands]") {
  const ParsedLine parsed = ParseCommand("/volume 3");
  CHECK(parsed.kind == ParsedLine::Kind::kError);
  CHECK(parsed.text.rfind("/volume: no such command; the commands are /mute, /unmute, /voice, "
                          "/instructions, /image, /save, /usage, /help, /quit",
                          0) == 0);
  CHECK(parsed.text.find("//text") != std::string::npos);
  CHECK(KindOf("/") == ParsedLine::Kind::kError);
  CHECK(KindOf("/MUTE") == ParsedLine::Kind::kError);  // commands are lowercase
}

TEST_CASE("help has a line per command, //text and Ctrl-T", "[commands]") {
  const std::string help = CommandHelp();
  for (const char* usage :
       {"/mute ", "/unmute ", "/voice NAME ", "/instructions TEXT ", "/image PATH [TEXT] ",
        "/save PATH ", "/usage ", "/help ", "/quit ", "//TEXT ", "Ctrl-T "}) {
    CHECK(help.find(usage) != std::string::npos);
  }
  CHECK(std::count(help.begin(), help.end(), '\n') == 11);
}

TEST_CASE("each command asks its target, and what it says is shown", "[commands]") {
  FakeTarget target;
  std::string turn;
  for (const char* line : {"/mute", "/unmute", "/voice cedar", "/instructions Be brief.",
                           "/save talk.md", "/usage", "/quit"}) {
    CHECK(HandleLine(line, &target, &turn));
  }
  CHECK(turn.empty());
  CHECK(target.calls == std::vector<std::string>{"mute", "unmute", "voice cedar",
                                                 "instructions Be brief.", "save talk.md", "usage",
                                                 "quit"});
  CHECK(target.shown == std::vector<std::string>{"muted: the microphone is not sent (/unmute)",
                                                 "unmuted: the microphone is sent again",
                                                 "voice: cedar", "instructions: changed",
                                                 "saved to talk.md", "12 tokens in, 34 out",
                                                 "cost: $0.01"});
}

TEST_CASE("a target's failure is shown as it said it", "[commands]") {
  FakeTarget target;
  target.mute_error = "mute: there is no microphone in text mode";
  target.save_error = "/save /x/y: No such file or directory";
  std::string turn;
  CHECK(HandleLine("/mute", &target, &turn));
  CHECK(HandleLine("/save /x/y", &target, &turn));
  CHECK(target.shown == std::vector<std::string>{"mute: there is no microphone in text mode",
                                                 "/save /x/y: No such file or directory"});
}

TEST_CASE("a turn goes back to the caller; an error is shown and nothing is sent", "[commands]") {
  FakeTarget target;
  std::string turn;
  CHECK_FALSE(HandleLine("//etc is a folder", &target, &turn));
  CHECK(turn == "/etc is a folder");
  CHECK_FALSE(HandleLine("hello", &target, &turn));
  CHECK(turn == "hello");
  turn.clear();
  CHECK(HandleLine("/frobnicate", &target, &turn));
  CHECK(turn.empty());
  CHECK(target.calls.empty());
  REQUIRE(target.shown.size() == 1);
  CHECK(target.shown[0].rfind("/frobnicate: no such command", 0) == 0);
}

TEST_CASE("/help shows its lines one by one", "[commands]") {
  FakeTarget target;
  std::string turn;
  CHECK(HandleLine("/help", &target, &turn));
  CHECK(target.shown.size() == 11);
  CHECK(target.shown[0].rfind("/mute", 0) == 0);
}

TEST_CASE("a pasted command of several lines is refused, not run", "[commands]") {
  const ParsedLine parsed = ParseCommand("/save notes.md\nsecond line");
  CHECK(parsed.kind == ParsedLine::Kind::kError);
  CHECK(parsed.text.find("one line") != std::string::npos);
  CHECK(ParseCommand("//x\ny").kind == ParsedLine::Kind::kTurn);
}

TEST_CASE("/image takes a path, then the rest of the line as the turn's text",
          "[commands][image]") {
  FakeTarget target;
  std::string turn;
  CHECK(HandleLine("/image cat.png", &target, &turn));
  CHECK(HandleLine("/image  ~/a.jpg   what is   this? \r", &target, &turn));
  CHECK(turn.empty());
  CHECK(target.calls ==
        std::vector<std::string>{"image cat.png []", "image ~/a.jpg [what is   this?]"});
  CHECK(target.shown.empty());  // the turn itself is what the user sees
}

TEST_CASE("/image without a path, or refused by its target, is one line", "[commands][image]") {
  FakeTarget target;
  std::string turn;
  CHECK(HandleLine("/image", &target, &turn));
  target.image_error = "/image x.txt: not a PNG, JPEG, WebP or GIF image (by its content)";
  CHECK(HandleLine("/image x.txt hi", &target, &turn));
  CHECK(target.calls == std::vector<std::string>{"image x.txt [hi]"});
  CHECK(target.shown == std::vector<std::string>{
                            "/image PATH [TEXT]: which PATH?",
                            "/image x.txt: not a PNG, JPEG, WebP or GIF image (by its content)"});
}

TEST_CASE("/image takes a path with spaces between double quotes", "[commands][image]") {
  FakeTarget target;
  std::string turn;
  CHECK(HandleLine("/image \"my cat.png\" who is this?", &target, &turn));
  CHECK(HandleLine("/image \"only path.jpg\"", &target, &turn));
  CHECK(HandleLine("/image \"unclosed.png hi", &target, &turn));
  CHECK(target.calls ==
        std::vector<std::string>{"image my cat.png [who is this?]", "image only path.jpg []"});
  CHECK(target.shown == std::vector<std::string>{"/image: the path's closing \" is missing"});
}
