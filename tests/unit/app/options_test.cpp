#include "app/options.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

using namespace voxterm;

namespace {

std::string ReadDoc(const char* name) {
  std::ifstream in(std::string(VOXTERM_SOURCE_DIR) + "/docs/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "--speed" as a word of its own: not the start of "--speed-x".
bool Names(const std::string& doc, const std::string& word) {
  for (size_t at = doc.find(word); at != std::string::npos; at = doc.find(word, at + 1)) {
    const char next = at + word.size() < doc.size() ? doc[at + word.size()] : ' ';
    if (!(isalnum(static_cast<unsigned char>(next)) || next == '-' || next == '_')) return true;
  }
  return false;
}

// "-v,--verbose" gives "-v" and "--verbose".
std::vector<std::string> FlagNames(const char* flag) {
  std::vector<std::string> names;
  std::stringstream all(flag);
  for (std::string name; std::getline(all, name, ',');) names.push_back(name);
  return names;
}

}  // namespace

TEST_CASE("docs/config.md names every flag and every key of the table", "[options]") {
  const std::string doc = ReadDoc("config.md");
  REQUIRE(doc.size() > 1000);
  for (const Option& option : Options()) {
    if (option.key) {
      INFO(option.key);
      CHECK(Names(doc, std::string("`") + option.key + "`"));
    }
    if (option.flag) {
      for (const std::string& name : FlagNames(option.flag)) {
        INFO(name);
        CHECK(Names(doc, "`" + name));
      }
    }
  }
}

TEST_CASE("each flag and each key is defined once", "[options]") {
  std::set<std::string> flags, keys;
  for (const Option& option : Options()) {
    CHECK((option.flag || option.key));
    if (option.flag) {
      CHECK(option.help);
      for (const std::string& name : FlagNames(option.flag)) CHECK(flags.insert(name).second);
    }
    if (option.key) CHECK(keys.insert(option.key).second);
  }
  REQUIRE(FindKey("frame_ms"));
  CHECK(std::string(FindKey("frame_ms")->flag) == "--frame-ms");
  CHECK(FindKey("stats") == nullptr);   // a flag only
  CHECK(FindKey("config") == nullptr);  // likewise
}

TEST_CASE("defaults come from Config, as the flag writes them", "[options]") {
  auto shown = [](const std::string& key) { return DefaultText(*FindKey(key)); };
  CHECK(shown("renew_session_s") == "3300");  // 55 * 60 in config.h
  CHECK(shown("frame_ms") == "20");
  CHECK(shown("vad_threshold") == "0.5");
  CHECK(shown("vad") == "server");
  CHECK(shown("dialect") == "ga");
  CHECK(shown("url") == "wss://api.openai.com/v1/realtime");
  // Not set: nothing, or what not setting means.
  CHECK(shown("idle_timeout_ms").empty());
  CHECK(shown("noise_reduction").empty());
  CHECK(shown("instructions").empty());
  CHECK(shown("speed") == "1");
  CHECK(shown("transcribe") == "gpt-live-transcribe; beta: gpt-4o-mini-transcribe");
}

TEST_CASE("the modes' words are the names the code gives them", "[options]") {
  const Word& vad = std::get<Word>(FindKey("vad")->kind);
  for (size_t i = 0; i < vad.names.size(); ++i) {
    Config config;
    vad.set(&config, i);
    CHECK(vad.names[i] == VadName(config.vad));
  }
  const Word& echo = std::get<Word>(FindKey("echo")->kind);
  for (size_t i = 0; i < echo.names.size(); ++i) {
    Config config;
    echo.set(&config, i);
    REQUIRE(config.echo);
    CHECK(echo.names[i] == EchoModeName(*config.echo));
  }
  CHECK(QuotedChoices({"ga", "beta"}) == "\"ga\" or \"beta\"");
  CHECK(QuotedChoices({"a", "b", "c"}) == "\"a\", \"b\" or \"c\"");
}
