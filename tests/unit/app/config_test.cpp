#include "app/config.h"

#include <catch2/catch.hpp>

#include "audio/audio_engine.h"

using namespace voxterm;

TEST_CASE("a config file with comments and trailing commas is read", "[config]") {
  Config config;
  Status s = ParseConfig(R"(// my voxterm
{
  "url": "ws://127.0.0.1:9/v1/realtime", /* local */
  "model": "gpt-realtime-mini",
  "dialect": "beta",
  "azure": true,
  "instructions": "Be brief.",
  "voice": "cedar",
  "mode": "text",
  "verbose": true,
  "api_key_command": "pass show openai",
  "max_message_bytes": 2048,
})",
                         "c.json", &config);
  REQUIRE(s.ok());
  CHECK(config.url == "ws://127.0.0.1:9/v1/realtime");
  CHECK(config.model == "gpt-realtime-mini");
  CHECK(config.dialect == Dialect::kBeta);
  CHECK(config.azure);
  CHECK(config.instructions == "Be brief.");
  CHECK(config.voice == "cedar");
  CHECK(config.mode == Mode::kText);
  CHECK(config.verbosity == 1);
  CHECK(config.api_key_command == "pass show openai");
  CHECK(config.max_message_bytes == 2048);
}

TEST_CASE("what the file does not name keeps its default", "[config]") {
  Config config;
  REQUIRE(ParseConfig("{}", "c.json", &config).ok());
  CHECK(config.url == "wss://api.openai.com/v1/realtime");
  CHECK(config.model == "gpt-realtime-2.1");
  CHECK(config.transcribe.kind == Transcription::Kind::kDefault);  // the dialect's default
  CHECK(config.dialect == Dialect::kGa);
}

TEST_CASE("config errors name the file, the line and the key", "[config]") {
  Config config;
  Status s =
      ParseConfig("{\n  \"model\": \"m\",\n\n  \"voise\": \"marin\"\n}", "/x/c.json", &config);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "/x/c.json:4: \"voise\" is not a known key (see docs/config.md)");

  s = ParseConfig("{\n\"azure\": \"yes\"\n}", "c.json", &config);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "c.json:2: \"azure\" must be true or false");

  s = ParseConfig("{\"dialect\": \"gamma\"}", "c.json", &config);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "c.json:1: \"dialect\" must be \"ga\" or \"beta\"");

  s = ParseConfig("{\n\"url\": 5}", "c.json", &config);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "c.json:2: \"url\" must be a string");
}

TEST_CASE("malformed JSON says where", "[config]") {
  Config config;
  Status s = ParseConfig("{\n  \"model\": \"m\"\n  \"voice\": \"x\"\n}", "c.json", &config);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().rfind("c.json:3: ", 0) == 0);
  s = ParseConfig("[1]", "c.json", &config);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "c.json:1: the configuration must be a JSON object");
}

TEST_CASE("nesting deeper than 64 levels is refused, with its line", "[config]") {
  Config config;
  const std::string deep = std::string(64, '[') + std::string(64, ']');
  CHECK(ParseConfig("{\"x\": " + deep + "}", "c.json", &config).message() ==
        "c.json:1: nested deeper than 64 levels");
  CHECK(ParseConfig("{\n\"x\":\n" + std::string(100000, '[') + "}", "c.json", &config).message() ==
        "c.json:3: nested deeper than 64 levels");
  // 63 levels below the top object: only the key is wrong.
  const std::string fits = std::string(63, '[') + std::string(63, ']');
  CHECK(ParseConfig("{\"x\": " + fits + "}", "c.json", &config).message() ==
        "c.json:1: \"x\" is not a known key (see docs/config.md)");
}

TEST_CASE("a config file larger than 1 MiB is refused without reading on", "[config]") {
  Config config;
  CHECK(LoadConfigFile("/dev/zero", IfMissing::kError, &config).message() ==
        "/dev/zero: larger than 1 MiB");
}

TEST_CASE("a missing config file is fine only where allowed", "[config]") {
  Config config;
  CHECK(LoadConfigFile("/nonexistent/voxterm.json", IfMissing::kUseDefaults, &config).ok());
  Status s = LoadConfigFile("/nonexistent/voxterm.json", IfMissing::kError, &config);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "/nonexistent/voxterm.json: No such file or directory");
}

TEST_CASE("an empty config file, one of comments only, or /dev/null holds no settings",
          "[config]") {
  Config config;
  CHECK(LoadConfigFile("/dev/null", IfMissing::kError, &config).ok());
  CHECK(config.model == Config().model);
  const std::string path = "/tmp/voxterm_empty_config_" + std::to_string(getpid()) + ".json";
  FILE* f = fopen(path.c_str(), "w");
  REQUIRE(f);
  fputs(" \n\t\n", f);
  fclose(f);
  CHECK(LoadConfigFile(path, IfMissing::kError, &config).ok());
  f = fopen(path.c_str(), "w");
  fputs("// everything commented out\n/* \"model\": \"x\" */\n", f);
  fclose(f);
  CHECK(LoadConfigFile(path, IfMissing::kError, &config).ok());
  f = fopen(path.c_str(), "w");
  fputs("// a comment, then\n[\n", f);
  fclose(f);
  CHECK_FALSE(LoadConfigFile(path, IfMissing::kError, &config).ok());  // something, not JSON
  unlink(path.c_str());
}

TEST_CASE("the default path follows XDG", "[config]") {
  setenv("XDG_CONFIG_HOME", "/xdg", 1);
  CHECK(DefaultConfigPath() == "/xdg/voxterm/config.json");
  unsetenv("XDG_CONFIG_HOME");
  setenv("HOME", "/home/u", 1);
  CHECK(DefaultConfigPath() == "/home/u/.config/voxterm/config.json");
  CHECK(ExpandHome("~/a") == "/home/u/a");
  CHECK(ExpandHome("/abs") == "/abs");
}

TEST_CASE("what looks like an API key is recognised, and only that", "[config]") {
  CHECK(HoldsApiKey(R"({"api_key_command": "echo sk-proj-abcdefghijklmnopqrstuvwxyz0123"})"));
  CHECK(HoldsApiKey("// my key: sk-abcdefghijklmnopqrstuvwxyz"));
  CHECK_FALSE(HoldsApiKey(R"({"api_key_command": "pass show openai/sk-key"})"));
  CHECK_FALSE(HoldsApiKey(R"({"voice": "marin"})"));
}

TEST_CASE("echo control: from the file, checked, and off where there is no room", "[config]") {
  Config config;
  REQUIRE(ParseConfig(R"({"echo": "half-duplex", "headphones": true})", "c.json", &config).ok());
  CHECK(config.echo == EchoMode::kHalfDuplex);
  CHECK(config.headphones);
  Status s = ParseConfig(R"({"echo": "loud"})", "c.json", &config);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() ==
        "c.json:1: \"echo\" must be \"aec\", \"aec-speex\", \"gate\", \"half-duplex\" or \"off\"");

  // What a run gets: aec on a speaker, off with headphones unless asked for, off with files
  Config defaults;
  CHECK(EffectiveEchoMode(AudioConfigOf(defaults)) == EchoMode::kAec);
  defaults.headphones = true;
  CHECK(EffectiveEchoMode(AudioConfigOf(defaults)) == EchoMode::kOff);
  defaults.echo = EchoMode::kGate;
  CHECK(EffectiveEchoMode(AudioConfigOf(defaults)) == EchoMode::kGate);
  defaults.echo.reset();  // asking for it with a file draws a warning: not here
  defaults.output_file = "answer.wav";
  CHECK(EffectiveEchoMode(AudioConfigOf(defaults)) == EchoMode::kOff);
}

TEST_CASE("the session fields' keys are read and bounded", "[config]") {
  Config config;
  REQUIRE(ParseConfig(R"({"noise_reduction": "off", "speed": 0.25, "vad_eagerness": "auto",
    "idle_timeout_ms": 5000, "transcribe_language": "pt", "transcribe_prompt": "Olá",
    "max_output_tokens": "inf", "reasoning_effort": "medium", "parallel_tool_calls": false})",
                      "c.json", &config)
              .ok());
  CHECK(config.noise_reduction == NoiseReduction::kOff);
  CHECK(config.speed == 0.25);
  CHECK(config.vad_eagerness == VadEagerness::kAuto);
  CHECK(config.idle_timeout_ms == 5000);
  CHECK(config.transcribe_language == "pt");
  CHECK(config.transcribe_prompt == "Olá");
  CHECK(config.max_output_tokens == kMaxOutputTokensInf);
  CHECK(config.reasoning_effort == ReasoningEffort::kMedium);
  CHECK(config.parallel_tool_calls == false);
  REQUIRE(ParseConfig(R"({"max_output_tokens": 4096})", "c.json", &config).ok());
  CHECK(config.max_output_tokens == 4096);
  for (const char* bad :
       {R"({"speed": 0.24})", R"({"speed": 1.51})", R"({"idle_timeout_ms": 30001})",
        R"({"max_output_tokens": 4097})", R"({"max_output_tokens": -1})",
        R"({"noise_reduction": "far"})", R"({"vad_eagerness": 1})",
        R"({"reasoning_effort": "XHIGH"})", R"({"transcribe_language": "e"})"}) {
    INFO(bad);
    CHECK_FALSE(ParseConfig(bad, "c.json", &config).ok());
  }
}

TEST_CASE("a language code is kept in lowercase, as ISO-639-1 writes it", "[config]") {
  Config config;
  REQUIRE(ParseConfig(R"({"transcribe_language": "EN"})", "c.json", &config).ok());
  CHECK(config.transcribe_language == "en");
  CHECK(ParseLanguageCode("Deu") == "deu");
  CHECK_FALSE(ParseLanguageCode("e1"));
  CHECK_FALSE(ParseLanguageCode("\xc3\xa9n"));  // letters of ASCII only
}

TEST_CASE("an empty string is refused, as the flag refuses it", "[config]") {
  Config config;
  Status s = ParseConfig(R"({"transcribe_prompt": ""})", "c.json", &config);
  CHECK(s.message() ==
        "c.json:1: \"transcribe_prompt\" must not be empty (leave the key out for the default)");
  for (const char* key :
       {"url", "model", "instructions", "voice", "transcribe", "transcribe_language", "ptt_key",
        "log_events", "record", "vad", "echo", "api_key_command"}) {
    INFO(key);
    CHECK_FALSE(ParseConfig(std::string("{\"") + key + "\": \"\"}", "c.json", &config).ok());
  }
}

TEST_CASE("a number the file cannot hold is refused", "[config]") {
  Config config;
  // JSON has no NaN nor infinity; a number too large for a double is an error of the parser too.
  for (const char* bad : {R"({"vad_threshold": NaN})", R"({"speed": Infinity})",
                          R"({"speed": 1e400})", R"({"vad_threshold": -1e400})"}) {
    INFO(bad);
    CHECK_FALSE(ParseConfig(bad, "c.json", &config).ok());
  }
  CHECK(config.vad_threshold == 0.5);
  CHECK(config.speed == 0);
}
