// Paths as people write them in config files and flags.
// Thread safety: pure functions (they read $HOME).
#pragma once

#include <string>

namespace voxterm {

// "~/x" to "$HOME/x"; other paths unchanged.
std::string ExpandHome(const std::string& path);

}  // namespace voxterm
