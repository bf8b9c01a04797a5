#include "conversation/event_log.h"

#include <catch2/catch.hpp>

using namespace voxterm;

TEST_CASE("audio payloads are replaced by their length", "[event_log]") {
  CHECK(EventLog::Redact(R"({"type":"input_audio_buffer.append","audio":"AAAAAA=="})") ==
        R"({"event":{"type":"input_audio_buffer.append","audio":"<audio: 4 bytes>"}})");
  CHECK(EventLog::Redact(R"({"type":"response.output_audio.delta","delta":"AAAA"})") ==
        R"({"event":{"type":"response.output_audio.delta","delta":"<audio: 3 bytes>"}})");
  // GPT-Live's, both ways.
  CHECK(EventLog::Redact(R"({"type":"session.output_audio.delta","delta":"AAAA"})") ==
        R"({"event":{"type":"session.output_audio.delta","delta":"<audio: 3 bytes>"}})");
  CHECK(EventLog::Redact(R"({"type":"session.input_audio.append","audio":"AAAAAA=="})") ==
        R"({"event":{"type":"session.input_audio.append","audio":"<audio: 4 bytes>"}})");
  CHECK(EventLog::Redact(R"({"type":"response.audio.delta","delta":"AAAA"})") ==
        R"({"event":{"type":"response.audio.delta","delta":"<audio: 3 bytes>"}})");
  // Text deltas and the session's "audio" object stay as they are.
  CHECK(EventLog::Redact(R"({"type":"response.output_text.delta","delta":"AAAA"})") ==
        R"({"event":{"type":"response.output_text.delta","delta":"AAAA"}})");
  CHECK(EventLog::Redact(R"({"session":{"audio":{"input":{}}}})") ==
        R"({"event":{"session":{"audio":{"input":{}}}}})");
}

TEST_CASE("frames that are not JSON are logged as invalid, escaped", "[event_log]") {
  CHECK(EventLog::Redact("not \"json\"\n") == R"({"invalid":"not \"json\"\\n"})");
}

TEST_CASE("a deeply nested frame is logged as invalid, not walked", "[event_log]") {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK(EventLog::Redact(deep).rfind(R"({"invalid":"[[[)", 0) == 0);
}
