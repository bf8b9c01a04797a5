#include "tools/tool_schema.h"

// The validator's own regular expressions (RAPIDJSON_SCHEMA_USE_INTERNALREGEX, the default): a
// pattern they cannot compile is dropped by the validator without a word, so it is compiled
// here first, by the same code.
#include <rapidjson/internal/regex.h>
#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocol/json_parse.h"
#include "protocol/json_write.h"

namespace voxterm {
namespace {

using rapidjson::Value;

// Keywords of later drafts that assert what a draft-04 validator ignores, with what to write
// instead when draft-04 has it.
struct Unsupported {
  const char* keyword;
  const char* instead;
};
constexpr Unsupported kUnsupported[] = {
    {"const", "use \"enum\": [value]"},
    {"prefixItems", "use \"items\": [...]"},
    {"dependentRequired", "use \"dependencies\""},
    {"dependentSchemas", "use \"dependencies\""},
    {"unevaluatedProperties", "use \"additionalProperties\""},
    {"unevaluatedItems", "use \"additionalItems\""},
    {"contains", nullptr},
    {"minContains", nullptr},
    {"maxContains", nullptr},
    {"propertyNames", nullptr},
    {"if", nullptr},
    {"then", nullptr},
    {"else", nullptr},
    {"$dynamicRef", nullptr},
    {"$recursiveRef", nullptr},
};

// What may stand beside "$ref": draft-04 ignores everything else there.
constexpr const char* kAnnotations[] = {"$ref",     "description", "title",
                                        "$comment", "default",     "examples"};

// A "$ref" found in a schema: where the schema holding it is, and where it points, both as
// plain JSON Pointers ("/definitions/a", "" for the root).
struct Ref {
  std::string at;
  std::string target;
};

std::string Text(const Value& v) { return std::string(v.GetString(), v.GetStringLength()); }

// At most limit bytes of text, cut between UTF-8 sequences: the schema is the user's, but an
// argument's name is the model's and may be megabytes long.
std::string Cut(std::string text, size_t limit = 200) {
  if (text.size() <= limit) return text;
  size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  text.resize(n);
  return text + "\u2026";
}

std::string Json(const Value& v) {
  JsonBuffer buffer;
  JsonWriter writer(buffer);
  v.Accept(writer);
  return Cut(std::string(buffer.GetString(), buffer.GetSize()));
}

// One step of a JSON Pointer: "~" and "/" escaped (RFC 6901).
std::string Step(const std::string& at, std::string_view token) {
  std::string out = at + "/";
  for (char c : token) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

std::string Shown(const std::string& at) { return at.empty() ? "at the top" : "at " + at; }

// The nesting depth of v, counted without recursion: the schema comes from a file that may nest
// deeper than the stack allows, and RapidJSON compiles a schema recursively.
int Depth(const Value& v) {
  int deepest = 0;
  std::vector<std::pair<const Value*, int>> todo{{&v, 1}};
  while (!todo.empty() && deepest <= kMaxJsonDepth) {
    const auto [value, depth] = todo.back();
    todo.pop_back();
    if (value->IsObject()) {
      for (const auto& m : value->GetObject()) todo.emplace_back(&m.value, depth + 1);
    } else if (value->IsArray()) {
      for (const auto& e : value->GetArray()) todo.emplace_back(&e, depth + 1);
    } else {
      continue;
    }
    deepest = std::max(deepest, depth);
  }
  return deepest;
}

Status CheckPattern(const Value& pattern, const std::string& at) {
  if (!pattern.IsString() || memchr(pattern.GetString(), '\0', pattern.GetStringLength())) {
    return Status::Error("has a \"pattern\" that is not a string (" + Shown(at) + ")");
  }
  // An empty pattern matches everything, as the validator (which drops it) has it.
  if (pattern.GetStringLength() > 0 && !rapidjson::internal::Regex(pattern.GetString()).IsValid()) {
    return Status::Error("has a \"pattern\" voxterm cannot check: \"" + Text(pattern) + "\" (" +
                         Shown(at) + "; see docs/config.md)");
  }
  return Status::Ok();
}

// Where a "$ref" points, as a plain JSON Pointer. RapidJSON reads it as a URI fragment, in
// which "$" must be percent-encoded; "#/$defs/a", as OpenAI's examples write it, is read as a
// plain pointer after the "#" instead (and handed to RapidJSON encoded).
Result<std::string> RefTarget(const std::string& ref) {
  if (ref.empty() || ref[0] != '#') return Status::Error("");
  rapidjson::Pointer pointer(ref.data(), ref.size());
  if (!pointer.IsValid()) pointer = rapidjson::Pointer(ref.data() + 1, ref.size() - 1);
  if (!pointer.IsValid()) return Status::Error("");
  rapidjson::StringBuffer buffer;
  pointer.Stringify(buffer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// The places a draft-04 schema holds schemas, walked without recursion. A schema must be an
// object, except for additionalProperties and additionalItems, which may be true or false.
class Walker {
 public:
  Status Walk(const Value& root, std::vector<Ref>* refs) {
    todo_.push_back({&root, "", false});
    while (!todo_.empty()) {
      const Place place = todo_.back();
      todo_.pop_back();
      Status s = Visit(*place.value, place.at, place.boolean_allowed, refs);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

 private:
  struct Place {
    const Value* value;
    std::string at;
    bool boolean_allowed;
  };

  void Schema(const Value& v, const std::string& at, bool boolean_allowed = false) {
    todo_.push_back({&v, at, boolean_allowed});
  }

  Status Visit(const Value& v, const std::string& at, bool boolean_allowed,
               std::vector<Ref>* refs) {
    if (v.IsBool() && boolean_allowed) return Status::Ok();
    if (!v.IsObject())
      return Status::Error("has a schema that is not an object (" + Shown(at) + ")");
    if (v.HasMember("$ref")) return Reference(v, at, refs);
    for (const auto& m : v.GetObject()) {
      Status s = Keyword(Text(m.name), m.value, at);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  // One keyword of the schema at `at`: refused when draft-04 would ignore it, checked when its
  // value must have a shape, and the schemas it holds queued to be walked.
  Status Keyword(const std::string& key, const Value& value, const std::string& at) {
    for (const Unsupported& u : kUnsupported) {
      if (key != u.keyword) continue;
      return Status::Error(
          "uses \"" + key + "\", which voxterm cannot check (JSON Schema draft-04)" +
          (u.instead ? std::string(": ") + u.instead : std::string()) + " (" + Shown(at) + ")");
    }
    using Visitor =
        Status (Walker::*)(const std::string& key, const Value& value, const std::string& at);
    struct Family {
      const char* keyword;
      Visitor visit;
    };
    static constexpr Family kFamilies[] = {
        {"exclusiveMinimum", &Walker::Exclusive},
        {"exclusiveMaximum", &Walker::Exclusive},
        {"pattern", &Walker::Pattern},
        {"properties", &Walker::SchemaMap},
        {"patternProperties", &Walker::PatternProperties},
        {"definitions", &Walker::SchemaMap},
        {"dependencies", &Walker::Dependencies},
        {"items", &Walker::Items},
        {"not", &Walker::OneSchema},
        {"additionalItems", &Walker::SchemaOrBoolean},
        {"additionalProperties", &Walker::SchemaOrBoolean},
        {"allOf", &Walker::SchemaList},
        {"anyOf", &Walker::SchemaList},
        {"oneOf", &Walker::SchemaList},
    };
    for (const Family& family : kFamilies) {
      if (key == family.keyword) return (this->*family.visit)(key, value, at);
    }
    return Status::Ok();  // a keyword that holds no schema, or one draft-04 does not know
  }

  // Draft-04's exclusiveMinimum and exclusiveMaximum are booleans beside minimum and maximum;
  // later drafts' numbers would be ignored.
  Status Exclusive(const std::string& key, const Value& value, const std::string& at) {
    if (value.IsBool()) return Status::Ok();
    return Status::Error("has a number for \"" + key +
                         "\", which voxterm cannot check (JSON Schema draft-04): use \"" +
                         (key == "exclusiveMinimum" ? "minimum" : "maximum") + "\" and \"" + key +
                         "\": true (" + Shown(at) + ")");
  }

  Status Pattern(const std::string&, const Value& value, const std::string& at) {
    return CheckPattern(value, at);
  }

  // properties and definitions: an object of schemas.
  Status SchemaMap(const std::string& key, const Value& value, const std::string& at) {
    if (!value.IsObject())
      return Status::Error("has a \"" + key + "\" that is not an object (" + Shown(at) + ")");
    const std::string here = Step(at, key);
    for (const auto& p : value.GetObject()) Schema(p.value, Step(here, Text(p.name)));
    return Status::Ok();
  }

  // An object of schemas whose names are patterns too.
  Status PatternProperties(const std::string& key, const Value& value, const std::string& at) {
    if (value.IsObject()) {
      for (const auto& p : value.GetObject()) {
        Status s = CheckPattern(p.name, Step(at, key));
        if (!s.ok()) return s;
      }
    }
    return SchemaMap(key, value, at);
  }

  // An object whose values are schemas or lists of property names (which hold no schema).
  Status Dependencies(const std::string& key, const Value& value, const std::string& at) {
    if (!value.IsObject())
      return Status::Error("has a \"dependencies\" that is not an object (" + Shown(at) + ")");
    const std::string here = Step(at, key);
    for (const auto& p : value.GetObject()) {
      if (!p.value.IsArray()) Schema(p.value, Step(here, Text(p.name)));
    }
    return Status::Ok();
  }

  // One schema for every item, or a list of schemas, one per position.
  Status Items(const std::string& key, const Value& value, const std::string& at) {
    if (!value.IsArray()) return OneSchema(key, value, at);
    const std::string here = Step(at, key);
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i)
      Schema(value[i], Step(here, std::to_string(i)));
    return Status::Ok();
  }

  Status OneSchema(const std::string& key, const Value& value, const std::string& at) {
    Schema(value, Step(at, key));
    return Status::Ok();
  }

  Status SchemaOrBoolean(const std::string& key, const Value& value, const std::string& at) {
    Schema(value, Step(at, key), /*boolean_allowed=*/true);
    return Status::Ok();
  }

  // allOf, anyOf and oneOf: a list of at least one schema.
  Status SchemaList(const std::string& key, const Value& value, const std::string& at) {
    if (!value.IsArray() || value.Empty()) {
      return Status::Error("has an \"" + key + "\" that is not a list of schemas (" + Shown(at) +
                           ")");
    }
    const std::string here = Step(at, key);
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i)
      Schema(value[i], Step(here, std::to_string(i)));
    return Status::Ok();
  }

  Status Reference(const Value& v, const std::string& at, std::vector<Ref>* refs) {
    for (const auto& m : v.GetObject()) {
      const std::string key = Text(m.name);
      if (std::none_of(std::begin(kAnnotations), std::end(kAnnotations),
                       [&](const char* a) { return key == a; })) {
        return Status::Error("has \"" + key +
                             "\" beside a \"$ref\", where JSON Schema draft-04 ignores it: put "
                             "both in an \"allOf\" (" +
                             Shown(at) + ")");
      }
    }
    const Value& ref = v["$ref"];
    auto target = ref.IsString() ? RefTarget(Text(ref)) : Result<std::string>(Status::Error(""));
    if (!target.ok()) {
      return Status::Error("has a \"$ref\" that does not point into it: " + Json(ref) + " (" +
                           Shown(at) + ")");
    }
    refs->push_back({at, *target});
    return Status::Ok();
  }

  std::vector<Place> todo_;
};

// Whether following the refs can come back to where it started: from each place a ref points
// to (and from the top), the refs inside it lead on.
bool Recursive(const std::vector<Ref>& refs) {
  std::map<std::string, std::vector<std::string>> next;
  auto inside = [](const std::string& at, const std::string& place) {
    return at == place || at.rfind(place + "/", 0) == 0;
  };
  std::set<std::string> places{""};
  for (const Ref& r : refs) places.insert(r.target);
  for (const std::string& place : places) {
    for (const Ref& r : refs) {
      if (inside(r.at, place)) next[place].push_back(r.target);
    }
  }
  // Depth-first, with the places on the current path marked.
  enum Mark { kNew, kOnPath, kDone };
  std::map<std::string, Mark> mark;
  std::vector<std::pair<std::string, size_t>> path{{"", 0}};
  mark[""] = kOnPath;
  while (!path.empty()) {
    auto& [place, i] = path.back();
    const std::vector<std::string>& targets = next[place];
    if (i == targets.size()) {
      mark[place] = kDone;
      path.pop_back();
      continue;
    }
    const std::string target = targets[i++];
    if (mark[target] == kOnPath) return true;
    if (mark[target] == kNew) {
      mark[target] = kOnPath;
      path.emplace_back(target, 0);
    }
  }
  return false;
}

}  // namespace

Status CheckParameterSchema(const rapidjson::Value& parameters) {
  if (Depth(parameters) > kMaxJsonDepth) {
    return Status::Error("nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  std::vector<Ref> refs;
  Status walked = Walker().Walk(parameters, &refs);
  if (!walked.ok()) return walked;
  for (const Ref& r : refs) {
    const Value* target = rapidjson::Pointer(r.target.c_str()).Get(parameters);
    if (!target || !target->IsObject()) {
      return Status::Error("has a \"$ref\" that points to no schema: \"#" + r.target + "\" (" +
                           Shown(r.at) + ")");
    }
  }
  if (Recursive(refs)) {
    return Status::Error(
        "has a recursive \"$ref\", which voxterm does not check: its cost grows exponentially "
        "with the depth of the arguments");
  }
  return Status::Ok();
}

Status ValidateArguments(std::string_view parameters_json, const rapidjson::Value& arguments) {
  if (parameters_json.empty()) return Status::Ok();
  rapidjson::Document schema;
  schema.Parse(parameters_json.data(), parameters_json.size());
  std::vector<Ref> refs;
  if (schema.HasParseError() || !Walker().Walk(schema, &refs).ok()) {
    return Status::Error("the tool's parameters cannot be checked");
  }
  // Each $ref as RapidJSON reads it: a URI fragment, percent-encoded.
  for (const Ref& r : refs) {
    Value* holder = rapidjson::Pointer(r.at.c_str()).Get(schema);
    rapidjson::StringBuffer buffer;
    rapidjson::Pointer(r.target.c_str()).StringifyUriFragment(buffer);
    (*holder)["$ref"].SetString(buffer.GetString(), buffer.GetSize(), schema.GetAllocator());
  }
  const rapidjson::SchemaDocument compiled(schema);
  rapidjson::SchemaValidator validator(compiled);
  if (arguments.Accept(validator)) return Status::Ok();

  const std::string keyword = validator.GetInvalidSchemaKeyword();
  rapidjson::StringBuffer where;
  validator.GetInvalidDocumentPointer().Stringify(where);
  const Value* at = validator.GetInvalidSchemaPointer().Get(schema);
  std::string says;
  if (at && at->IsObject() && at->HasMember(keyword.c_str()))
    says = ": " + Json((*at)[keyword.c_str()]);
  const std::string who = where.GetSize() == 0
                              ? std::string("the arguments fail")
                              : "argument \"" + Cut(where.GetString()) + "\" fails";
  return Status::Error(who + " \"" + keyword + "\"" + says);
}

}  // namespace voxterm
