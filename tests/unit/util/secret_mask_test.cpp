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

namespace {

// What a stream shows of text given in pieces of `size`, all of it.
std::string Streamed(const SecretMasks& mask, const std::string& text, size_t size) {
  StreamMask stream(&mask);
  std::string shown;
  for (size_t i = 0; i < text.size(); i += size) shown += stream.Add(text.substr(i, size));
  shown += stream.Finish();
  return shown;
}

}  // namespace

TEST_CASE("a key in pieces shorter than the mask's is masked where they meet", "[secret_mask]") {
  SecretMasks mask(kKey);
  const std::string text = std::string("Your key is ") + kKey + " and that is all.";
  const std::string masked = mask.Masked(text);
  CHECK(masked.find(kKey) == std::string::npos);
  for (size_t size = 1; size <= 2 * SecretMask::kMinPiece; ++size) {
    INFO("pieces of " << size);
    CHECK(Streamed(mask, text, size) == masked);
  }
}

TEST_CASE("a stream shows what the whole text's mask shows, however it is cut", "[secret_mask]") {
  // Parts of the key (some too short to mask, some not) among words, cut at random places.
  const std::string key = kKey;
  const std::vector<std::string> parts = {
      "sk-pro", key.substr(3, 9),    " ", key, "Ab3dEf6", "h", "words, ", key.substr(20),
      "-",      "\xC3\xA9t\xC3\xA9 "};
  SecretMasks mask(kKey);
  SecretMasks short_mask("k3y");
  uint32_t seed = 12345;
  auto next = [&seed](uint32_t below) {
    seed = seed * 1103515245 + 12345;
    return (seed >> 16) % below;
  };
  for (int trial = 0; trial < 500; ++trial) {
    std::string text;
    for (int n = 0; n < 12; ++n) text += next(4) == 0 ? "k3y" : parts[next(parts.size())];
    StreamMask stream(&mask), short_stream(&short_mask);
    std::string shown, short_shown;
    for (size_t at = 0; at < text.size();) {
      const size_t size = std::min<size_t>(1 + next(12), text.size() - at);
      shown += stream.Add(text.substr(at, size));
      short_shown += short_stream.Add(text.substr(at, size));
      at += size;
    }
    shown += stream.Finish();
    short_shown += short_stream.Finish();
    INFO(text);
    REQUIRE(shown == mask.Masked(text));
    REQUIRE(short_shown == short_mask.Masked(text));
  }
}

TEST_CASE("a stream holds back only an end that could begin the key", "[secret_mask]") {
  SecretMasks mask(kKey);
  StreamMask stream(&mask);
  CHECK(stream.Add("Hello, world!") == "Hello, world!");  // '!' begins no piece of the key
  CHECK_FALSE(stream.holding());
  CHECK(stream.Add("ask-p") == "a");  // "sk-p" might be the key's start
  CHECK(stream.holding());
  CHECK(stream.Add("ony!") == "sk-pony!");  // it was not
  // "sk-proj-" is the key's already; "proj-Ab" may go on as the key, and does.
  CHECK(stream.Add(" sk-proj-Ab") == " ***");
  CHECK(stream.Add("3d.") == "*********.");
  CHECK(stream.Add("zz") == "zz");
  // A held end is never half a UTF-8 character, and an ended stream lets the rest through.
  CHECK(stream.Add("\xC3\xA9sk-pr") == "\xC3\xA9");
  CHECK(stream.Finish() == "sk-pr");
  CHECK(stream.Add("Hi") == "Hi");  // afresh
}

TEST_CASE("a short key in a stream waits for the character after it", "[secret_mask]") {
  SecretMasks mask("k3y");
  StreamMask stream(&mask);
  CHECK(stream.Add("my k3y") == "my ");
  CHECK(stream.Add("es") == "k3yes");
  CHECK(stream.Add(" k3y") == " ");
  CHECK(stream.Add(".") == "***.");
}

TEST_CASE("with no secret a stream holds nothing back", "[secret_mask]") {
  SecretMasks none;  // masks nothing
  StreamMask stream(&none);
  CHECK(stream.Add(kKey) == kKey);
  CHECK(stream.Finish().empty());
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

TEST_CASE("a stream masks each secret of the set", "[secret_mask]") {
  SecretMasks masks(kKey);
  masks.Add("Bearer-hdr-0123456789");  // a hosted MCP server's header value
  StreamMask stream(&masks);
  std::string shown;
  for (const char* piece : {"a Bear", "er-hdr", "-01234", "56789 b", " sk-pr", "oj-Ab3d"})
    shown += stream.Add(piece);
  shown += stream.Finish();
  CHECK(shown == "a ********************* b ************");
}
