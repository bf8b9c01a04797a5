// Which API a run speaks, and where: a gpt-live model selects GPT-Live, --api forces either,
// --url still wins, --azure gets GPT-Live's path on the resource; what GPT-Live cannot do yet
// is refused at start-up with one line.
#include "app/api_select.h"

#include <catch2/catch.hpp>

using namespace voxterm;

TEST_CASE("a gpt-live model selects GPT-Live; Realtime stays the default", "[api_select]") {
  Config config;
  CHECK_FALSE(UsesLive(config));
  CHECK(config.url == kRealtimeUrl);  // the default is Realtime's, unchanged
  config.model = "gpt-live-1.1";
  CHECK(UsesLive(config));
  config.api = Api::kRealtime;  // forced, for a compatible server
  CHECK_FALSE(UsesLive(config));
  config.model = "my-deployment";
  config.api = Api::kLive;
  CHECK(UsesLive(config));
}

TEST_CASE("GPT-Live's endpoint: OpenAI's, --url's, or Azure's path", "[api_select]") {
  Config config;
  config.model = "gpt-live-1";
  CHECK(LiveUrl(config) == "wss://api.openai.com/v1/live/sessions");
  config.url = "ws://127.0.0.1:8765/v1/live/sessions";
  CHECK(LiveUrl(config) == config.url);  // --url wins
  config.url = "ws://127.0.0.1:8765/custom";
  CHECK(LiveUrl(config) == config.url);
  // A Realtime endpoint (scripts/run's mock, a proxy): GPT-Live beside it.
  config.url = "ws://127.0.0.1:8765/v1/realtime?model=gpt-realtime-2.1";
  CHECK(LiveUrl(config) == "ws://127.0.0.1:8765/v1/live/sessions");
  config.url = "wss://proxy.example/openai/v1/realtime";
  CHECK(LiveUrl(config) == "wss://proxy.example/openai/v1/live/sessions");
  config.azure = true;
  config.url = "wss://res.openai.azure.com/openai/v1/realtime?model=x";
  CHECK(LiveUrl(config) == "wss://res.openai.azure.com/openai/v1/live/sessions");
  config.url = "wss://res.openai.azure.com/openai/v1/live";  // MS-HOWTO's sample path: kept
  CHECK(LiveUrl(config) == config.url);
  config.url = "wss://res.openai.azure.com/openai/realtime?api-version=x&deployment=d";
  CHECK(LiveUrl(config) == "wss://res.openai.azure.com/openai/v1/live/sessions");
}

TEST_CASE("GPT-Live refuses text mode; push-to-talk and tools work", "[api_select]") {
  Config config;
  config.mode = Mode::kText;
  CHECK(CheckLiveOptions(config).ok());  // Realtime: fine
  config.model = "gpt-live-1.1";
  Status refused = CheckLiveOptions(config);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.message().find("--text") == 0);
  CHECK(refused.message().find("not possible with GPT-Live") != std::string::npos);
  config.mode = Mode::kPtt;
  CHECK(CheckLiveOptions(config).ok());
  config.mode = Mode::kVoice;
  CHECK(CheckLiveOptions(config).ok());
  config.tools.emplace_back();
  CHECK(CheckLiveOptions(config).ok());
}

TEST_CASE("the delegate model must be a model name", "[api_select]") {
  Config config;
  for (const char* good : {"gpt-5.5", "gpt-5.6-luna", "ft:gpt-5.5:org:custom:id1"}) {
    config.delegate_model = good;
    CHECK(CheckLiveOptions(config).ok());
  }
  for (const std::string& bad : {std::string(), std::string("gpt 5"), std::string("a\nb"),
                                 std::string(kMaxModelNameBytes + 1, 'a')}) {
    config.delegate_model = bad;
    const Status refused = CheckLiveOptions(config);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.message().find("--delegate-model") == 0);
    CHECK(refused.message().find('\n') == std::string::npos);
  }
}

TEST_CASE("only the Realtime API's GA dialect takes images", "[api_select][image]") {
  Config config;
  CHECK(CheckImagesAllowed(config, "--image").ok());
  config.dialect = Dialect::kBeta;
  const Status beta = CheckImagesAllowed(config, "/image");
  REQUIRE_FALSE(beta.ok());
  CHECK(beta.message() == "/image: the beta dialect has no image input; images need --dialect ga");
  config.dialect = Dialect::kGa;
  config.model = "gpt-live-1.1";
  const Status live = CheckImagesAllowed(config, "--image");
  REQUIRE_FALSE(live.ok());
  CHECK(live.message().find("--image: GPT-Live takes no images (model \"gpt-live-1.1\")") == 0);
  config.api = Api::kRealtime;  // forced: a Realtime server, whatever the model's name
  CHECK(CheckImagesAllowed(config, "--image").ok());
}
