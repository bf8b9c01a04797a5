// The tools' schemas: what is refused at start-up, and what a call's arguments must satisfy.
#include "tools/tool_schema.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

using namespace voxterm;

namespace {

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

// The start-up check's message, or "" when the schema is accepted.
std::string Check(const std::string& schema) {
  Status s = CheckParameterSchema(Json(schema));
  return s.ok() ? "" : s.message();
}

// The message a call gets, or "" when its arguments pass.
std::string Validate(const std::string& schema, const std::string& arguments) {
  REQUIRE(Check(schema).empty());
  Status s = ValidateArguments(schema, Json(arguments));
  return s.ok() ? "" : s.message();
}

const char* kSchema = R"({"type": "object",
  "properties": {
    "path": {"type": "string", "pattern": "^[^-]", "maxLength": 3},
    "mode": {"enum": ["fast", "slow"]},
    "n": {"type": "integer", "minimum": 0, "maximum": 10, "exclusiveMaximum": true},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2, "uniqueItems": true},
    "opt": {"$ref": "#/$defs/opt"}
  },
  "required": ["path"],
  "additionalProperties": false,
  "$defs": {"opt": {"type": "object", "properties": {"level": {"type": "integer"}}, "required": ["level"]}}})";

}  // namespace

TEST_CASE("arguments are checked against the draft-04 keywords", "[tools][schema]") {
  CHECK(Validate(kSchema,
                 R"({"path": "ab", "mode": "fast", "n": 9, "tags": ["x"], "opt": {"level": 1}})") ==
        "");
  CHECK(Validate(kSchema, "{}") == R"(the arguments fail "required": ["path"])");
  CHECK(Validate(kSchema, R"({"path": 3})") == R"(argument "/path" fails "type": "string")");
  CHECK(Validate(kSchema, R"({"path": "-rf"})") == R"(argument "/path" fails "pattern": "^[^-]")");
  CHECK(Validate(kSchema, R"({"path": "abcd"})") == R"(argument "/path" fails "maxLength": 3)");
  CHECK(Validate(kSchema, R"({"path": "éèê"})") == "");  // characters, not bytes
  CHECK(Validate(kSchema, R"({"path": "a", "mode": "turbo"})") ==
        R"(argument "/mode" fails "enum": ["fast","slow"])");
  CHECK(Validate(kSchema, R"({"path": "a", "n": 10})") == R"(argument "/n" fails "maximum": 10)");
  CHECK(Validate(kSchema, R"({"path": "a", "n": 2.5})") ==
        R"(argument "/n" fails "type": "integer")");
  CHECK(Validate(kSchema, R"({"path": "a", "tags": ["x", "x"]})") ==
        R"(argument "/tags/1" fails "uniqueItems": true)");
  CHECK(Validate(kSchema, R"({"path": "a", "tags": ["x", 1]})") ==
        R"(argument "/tags/1" fails "type": "string")");
  CHECK(Validate(kSchema, R"({"path": "a", "more": 1})") ==
        R"(argument "/more" fails "additionalProperties": false)");
  // A $ref written as OpenAI's examples write it ("$" is not percent-encoded) is followed.
  CHECK(Validate(kSchema, R"({"path": "a", "opt": {}})") ==
        R"(argument "/opt" fails "required": ["level"])");
  CHECK(Validate(kSchema, R"({"path": "a", "opt": {"level": "x"}})") ==
        R"(argument "/opt/level" fails "type": "integer")");
}

TEST_CASE("a schema-less tool takes any object", "[tools][schema]") {
  CHECK(ValidateArguments("", Json(R"({"anything": [1, {"x": null}]})")).ok());
  CHECK(Validate(R"({"type": "object", "properties": {}})", R"({"a": 1})") == "");
}

TEST_CASE("the message cuts a name the model chose", "[tools][schema]") {
  const std::string name(100000, 'k');
  const std::string message =
      Validate(R"({"type": "object", "additionalProperties": false})", "{\"" + name + "\": 1}");
  CHECK(message.size() < 400);
  CHECK(message.rfind("argument \"/kkkk", 0) == 0);
}

TEST_CASE("what the validator would silently ignore is refused at start-up", "[tools][schema]") {
  // Its regular expressions have no \d; the validator would drop the pattern.
  CHECK(Check(R"({"properties": {"n": {"pattern": "^\\d+$"}}})") ==
        R"(has a "pattern" voxterm cannot check: "^\d+$" (at /properties/n; see docs/config.md))");
  CHECK(
      Check(R"({"patternProperties": {"\\w+": {}}})") ==
      R"(has a "pattern" voxterm cannot check: "\w+" (at /patternProperties; see docs/config.md))");
  CHECK(Check(R"({"properties": {"n": {"pattern": 3}}})") ==
        R"(has a "pattern" that is not a string (at /properties/n))");
  CHECK(Check(R"({"properties": {"n": {"pattern": "^[a-z]+(-[a-z]+)*$"}}})") == "");
  // Later drafts.
  CHECK(
      Check(R"({"properties": {"n": {"const": 1}}})") ==
      R"(uses "const", which voxterm cannot check (JSON Schema draft-04): use "enum": [value] (at /properties/n))");
  CHECK(Check(R"({"items": {"if": {}}})") ==
        R"(uses "if", which voxterm cannot check (JSON Schema draft-04) (at /items))");
  CHECK(Check(R"({"properties": {"n": {"exclusiveMinimum": 0}}})")
            .find("use \"minimum\" and \"exclusiveMinimum\": true") != std::string::npos);
  CHECK(Check(R"({"properties": {"n": {"minimum": 0, "exclusiveMinimum": true}}})") == "");
  // A keyword in data is not a keyword.
  CHECK(Check(R"({"properties": {"n": {"enum": [{"const": 1, "pattern": "\\d"}]}}})") == "");
  CHECK(Check(R"({"properties": {"const": {"type": "string"}}})") == "");
  // Schemas that are not objects (draft-06 booleans) would be read as "anything".
  CHECK(Check(R"({"properties": {"n": false}})") ==
        "has a schema that is not an object (at /properties/n)");
  CHECK(Check(R"({"additionalProperties": false, "items": [{}, true]})") ==
        "has a schema that is not an object (at /items/1)");
  CHECK(Check(R"({"anyOf": []})") ==
        R"(has an "anyOf" that is not a list of schemas (at the top))");
}

TEST_CASE("a $ref must point into the schema, beside nothing, and not back at itself",
          "[tools][schema]") {
  CHECK(Check(R"({"properties": {"n": {"$ref": "#/definitions/s"}}, "definitions": {"s": {}}})") ==
        "");
  CHECK(Check(R"({"properties": {"n": {"$ref": "other.json#/s"}}})") ==
        R"(has a "$ref" that does not point into it: "other.json#/s" (at /properties/n))");
  CHECK(Check(R"({"properties": {"n": {"$ref": "#/definitions/none"}}})") ==
        R"(has a "$ref" that points to no schema: "#/definitions/none" (at /properties/n))");
  CHECK(
      Check(
          R"({"properties": {"n": {"$ref": "#/definitions/s", "maxLength": 2}}, "definitions": {"s": {}}})") ==
      R"(has "maxLength" beside a "$ref", where JSON Schema draft-04 ignores it: put both in an "allOf" (at /properties/n))");
  const std::string recursive =
      R"(has a recursive "$ref", which voxterm does not check: its cost grows )"
      R"(exponentially with the depth of the arguments)";
  CHECK(Check(R"({"items": {"$ref": "#"}})") == recursive);
  CHECK(
      Check(
          R"({"definitions": {"a": {"items": {"$ref": "#/definitions/b"}}, "b": {"items": {"$ref": "#/definitions/a"}}},
                  "properties": {"x": {"$ref": "#/definitions/a"}}})") == recursive);
  // Two refs to one place are not a cycle.
  CHECK(Check(R"({"definitions": {"s": {"type": "string"}},
                  "properties": {"x": {"$ref": "#/definitions/s"}, "y": {"$ref": "#/definitions/s"}}})") ==
        "");
}

TEST_CASE("a schema nested deeper than a message may be is refused", "[tools][schema]") {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += R"({"not":)";
  deep += "{}" + std::string(100000, '}');
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(deep.c_str());
  REQUIRE_FALSE(d.HasParseError());
  Status s = CheckParameterSchema(d);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "nests deeper than 64 levels");
}

TEST_CASE("deep arguments against combinators cost little", "[tools][schema]") {
  // anyOf and allOf at each of 12 levels of the schema (as deep as a schema may nest), arguments
  // 64 deep: without a recursive $ref, the validators that run grow with the schema, not with
  // the arguments.
  std::string schema = R"({"type": "object", "properties": {"a": )";
  std::string tail = "}}";
  for (int i = 0; i < 12; ++i) {
    schema += R"({"anyOf": [{"type": "string"}, {"allOf": [{"type": "array"}, {"items": )";
    tail = "}]}]}" + tail;
  }
  schema += "{}" + tail;
  const std::string arguments = R"({"a": )" + std::string(62, '[') + std::string(62, ']') + "}";
  const auto start = std::chrono::steady_clock::now();
  CHECK(Validate(schema, arguments) == "");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("each keyword that holds schemas is walked, and its shape checked", "[tools][schema]") {
  const std::string uses_const =
      R"(uses "const", which voxterm cannot check (JSON Schema draft-04): use "enum": [value] )";
  // Maps of schemas.
  for (const char* key : {"properties", "patternProperties", "definitions"}) {
    INFO(key);
    CHECK(Check(std::string(R"({")") + key + R"(": []})") ==
          std::string(R"(has a ")") + key + R"(" that is not an object (at the top))");
    CHECK(Check(std::string(R"({")") + key + R"(": {"a": {"const": 1}}})") ==
          uses_const + "(at /" + key + "/a)");
  }
  CHECK(Check(R"({"properties": {"a/b~c": {"const": 1}}})") ==
        uses_const + "(at /properties/a~1b~0c)");
  // Dependencies: a list of names is no schema; a schema is walked.
  CHECK(Check(R"({"dependencies": {"a": ["b"], "c": {"type": "object"}}})") == "");
  CHECK(Check(R"({"dependencies": {"a": {"const": 1}}})") == uses_const + "(at /dependencies/a)");
  CHECK(Check(R"({"dependencies": ["a"]})") ==
        R"(has a "dependencies" that is not an object (at the top))");
  CHECK(Check(R"({"dependencies": {"a": "b"}})") ==
        "has a schema that is not an object (at /dependencies/a)");
  // One schema.
  CHECK(Check(R"({"not": {"const": 1}})") == uses_const + "(at /not)");
  CHECK(Check(R"({"not": true})") == "has a schema that is not an object (at /not)");
  CHECK(Check(R"({"items": false})") == "has a schema that is not an object (at /items)");
  CHECK(Check(R"({"items": [{}, {"const": 1}]})") == uses_const + "(at /items/1)");
  CHECK(Check(R"({"items": []})") == "");
  // A schema or a boolean.
  for (const char* key : {"additionalItems", "additionalProperties"}) {
    INFO(key);
    CHECK(Check(std::string(R"({")") + key + R"(": true})") == "");
    CHECK(Check(std::string(R"({")") + key + R"(": 3})") ==
          std::string("has a schema that is not an object (at /") + key + ")");
    CHECK(Check(std::string(R"({")") + key + R"(": {"const": 1}})") ==
          uses_const + "(at /" + key + ")");
  }
  // Lists of schemas.
  for (const char* key : {"allOf", "anyOf", "oneOf"}) {
    INFO(key);
    CHECK(Check(std::string(R"({")") + key + R"(": {}})") ==
          std::string(R"(has an ")") + key + R"(" that is not a list of schemas (at the top))");
    CHECK(Check(std::string(R"({")") + key + R"(": [{}, {"const": 1}]})") ==
          uses_const + "(at /" + key + "/1)");
    CHECK(Check(std::string(R"({")") + key + R"(": [{}, false]})") ==
          std::string("has a schema that is not an object (at /") + key + "/1)");
  }
  // Keywords that hold no schema are not walked.
  CHECK(Check(R"({"enum": [{"not": 3}], "default": {"items": 1}, "required": ["x"]})") == "");
}

TEST_CASE("draft-04's own spellings, and which error is said first", "[tools][schema]") {
  CHECK(Check(R"({"properties": {"n": {"exclusiveMaximum": 10}}})") ==
        R"(has a number for "exclusiveMaximum", which voxterm cannot check (JSON Schema )"
        R"(draft-04): use "maximum" and "exclusiveMaximum": true (at /properties/n))");
  CHECK(Check(R"({"properties": {"n": {"maximum": 9, "exclusiveMaximum": false}}})") == "");
  CHECK(Check(R"({"unevaluatedItems": false})") ==
        R"(uses "unevaluatedItems", which voxterm cannot check (JSON Schema draft-04): use )"
        R"("additionalItems" (at the top))");
  // A keyword's own problem before the schemas it holds; of two held schemas, the one written
  // last is walked first.
  CHECK(Check(R"({"properties": {"a": {"const": 1}}, "pattern": "\\d"})")
            .rfind(R"(has a "pattern" voxterm cannot check)", 0) == 0);
  CHECK(Check(R"({"properties": {"a": {"const": 1}}, "not": {"if": {}}})") ==
        R"(uses "if", which voxterm cannot check (JSON Schema draft-04) (at /not))");
  CHECK(Check(R"({"patternProperties": {"a": {"const": 1}, "\\d": {}}})")
            .rfind(R"(has a "pattern" voxterm cannot check: "\d")", 0) == 0);
  // Beside a $ref, annotations only; a $ref that is not a string points nowhere.
  CHECK(Check(R"({"definitions": {"s": {}}, "properties": {"n": {"$ref": "#/definitions/s",
      "description": "d", "title": "t", "$comment": "c", "default": 1, "examples": [1]}}})") == "");
  CHECK(Check(R"({"properties": {"n": {"$ref": 3}}})") ==
        R"(has a "$ref" that does not point into it: 3 (at /properties/n))");
}
