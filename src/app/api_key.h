// Where the API key comes from: the environment, else the config's api_key_command (for
// password managers). The key never comes from a flag, so it never shows in argv, and it is
// never printed or logged.
#pragma once

#include <string>

#include "app/config.h"
#include "util/status.h"

namespace voxterm {

// The variable that holds the key for this config.
const char* ApiKeyVariable(const Config& config);

Result<std::string> ResolveApiKey(const Config& config);

// A key must be printable ASCII without spaces: anything else could smuggle a header.
Status CheckApiKey(const std::string& key);

}  // namespace voxterm
