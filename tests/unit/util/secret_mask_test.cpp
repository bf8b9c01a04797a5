#include "util/secret_mask.h"

#include <catch2/catch.hpp>
#include <cstring>

using namespace voxterm;

namespace {
const char* kKey = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv";
}

TEST_CASE("the whole key is masked, keeping the length", "[secret_mask]") {
  SecretMask mask(kKey);
  const std::string text = std::string("Incorrect API key provided: ") + kKey + ". Try again.";
  CHECK(mask.Masked(text) ==
        "Incorrect API key provided: " + std::string(strlen(kKey), '*') + ". Try again.");
}

TEST_CASE("any run of 8 or more characters of the key is masked, shorter ones pass",
          "[secret_mask]") {
  SecretMask mask(kKey);
  CHECK(mask.Masked("you sent sk-proj-Ab3dEf...") == "you sent **************...");
  CHECK(mask.Masked("ends in ...tUv") == "ends in ...tUv");  // OpenAI shows the last few
  CHECK(mask.Masked("middle: 9kLm2nOp!") == "middle: ********!");
  CHECK(mask.Masked("almost: 9kLm2nO") == "almost: 9kLm2nO");  // 7 characters
  // Two echoes side by side, and one cut in two: each run is masked whole.
  const std::string twice = std::string(kKey) + kKey;
  CHECK(mask.Masked(twice) == std::string(twice.size(), '*'));
  CHECK(mask.Masked("Ab3dEf6h Ij9kLm2n") == "******** ********");
}

TEST_CASE("text without the key is left alone", "[secret_mask]") {
  SecretMask mask(kKey);
  std::string text = "{\"type\":\"response.output_text.delta\",\"delta\":\"sk-proj is a prefix\"}";
  const std::string before = text;
  CHECK_FALSE(mask.Mask(&text));
  CHECK(text == before);
  CHECK(SecretMask().Masked(kKey) == kKey);  // no secret: nothing to mask
}

TEST_CASE("a short key is masked where it stands whole, not inside words", "[secret_mask]") {
  SecretMask mask("k3y");
  CHECK(mask.Masked("a k3y, k3") == "a ***, k3");
  CHECK(mask.Masked("\"k3y\" k3yes ak3y k3y_2 k3y") == "\"***\" k3yes ak3y k3y_2 ***");
  // A placeholder key for a local server leaves the server's messages and audio as they were
  SecretMask x("x");
  const std::string event =
      R"({"type":"response.output_audio.delta","output_index":0,"delta":"AAx+x/x="})";
  CHECK(x.Masked(event) == event);
  CHECK(x.Masked("voxterm said x.") == "voxterm said *.");
}

TEST_CASE("masking in place keeps the text's size", "[secret_mask]") {
  SecretMask mask(kKey);
  std::string buffer = std::string("answer: ") + kKey;
  buffer.push_back('\0');  // as an in-situ parse leaves strings: NUL-terminated, in place
  buffer += "next";
  const size_t size = buffer.size();
  CHECK(mask.MaskInPlace(buffer.data(), buffer.size()));
  CHECK(buffer.size() == size);
  CHECK(buffer.find("Ab3dEf6h") == std::string::npos);
  CHECK(buffer.substr(buffer.size() - 5) == std::string("\0next", 5));
}

TEST_CASE("the process mask is the last secret set", "[secret_mask]") {
  SetProcessSecret(kKey);
  CHECK(ProcessSecretMask().Masked(kKey) == std::string(strlen(kKey), '*'));
  SetProcessSecret("");
  CHECK(ProcessSecretMask().Masked(kKey) == kKey);
}

TEST_CASE("the process masks hold the key and every secret added", "[secret_mask]") {
  SecretMasks masks;
  masks.Add("Bearer hosted-secret-0123456789");
  masks.Set(0, kKey);  // the key, known last, takes its own place
  masks.Add("k3y");
  const std::string masked = masks.Masked(std::string(kKey) +
                                          " {\"Authorization\":\"Bearer hosted-secret-0123456789\","
                                          "\"X\":\"k3y\"} k3yboard");
  CHECK(masked.find(kKey) == std::string::npos);
  CHECK(masked.find("hosted-secret") == std::string::npos);
  CHECK(masked.find("\"k3y\"") == std::string::npos);
  CHECK(masked.find("k3yboard") != std::string::npos);  // a short secret only where it stands whole
}
