#include "app/api_select.h"

#include "transport/url.h"

namespace voxterm {

bool UsesLive(const Config& config) {
  if (config.api != Api::kAuto) return config.api == Api::kLive;
  return config.model.rfind("gpt-live", 0) == 0;
}

std::string LiveUrl(const Config& config) {
  if (config.url == kRealtimeUrl) return kLiveUrl;  // the default: OpenAI's
  if (!config.azure) return config.url;
  auto url = ParseUrl(config.url);
  if (!url.ok()) return config.url;  // MakeConnectOptions says what is wrong with it
  const std::string path = url->path.substr(0, url->path.find('?'));
  if (path.find("/live") != std::string::npos) return config.url;
  url->path = kAzureLivePath;
  return url->ToString();
}

Status CheckLiveOptions(const Config& config) {
  if (!UsesLive(config)) return Status::Ok();
  const char* what = nullptr;
  if (config.mode == Mode::kText) {
    what = "--text (text only: GPT-Live always speaks)";
  } else if (config.mode == Mode::kPtt) {
    what = "--ptt (push-to-talk)";
  } else if (!config.tools.empty()) {
    what = "\"tools\" (tools go through delegation)";
  }
  if (!what) return Status::Ok();
  return Status::Error(std::string(what) + " is not supported with GPT-Live (model \"" +
                       config.model + "\") yet; use --api realtime and a Realtime model");
}

}  // namespace voxterm
