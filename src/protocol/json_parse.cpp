#include "protocol/json_parse.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <string>

namespace voxterm {
namespace {

using rapidjson::SizeType;

// Forwards SAX events to the document being built, counting depth and values on the way.
class Limiter {
 public:
  explicit Limiter(rapidjson::Document* doc) : doc_(doc) {}
  bool too_deep() const { return too_deep_; }
  bool too_many() const { return too_many_; }

  bool Null() { return Count() && doc_->Null(); }
  bool Bool(bool b) { return Count() && doc_->Bool(b); }
  bool Int(int i) { return Count() && doc_->Int(i); }
  bool Uint(unsigned u) { return Count() && doc_->Uint(u); }
  bool Int64(int64_t i) { return Count() && doc_->Int64(i); }
  bool Uint64(uint64_t u) { return Count() && doc_->Uint64(u); }
  bool Double(double d) { return Count() && doc_->Double(d); }
  bool RawNumber(const char* s, SizeType n, bool copy) {
    return Count() && doc_->RawNumber(s, n, copy);
  }
  bool String(const char* s, SizeType n, bool copy) { return Count() && doc_->String(s, n, copy); }
  bool Key(const char* s, SizeType n, bool copy) { return doc_->Key(s, n, copy); }
  bool StartObject() { return Count() && Enter() && doc_->StartObject(); }
  bool EndObject(SizeType members) {
    --depth_;
    return doc_->EndObject(members);
  }
  bool StartArray() { return Count() && Enter() && doc_->StartArray(); }
  bool EndArray(SizeType elements) {
    --depth_;
    return doc_->EndArray(elements);
  }

 private:
  // Each returns false to stop the reader at once.
  bool Enter() {
    if (++depth_ <= kMaxJsonDepth) return true;
    too_deep_ = true;
    return false;
  }
  bool Count() {
    if (++values_ <= kMaxJsonValues) return true;
    too_many_ = true;
    return false;
  }
  rapidjson::Document* doc_;
  int depth_ = 0;
  size_t values_ = 0;
  bool too_deep_ = false;
  bool too_many_ = false;
};

}  // namespace

// Document::Parse cannot take a custom handler, so the reader drives the document's own SAX
// methods through Limiter.
Status ParseJsonInsitu(std::string* text, rapidjson::Document* doc) {
  text->append(kJsonPadding, '\0');  // every block the SSE2 scan reads is the text's own
  Limiter limiter(doc);
  rapidjson::ParseResult result;
  // Populate() hands the finished value to the document, or clears what was built on failure.
  auto generate = [&](rapidjson::Document&) {
    rapidjson::InsituStringStream stream(text->data());
    rapidjson::Reader reader;
    result =
        reader.Parse<rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag>(stream, limiter);
    return !result.IsError();
  };
  doc->Populate(generate);
  if (limiter.too_deep()) {
    return Status::Error("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  if (limiter.too_many()) {
    return Status::Error("JSON with more than " + std::to_string(kMaxJsonValues) + " values");
  }
  if (result.IsError()) {
    return Status::Error(std::string("not JSON: ") + rapidjson::GetParseError_En(result.Code()) +
                         " at offset " + std::to_string(result.Offset()));
  }
  return Status::Ok();
}

Status ParseEventFrame(std::string* text, rapidjson::Document* doc, std::string_view* type) {
  Status parsed = ParseJsonInsitu(text, doc);
  if (!parsed.ok()) return parsed;
  if (!doc->IsObject()) return Status::Error("not a JSON object");
  auto it = doc->FindMember("type");
  if (it == doc->MemberEnd() || !it->value.IsString()) {
    return Status::Error("event without a string \"type\"");
  }
  *type = JsonView(it->value);
  return Status::Ok();
}

std::string_view JsonView(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

std::string_view OptString(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return JsonView(it->value);
}

int64_t OptInt(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsInt64()) return -1;
  return it->value.GetInt64();
}

const rapidjson::Value* OptObject(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsObject()) return nullptr;
  return &it->value;
}

Status Missing(std::string_view type, const char* what) {
  return Status::Error(std::string(type) + ": missing or mistyped \"" + what + "\"");
}

}  // namespace voxterm
