// Which API a run speaks, and where: Realtime (the default) or GPT-Live
// (../shared/protocol/LIVE.md). A model whose name starts with gpt-live selects GPT-Live;
// --api forces either, for a compatible server or an Azure deployment's own name.
// Thread safety: pure functions.
#pragma once

#include <string>

#include "app/config.h"
#include "util/status.h"

namespace voxterm {

constexpr const char* kRealtimeUrl = "wss://api.openai.com/v1/realtime";
constexpr const char* kLiveUrl = "wss://api.openai.com/v1/live/sessions";
constexpr const char* kAzureLivePath = "/openai/v1/live/sessions";

bool UsesLive(const Config& config);

// GPT-Live's endpoint: OpenAI's unless --url names another, kept as given (no model is added,
// since session.start carries it), except that a Realtime path (ending in /v1/realtime: a
// compatible server's, the bundled mock's, Azure's GA path) becomes /v1/live/sessions beside it,
// without the query. With --azure, a URL on the resource that is not already a GPT-Live path
// (one with /live in it) gets kAzureLivePath, without a query.
std::string LiveUrl(const Config& config);

// The longest --delegate-model taken.
constexpr size_t kMaxModelNameBytes = 128;

// A --delegate-model that is no model name, and what GPT-Live cannot do: --text (it always
// speaks, and its session's clock runs on the input stream). One error, for exit 2.
Status CheckLiveOptions(const Config& config);

// Whether a turn may carry images: only the Realtime API's GA dialect has image input
// (input_image); GPT-Live and the beta dialect have none. The error names what refuses them,
// after what ("--image", "/image").
Status CheckImagesAllowed(const Config& config, const std::string& what);
// Hosted MCP servers ("mcp_servers" entries with a "url") are GA Realtime's "mcp" tools: the beta
// dialect and GPT-Live have none, and are refused at start rather than sent a session without
// the tools the user declared.
Status CheckHostedMcpAllowed(const Config& config);

}  // namespace voxterm
