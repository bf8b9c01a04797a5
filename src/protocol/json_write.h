// JsonWriter: RapidJSON's Writer, for every piece of JSON voxterm writes.
// RapidJSON 1.1.0 (Debian's) has SSE2 code for exactly Writer<StringBuffer> that scans strings 16
// bytes at a time for what needs escaping, but compares with 0x19 where it means 0x1F: the bytes
// 0x1A to 0x1F (ESC among them) go out raw, and the JSON is invalid (the server answers
// invalid_json). Upstream fixed it after 1.1.0. A buffer type of voxterm's own is not
// StringBuffer, so the writer takes its generic path, which escapes every control character.
// (Reading has the same slip the other way: it accepts those bytes raw in a string, which is
// lenient and harmless.)
// Thread safety: as RapidJSON's: one writer, one thread.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

namespace voxterm {

class JsonBuffer : public rapidjson::StringBuffer {
 public:
  std::string str() const { return std::string(GetString(), GetSize()); }
};

using JsonWriter = rapidjson::Writer<JsonBuffer>;

}  // namespace voxterm
