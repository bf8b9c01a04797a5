// Where the API key comes from: the environment, else the config's api_key_command (for
// password managers). The key never comes from a flag, so it never shows in argv, and it is
// never printed or logged. Once read, it lives only in voxterm's memory, which the process keeps
// from other processes of the user (not dumpable: see main.cpp).
#pragma once

#include <string>

#include "app/config.h"
#include "util/status.h"

namespace voxterm {

// The variable that holds the key for this config.
const char* ApiKeyVariable(const Config& config);

// From the environment, else from api_key_command: /bin/sh runs it with stdin from /dev/null
// and config.api_key_command_timeout_s to finish; the first line it prints is the key.
Result<std::string> ResolveApiKey(const Config& config);

// Wipes OPENAI_API_KEY and AZURE_OPENAI_API_KEY from the environment, and from the memory
// /proc/PID/environ shows, once the key is read: nothing started later, and nothing that reads
// that file, finds them there. (Tools are started without them anyway.)
void ScrubApiKeyVariables();

// A key must be printable ASCII without spaces or quotes: anything else could smuggle a header.
Status CheckApiKey(const std::string& key);

}  // namespace voxterm
