// JsonWriter: RapidJSON's Writer, for every piece of JSON voxterm writes.
// RapidJSON 1.1.0 (Debian's) has SSE2 code for exactly Writer<StringBuffer> that scans strings 16
// bytes at a time for what needs escaping, but compares with 0x19 where it means 0x1F: the bytes
// 0x1A to 0x1F (ESC among them) go out raw, and the JSON is invalid (the server answers
// invalid_json). Upstream fixed it after 1.1.0. A buffer type of voxterm's own is not
// StringBuffer, so the writer takes its generic path, which escapes every control character.
// (Reading has the same slip the other way: it accepts those bytes raw in a string, which is
// lenient and harmless.)
// RapidJSON's Double writes nothing for NaN or an infinity (JSON has neither) and returns false,
// after the key and its colon: {"threshold":} is what would go out. JsonWriter writes null for
// them instead, so that whatever voxterm writes is JSON; the callers keep such values out of
// what they send in the first place.
// Thread safety: as RapidJSON's: one writer, one thread.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <string>

namespace voxterm {

class JsonBuffer : public rapidjson::StringBuffer {
 public:
  std::string str() const { return std::string(GetString(), GetSize()); }
};

class JsonWriter : public rapidjson::Writer<JsonBuffer> {
 public:
  using Base = rapidjson::Writer<JsonBuffer>;
  using Base::Base;
  // Hides Base::Double (not virtual): a call through JsonWriter, or through a template that
  // takes the handler's type (Document::Accept), comes here.
  bool Double(double d) { return std::isfinite(d) ? Base::Double(d) : Base::Null(); }
};

}  // namespace voxterm
