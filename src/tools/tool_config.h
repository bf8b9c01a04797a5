// ToolConfig: one tool the user declared in the config file's "tools" array (docs/config.md).
// The model sees its name, description and parameters; voxterm runs its command when called.
// Thread safety: plain data, immutable after start-up.
#pragma once

#include <rapidjson/document.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace voxterm {

struct ToolConfig {
  std::string name;  // [A-Za-z0-9_-]{1,64}
  std::string description;
  std::string parameters_json;               // a JSON Schema object, as compact JSON text
  std::vector<std::string> parameter_names;  // parameters.properties, for {name} in command
  // Exactly one of the two: argv run directly, or a script for /bin/sh -c.
  std::vector<std::string> command;
  std::string shell;
  int timeout_ms = 10000;
  size_t max_output_bytes = 16384;
  bool confirm = false;                                  // ask on the terminal before each run
  std::string cwd;                                       // "~/" expanded; empty: voxterm's own
  std::vector<std::pair<std::string, std::string>> env;  // added to the inherited environment
};

// Where a value sits in the file, for messages: given a JSON pointer ("/tools/0/name"), returns
// "path:line".
using ConfigLocator = std::function<std::string(const std::string& pointer)>;

// A name of 1 to max_length of [A-Za-z0-9_-], as the API wants a function's name (64 at most).
bool IsName(std::string_view s, size_t max_length);
// An environment variable's name: letters, digits and _, not starting with a digit.
bool IsEnvName(std::string_view s);

// Checks and reads the "tools" array. An error names the file, the line, the tool and the key.
Result<std::vector<ToolConfig>> ParseTools(const rapidjson::Value& tools,
                                           const ConfigLocator& where);

}  // namespace voxterm
