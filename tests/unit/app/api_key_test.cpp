#include "app/api_key.h"

#include <catch2/catch.hpp>
#include <cstdlib>

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

TEST_CASE("api_key_command has a time limit and is not waited for past its exit", "[api_key]") {
  KeyEnvironment env;
  Config config;
  config.api_key_command = "sleep 5";
  config.api_key_command_timeout_s = 1;
  auto late = ResolveApiKey(config);
  REQUIRE_FALSE(late.ok());
  CHECK(late.message() == "api_key_command did not finish within 1 s");
  // A background child holding stdout open does not hold the key back.
  config.api_key_command = "sleep 5 & echo sk-early";
  config.api_key_command_timeout_s = 3;
  CHECK(*ResolveApiKey(config) == "sk-early");
  // Standard input is /dev/null: cat ends at once.
  config.api_key_command = "cat; echo sk-after-cat";
  CHECK(*ResolveApiKey(config) == "sk-after-cat");
}

TEST_CASE("the key variables are wiped once read", "[api_key]") {
  KeyEnvironment env;
  setenv("OPENAI_API_KEY", "sk-one", 1);
  setenv("AZURE_OPENAI_API_KEY", "az-two", 1);
  char* value = getenv("OPENAI_API_KEY");
  ScrubApiKeyVariables();
  CHECK(getenv("OPENAI_API_KEY") == nullptr);
  CHECK(getenv("AZURE_OPENAI_API_KEY") == nullptr);
  CHECK(value[0] == '\0');  // the memory itself, not only the entry
}
