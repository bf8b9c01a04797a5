#include "app/manual.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "app/options.h"

using namespace voxterm;

namespace {

// Every flag name of the table: "--frame-ms"; "-v" and "--verbose".
std::vector<std::string> FlagNames() {
  std::vector<std::string> names;
  for (const Option& option : Options()) {
    if (!option.flag) continue;
    std::string flag = option.flag;
    for (size_t comma; (comma = flag.find(',')) != std::string::npos; flag.erase(0, comma + 1)) {
      names.push_back(flag.substr(0, comma));
    }
    names.push_back(flag);
  }
  return names;
}

std::string RoffName(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

}  // namespace

TEST_CASE("the manual page names every flag, with its help", "[manual]") {
  const std::string page = ManualPage();
  for (const std::string& name : FlagNames()) {
    INFO(name);
    CHECK(page.find("\\fB" + RoffName(name) + "\\fR") != std::string::npos);
  }
  CHECK(page.find("\\fB\\-\\-no\\-speak\\fR") != std::string::npos);  // a switch's undo
  CHECK(page.find("Protocol dialect: ga or beta (default: ga).") != std::string::npos);
  CHECK(page.find("\\fB\\-\\-dialect\\fR \\fIga|beta\\fR") != std::string::npos);
  CHECK(page.find("devices \\-\\-json") != std::string::npos);
  CHECK(page.rfind(".TH VOXTERM 1", 0) == 0);
}

TEST_CASE("each completion offers every flag", "[manual]") {
  const std::string bash = Completion(Shell::kBash);
  const std::string zsh = Completion(Shell::kZsh);
  const std::string fish = Completion(Shell::kFish);
  for (const std::string& name : FlagNames()) {
    INFO(name);
    CHECK((bash.find(" " + name + " ") != std::string::npos ||
           bash.find(" " + name + "'") != std::string::npos));
    CHECK((zsh.find("'" + name + "[") != std::string::npos ||
           zsh.find("'*" + name + "[") != std::string::npos));  // -v repeats
    CHECK(fish.find(name.size() == 2 ? "-s " + name.substr(1) + " "
                                     : "-l " + name.substr(2) + " ") != std::string::npos);
  }
  // The words a flag takes, and files where it takes a path.
  CHECK(bash.find("--dialect) COMPREPLY=($(compgen -W 'ga beta'") != std::string::npos);
  CHECK(zsh.find("'--input-file[Use an audio file as the microphone, in real time]:file:_files'") !=
        std::string::npos);
  CHECK(fish.find("complete -c voxterm -l vad -x -a 'server semantic off'") != std::string::npos);
  CHECK(fish.find("-l record -r -F") != std::string::npos);
}

TEST_CASE("help with a quote stays one shell word", "[manual]") {
  const std::string fish = Completion(Shell::kFish);
  CHECK(
      fish.find("-d 'Play a short tone, then show the microphone'\\''s level for a few seconds'") !=
      std::string::npos);
}
