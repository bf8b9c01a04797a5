#include "app/api_key.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

namespace voxterm {

const char* ApiKeyVariable(const Config& config) {
  return config.azure ? "AZURE_OPENAI_API_KEY" : "OPENAI_API_KEY";
}

// A CR or LF in a key would end the header and start another (header injection).
Status CheckApiKey(const std::string& key) {
  for (unsigned char c : key) {
    if (c <= 0x20 || c >= 0x7F) {
      return Status::Error("the API key contains spaces, control or non-ASCII characters");
    }
  }
  return Status::Ok();
}

namespace {

Result<std::string> RunKeyCommand(const std::string& command) {
  // popen runs /bin/sh -c: the command is the user's own, from their own config file. Its
  // stderr stays on the terminal so that a password manager can ask for a passphrase.
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return Result<std::string>::Error("api_key_command: could not start /bin/sh");
  std::string output;
  char buffer[512];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    if (output.size() < 64 * 1024) output.append(buffer, n);
  }
  int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string how = status != -1 && WIFEXITED(status)
                          ? "exited with status " + std::to_string(WEXITSTATUS(status))
                          : std::string("did not exit normally");
    return Result<std::string>::Error("api_key_command " + how);
  }
  // The key is the first line; trailing whitespace is the usual newline.
  output = output.substr(0, output.find('\n'));
  while (!output.empty() && (output.back() == '\r' || output.back() == ' ')) output.pop_back();
  if (output.empty()) return Result<std::string>::Error("api_key_command printed no key");
  return output;
}

}  // namespace

Result<std::string> ResolveApiKey(const Config& config) {
  const char* variable = ApiKeyVariable(config);
  const char* value = getenv(variable);
  std::string key;
  if (value && *value) {
    key = value;
  } else if (!config.api_key_command.empty()) {
    auto from_command = RunKeyCommand(config.api_key_command);
    if (!from_command.ok()) return from_command;
    key = *from_command;
  } else {
    return Result<std::string>::Error(std::string("no API key: set ") + variable +
                                      " or api_key_command in the config file");
  }
  Status ok = CheckApiKey(key);
  if (!ok.ok()) return ok;
  return key;
}

}  // namespace voxterm
