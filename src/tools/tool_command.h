// From a model's call to a command, and from the command's result to the model's output.
// The model's arguments are untrusted text: they reach the command only as whole argv elements,
// environment variables and stdin, never through a shell parser (docs/config.md, "Tools").
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/tool_config.h"
#include "tools/tool_runner.h"
#include "util/status.h"

namespace voxterm {

// The environment tools inherit: voxterm's own, less the API keys and any VOXTERM_ARG* left over
// from a parent voxterm. environ is the process's, passed in for tests.
std::vector<std::string> ToolBaseEnvironment(const char* const* environ);

// Builds the command for one call. arguments_json is the model's "arguments": a JSON object (an
// empty string counts as {}). In "command", {name} in any element is replaced by that
// argument: a string as it is, anything else as JSON; an element naming an argument the call
// left out is dropped. Every top-level argument is also exported as VOXTERM_ARG_<name>, and the
// whole JSON goes to stdin and VOXTERM_ARGS; a variable longer than 128 KiB is left out (stdin
// still has it). Fails, with a message for the model, and nothing to run, when the arguments
// are not a JSON object, nest deeper than kMaxJsonDepth, hold a NUL character (which no command
// can receive), name a key twice in one object, or fail the tool's schema (tool_schema.h).
Result<ToolCommand> PrepareCommand(const ToolConfig& tool, std::string_view arguments_json,
                                   const std::vector<std::string>& base_env);

// The arguments of a prepared command that its argv does not show: all of a shell tool's, and
// those of a command tool with no {name} in "command"; as name and value (a string as it is,
// anything else as JSON), in the order the model sent them. With argv, they are what a user
// must see to know what will run: they reach the command through its environment and stdin.
// REQUIRES: command was made by PrepareCommand for tool.
std::vector<std::pair<std::string, std::string>> ArgumentsBesideArgv(const ToolConfig& tool,
                                                                     const ToolCommand& command);

// The function_call_output for the model: {"exit_code", "stdout", "stderr"}, with
// "timed_out", "interrupted" or "truncated": true when so; or {"error"} when nothing ran.
// Never longer than max_bytes: stdout and stderr are cut to fit (stderr keeps up to a quarter),
// at a character boundary; bytes that are not UTF-8 become U+FFFD.
std::string FormatToolOutput(const ToolResult& result, size_t max_bytes);

// {"error": message}: for calls that did not run (unknown tool, refused, bad arguments).
std::string FormatToolError(std::string_view message);

// text with every byte sequence that is not UTF-8 replaced by U+FFFD (util/utf8.h, RepairUtf8).
std::string ValidUtf8(std::string_view text);

}  // namespace voxterm
