#include "app/api_select.h"

#include <cctype>
#include <cstring>
#include <string_view>

#include "transport/url.h"
#include "util/log.h"

namespace voxterm {

bool UsesLive(const Config& config) {
  if (config.api != Api::kAuto) return config.api == Api::kLive;
  return config.model.rfind("gpt-live", 0) == 0;
}

std::string LiveUrl(const Config& config) {
  if (config.url == kRealtimeUrl) return kLiveUrl;  // the default: OpenAI's
  auto url = ParseUrl(config.url);
  if (!url.ok()) return config.url;  // MakeConnectOptions says what is wrong with it
  const std::string path = url->path.substr(0, url->path.find('?'));
  constexpr std::string_view kRealtimePath = "/v1/realtime";
  if (path.size() >= kRealtimePath.size() &&
      path.compare(path.size() - kRealtimePath.size(), kRealtimePath.size(), kRealtimePath) == 0) {
    // A Realtime endpoint (a compatible server's, a proxy's, Azure's GA path): GPT-Live is
    // beside it on the same server, and never at it (a Live model there is invalid_model).
    url->path = path.substr(0, path.size() - kRealtimePath.size()) + "/v1/live/sessions";
    return url->ToString();
  }
  if (!config.azure || path.find("/live") != std::string::npos) return config.url;
  url->path = kAzureLivePath;
  return url->ToString();
}

namespace {

// A model name as the API writes them (gpt-5.5, a dated snapshot, a fine-tune's ft:...:id).
bool IsModelName(const std::string& name) {
  if (name.empty() || name.size() > kMaxModelNameBytes) return false;
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && !strchr("._-:/", c)) return false;
  }
  return true;
}

}  // namespace

Status CheckLiveOptions(const Config& config) {
  if (!IsModelName(config.delegate_model)) {
    return Status::Error("--delegate-model (\"delegate_model\") must be a model name: up to " +
                         std::to_string(kMaxModelNameBytes) +
                         " letters, digits and . _ - : /, not \"" +
                         Printable(config.delegate_model, 60) + "\"");
  }
  if (!UsesLive(config)) return Status::Ok();
  if (config.mode != Mode::kText) return Status::Ok();
  return Status::Error(
      "--text is not possible with GPT-Live (model \"" + config.model +
      "\"): it always speaks, and its clock runs on the microphone's stream; type lines in the "
      "spoken conversation, or use --api realtime and a Realtime model");
}

Status CheckImagesAllowed(const Config& config, const std::string& what) {
  if (UsesLive(config)) {
    return Status::Error(
        what + ": GPT-Live takes no images (model \"" + config.model +
        "\"); images are the Realtime API's (--api realtime and a Realtime model)");
  }
  if (config.dialect == Dialect::kBeta) {
    return Status::Error(what + ": the beta dialect has no image input; images need --dialect ga");
  }
  return Status::Ok();
}

Status CheckHostedMcpAllowed(const Config& config) {
  if (config.hosted_mcp_servers.empty()) return Status::Ok();
  const std::string& label = config.hosted_mcp_servers[0].label;
  if (UsesLive(config)) {
    return Status::Error("MCP server \"" + label + "\" is hosted (\"url\"): GPT-Live (model \"" +
                         config.model +
                         "\") takes no hosted MCP servers; use --api realtime and a Realtime "
                         "model, or a local server (\"command\")");
  }
  if (config.dialect == Dialect::kBeta) {
    return Status::Error("MCP server \"" + label +
                         "\" is hosted (\"url\"): the beta dialect has no MCP tools; hosted "
                         "servers need --dialect ga");
  }
  return Status::Ok();
}

}  // namespace voxterm
