#include "util/base64.h"

#include <catch2/catch.hpp>
#include <random>

using namespace voxterm;

TEST_CASE("base64 encodes the RFC 4648 test vectors", "[base64]") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("foob") == "Zm9vYg==");
  CHECK(Base64Encode("fooba") == "Zm9vYmE=");
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64 decodes the RFC 4648 test vectors", "[base64]") {
  CHECK(Base64Decode("") == std::string());
  CHECK(Base64Decode("Zg==") == std::string("f"));
  CHECK(Base64Decode("Zm8=") == std::string("fo"));
  CHECK(Base64Decode("Zm9vYmFy") == std::string("foobar"));
  CHECK(Base64DecodedSize("Zm9vYg==") == 4);
  CHECK(Base64DecodedSize("Zm9vYmE=") == 5);
}

TEST_CASE("base64 round-trips every length and byte value", "[base64]") {
  std::mt19937 random(7);
  for (size_t length = 0; length < 300; ++length) {
    std::string bytes(length, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    std::string text = Base64Encode(bytes);
    REQUIRE(text.size() == Base64EncodedSize(length));
    auto back = Base64Decode(text);
    REQUIRE(back.has_value());
    REQUIRE(*back == bytes);
    REQUIRE(Base64DecodedSize(text) == length);
  }
}

TEST_CASE("base64 rejects what is not base64", "[base64]") {
  const char* bad[] = {
      "Zg=",       // length not a multiple of 4
      "Zm9v!mFy",  // a character outside the alphabet
      "Zm9 vYmF",  // whitespace
      "Zg==Zg==",  // padding in the middle
      "Z===",      // too much padding
      "=Zg=",      // padding first
      "Zh==",      // non-canonical: unused bits set
      "Zm9=",      // non-canonical: unused bits set
      "Zm9v\nYmFy",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(Base64Decode(text).has_value());
  }
  CHECK_FALSE(Base64Decode(std::string("Zm9v\0mFy", 8)).has_value());
  CHECK_FALSE(Base64Decode("\xff\xfe\xfd\xfc").has_value());
}

TEST_CASE("base64 decoded size of malformed text never underflows", "[base64]") {
  CHECK(Base64DecodedSize("=") == 0);
  CHECK(Base64DecodedSize("==") == 0);
  CHECK(Base64DecodedSize("abc") == 0);
}
