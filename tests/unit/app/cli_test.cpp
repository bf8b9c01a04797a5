#include "app/cli.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "app/options.h"
#include "util/exit_code.h"

using namespace voxterm;

namespace {

// ParseCommandLine over a config file holding json (none when empty).
struct Given {
  explicit Given(const std::string& json) {
    if (json.empty()) return;
    path = "/tmp/voxterm_cli_test_" + std::to_string(getpid()) + ".json";
    std::ofstream(path) << json;
  }
  ~Given() {
    if (!path.empty()) unlink(path.c_str());
  }
  CommandLine Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "voxterm");
    if (!path.empty()) {
      args.push_back("--config");
      args.push_back(path);
    } else {
      setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
    }
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
  }
  std::string path;
};

}  // namespace

TEST_CASE("--help lists every flag of the table", "[cli]") {
  const std::string help = CommandLineHelp();
  for (const Option& option : Options()) {
    if (!option.flag) continue;
    INFO(option.flag);
    const bool shown = help.find(std::string("  ") + option.flag + " ") != std::string::npos ||
                       help.find(std::string("  ") + option.flag + ",") != std::string::npos;
    CHECK(shown);
  }
  // A switch can be undone: a config file's "speak": true, by --no-speak.
  CHECK(help.find("--speak,--no-speak") != std::string::npos);
  CHECK(help.find("--renew-session-s INT:INT:INT in [0 - 86400]=3300") != std::string::npos);
  CHECK(help.find("--vad TEXT:{server,semantic,off}=server") != std::string::npos);
}

TEST_CASE("no flag and no file: Config's defaults", "[cli]") {
  CommandLine line = Given("").Parse({});
  REQUIRE_FALSE(line.exit_code);
  CHECK(line.config.renew_session_s == 55 * 60);
  CHECK(line.config.vad == Vad::kServer);
  CHECK_FALSE(line.config.echo);
  CHECK(line.config.transcribe.kind == Transcription::Kind::kDefault);
}

TEST_CASE("the file sets what it names, and a flag given wins over it", "[cli]") {
  Given file(R"({"frame_ms": 40, "vad": "semantic", "echo": "gate", "voice": "cedar",
                 "transcribe": "off", "max_output_tokens": 100, "verbose": true, "mode": "text"})");
  CommandLine line = file.Parse({});
  REQUIRE_FALSE(line.exit_code);
  CHECK(line.config.frame_ms == 40);
  CHECK(line.config.vad == Vad::kSemantic);
  CHECK(line.config.echo == EchoMode::kGate);
  CHECK(line.config.voice == "cedar");
  CHECK(line.config.transcribe.kind == Transcription::Kind::kOff);
  CHECK(line.config.max_output_tokens == 100);
  CHECK(line.config.verbosity == 1);
  CHECK(line.config.mode == Mode::kText);

  line = file.Parse({"--frame-ms", "60", "--vad", "off", "--echo", "aec-speex", "--transcribe",
                     "whisper-1", "--max-output-tokens", "inf", "-vv", "--ptt", "--speed", "1.25",
                     "--transcribe-language", "DE", "--headphones"});
  REQUIRE_FALSE(line.exit_code);
  CHECK(line.config.frame_ms == 60);
  CHECK(line.config.vad == Vad::kOff);
  CHECK(line.config.echo == EchoMode::kAecSpeex);
  CHECK(line.config.voice == "cedar");  // not given: the file's
  CHECK(line.config.transcribe.kind == Transcription::Kind::kModel);
  CHECK(line.config.transcribe.model == "whisper-1");
  CHECK(line.config.max_output_tokens == kMaxOutputTokensInf);
  CHECK(line.config.verbosity == 2);
  CHECK(line.config.mode == Mode::kPtt);
  CHECK(line.config.speed == 1.25);
  CHECK(line.config.transcribe_language == "de");
  CHECK(line.config.headphones);
}

TEST_CASE("a bad flag or a bad key is a usage error", "[cli]") {
  CHECK(Given("").Parse({"--frame-ms", "5"}).exit_code == 2);
  CHECK(Given("").Parse({"--vad", "loud"}).exit_code == 2);
  CHECK(Given(R"({"frame_ms": 5})").Parse({}).exit_code == 2);
  CHECK(Given(R"({"stats": "x.json"})").Parse({}).exit_code == 2);  // a flag only
}

TEST_CASE("the API is live or realtime from the flag or the file", "[cli][api_select]") {
  CommandLine line = Given("").Parse({"--api", "live"});
  REQUIRE_FALSE(line.exit_code);
  CHECK(line.config.api == Api::kLive);
  line = Given(R"({"api": "realtime"})").Parse({});
  REQUIRE_FALSE(line.exit_code);
  CHECK(line.config.api == Api::kRealtime);
  CHECK(Given("").Parse({"--api", "bidi"}).exit_code == ToInt(ExitCode::kUsage));
  // What GPT-Live cannot do yet: exit 2.
  CHECK(Given("").Parse({"--model", "gpt-live-1.1", "--text"}).exit_code ==
        ToInt(ExitCode::kUsage));
}
