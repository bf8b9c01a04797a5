// The command line (CLI11), applied over the config file: flags win.
#pragma once

#include <optional>
#include <string>

#include "app/config.h"

namespace voxterm {

struct CommandLine {
  Config config;
  bool list_devices = false;  // the "devices" subcommand
  bool devices_json = false;  // devices --json
  bool devices_test = false;  // devices --test
  bool list_mcp = false;      // the "mcp" subcommand
  // Set when the process should exit at once: after --help or --version (0), or after a usage
  // or configuration error that has been reported (2).
  std::optional<int> exit_code;
};

// The flags are the option table's (app/options.h), with --help, --version and "devices".
// Errors are printed to stderr, one line each.
CommandLine ParseCommandLine(int argc, char** argv);

// What --help prints.
std::string CommandLineHelp();

}  // namespace voxterm
