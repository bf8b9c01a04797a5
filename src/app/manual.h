// The manual page (voxterm.1) and the shell completions (bash, zsh, fish), written from the
// option table (app/options.h), so that they name every flag, and only those, with its help and
// its values. The build runs tools/gen_manual.cpp to write them; `cmake --install` puts them
// where man and the shells look.
// Thread safety: any thread (they only read the immutable table).
#pragma once

#include <string>

namespace voxterm {

// roff, for man(7): NAME, SYNOPSIS, DESCRIPTION, OPTIONS (the table), COMMANDS, FILES,
// ENVIRONMENT, EXIT STATUS, EXAMPLES, SEE ALSO.
std::string ManualPage();

enum class Shell { kBash, kZsh, kFish };
// A completion script: flags with their help, the words a flag takes, file names where a flag
// takes a path, and the subcommands.
std::string Completion(Shell shell);

}  // namespace voxterm
