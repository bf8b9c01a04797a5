#include <catch2/catch.hpp>

#include <cstdlib>

#include "app/api_key.h"

using namespace voxterm;

namespace {
struct KeyEnvironment {
  KeyEnvironment() {
    unsetenv("OPENAI_API_KEY");
    unsetenv("AZURE_OPENAI_API_KEY");
  }
  ~KeyEnvironment() {
    unsetenv("OPENAI_API_KEY");
    unsetenv("AZURE_OPENAI_API_KEY");
  }
};
}  // namespace

TEST_CASE("the key comes from the environment", "[api_key]") {
  KeyEnvironment env;
  Config config;
  setenv("OPENAI_API_KEY", "sk-one", 1);
  setenv("AZURE_OPENAI_API_KEY", "az-two", 1);
  CHECK(*ResolveApiKey(config) == "sk-one");
  config.azure = true;
  CHECK(*ResolveApiKey(config) == "az-two");
}

TEST_CASE("without a key the error names the variable", "[api_key]") {
  KeyEnvironment env;
  Config config;
  auto key = ResolveApiKey(config);
  REQUIRE_FALSE(key.ok());
  CHECK(key.message().find("OPENAI_API_KEY") != std::string::npos);
  config.azure = true;
  CHECK(ResolveApiKey(config).message().find("AZURE_OPENAI_API_KEY") != std::string::npos);
}

TEST_CASE("api_key_command runs through /bin/sh and gives its first line", "[api_key]") {
  KeyEnvironment env;
  Config config;
  config.api_key_command = "printf 'sk-from-command\\nsecond line\\n'";
  CHECK(*ResolveApiKey(config) == "sk-from-command");

  config.api_key_command = "exit 3";
  auto failed = ResolveApiKey(config);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.message() == "api_key_command exited with status 3");

  config.api_key_command = "true";
  CHECK(ResolveApiKey(config).message() == "api_key_command printed no key");
}

TEST_CASE("a key that could smuggle a header is refused", "[api_key]") {
  KeyEnvironment env;
  Config config;
  setenv("OPENAI_API_KEY", "sk-x\r\nX-Evil: 1", 1);
  auto key = ResolveApiKey(config);
  REQUIRE_FALSE(key.ok());
  CHECK(key.message().find("sk-x") == std::string::npos);  // the key itself is never shown
  CHECK(CheckApiKey("sk-proj-AbC_123-xyz").ok());
  CHECK_FALSE(CheckApiKey("sk one").ok());
  CHECK_FALSE(CheckApiKey("sk\xc3\xa9").ok());
}
