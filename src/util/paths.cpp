#include "util/paths.h"

#include <cstdlib>

namespace voxterm {

std::string ExpandHome(const std::string& path) {
  if (path != "~" && path.rfind("~/", 0) != 0) return path;
  const char* home = getenv("HOME");
  return home ? std::string(home) + path.substr(1) : path;
}

}  // namespace voxterm
