// The tools' "parameters": a JSON Schema the model reads, and that voxterm enforces on every
// call before anything runs (docs/config.md, "What the schema enforces").
// voxterm checks with RapidJSON's validator, which knows JSON Schema draft-04 only, and silently
// ignores what it cannot compile: a pattern its regular expressions lack (\d), a keyword of a
// later draft (const), a $ref it cannot resolve. So a schema is checked once at start-up, and
// anything in it that would not be enforced is an error the user sees, not a hole the model
// finds. A recursive $ref is refused too: with anyOf or allOf, its cost grows exponentially with
// the depth of the arguments, and the arguments are the model's.
// Thread safety: pure functions.
#pragma once

#include <rapidjson/document.h>

#include <string_view>

#include "util/status.h"

namespace voxterm {

// Checks a tool's "parameters" at start-up: everything it asserts can be enforced. The message
// says what is wrong, and where, but not which tool: the caller adds that.
Status CheckParameterSchema(const rapidjson::Value& parameters);

// Checks a call's arguments against parameters_json, a schema that passed
// CheckParameterSchema (empty: any arguments). The message, for the model, names the argument
// as a JSON Pointer, the keyword it fails and what the schema says there:
//   argument "/path" fails "pattern": "^[^-]"
//   the arguments fail "required": ["path"]
// REQUIRES: arguments nests no deeper than kMaxJsonDepth (protocol/json_parse.h).
Status ValidateArguments(std::string_view parameters_json, const rapidjson::Value& arguments);

}  // namespace voxterm
