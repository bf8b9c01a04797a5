// The floor for the benchmarks: the least a client can do with a workload. It connects as
// voxterm does (libwebsockets, the same TLS), asks for the same answer, and then receives every
// message and throws it away, parsing nothing. With --decode it also decodes each audio delta's
// base64 into one reused buffer, which is all the work audio needs before it meets a device.
//
//   voxterm_floor --url wss://127.0.0.1:PORT/v1/realtime --ca-file CA --say "mock:long 100000"
//                 [--audio] [--decode] [--connect-only]
//
// Prints "messages N bytes N" on stdout and exits 0 once response.done has arrived, or with
// --connect-only once session.update is written (the start-up benchmark).
#include <libwebsockets.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "transport/url.h"
#include "util/base64.h"

namespace {

struct Floor {
  std::vector<std::string> to_send;  // session.update, the user's text, response.create
  size_t sent = 0;
  bool decode = false;
  bool connect_only = false;
  bool done = false;
  bool failed = false;
  std::string message;       // reused: one allocation for the largest message
  std::vector<uint8_t> pcm;  // reused
  size_t messages = 0;
  size_t bytes = 0;
  std::vector<unsigned char> tx;
};

// Only the start of a message is looked at: the type comes first in what the server sends.
bool HeadHas(std::string_view message, std::string_view what) {
  return message.substr(0, 64).find(what) != std::string_view::npos;
}

void OnMessage(Floor* floor) {
  std::string_view m = floor->message;
  ++floor->messages;
  if (floor->decode && HeadHas(m, "audio.delta\"")) {
    // The mock's spelling ("key": "value"); a delta not found is a failure, not a free pass.
    const size_t at = m.rfind("\"delta\": \"");
    const size_t start = at + 10;
    const size_t end = at == std::string_view::npos ? at : m.find('"', start);
    if (end == std::string_view::npos) {
      floor->failed = true;
      return;
    }
    std::string_view b64 = m.substr(start, end - start);
    if (floor->pcm.size() < b64.size()) floor->pcm.resize(b64.size());
    if (!voxterm::Base64DecodeTo(b64, floor->pcm.data())) floor->failed = true;
  }
  if (HeadHas(m, "\"response.done\"")) floor->done = true;
}

int Callback(lws* wsi, lws_callback_reasons reason, void*, void* in, size_t len) {
  auto* floor = static_cast<Floor*>(lws_context_user(lws_get_context(wsi)));
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      auto** p = static_cast<unsigned char**>(in);
      static const char kAuth[] = "Bearer floor";
      return lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                          reinterpret_cast<const unsigned char*>(kAuth),
                                          sizeof kAuth - 1, p, *p + len);
    }
    case LWS_CALLBACK_CLIENT_RECEIVE:
      floor->bytes += len;
      floor->message.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        OnMessage(floor);
        floor->message.clear();  // keeps its capacity
        // session.created arrived: say what voxterm says.
        if (floor->messages == 1) lws_callback_on_writable(wsi);
      }
      return floor->done ? -1 : 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (floor->sent == floor->to_send.size()) return 0;
      const std::string& m = floor->to_send[floor->sent++];
      floor->tx.resize(LWS_PRE + m.size());
      memcpy(floor->tx.data() + LWS_PRE, m.data(), m.size());
      if (lws_write(wsi, floor->tx.data() + LWS_PRE, m.size(), LWS_WRITE_TEXT) <
          static_cast<int>(m.size()))
        return -1;
      if (floor->connect_only) {
        floor->done = true;
        return -1;
      }
      if (floor->sent < floor->to_send.size()) lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      fprintf(stderr, "voxterm_floor: %s\n",
              in ? static_cast<const char*>(in) : "connection failed");
      floor->failed = true;
      floor->done = true;
      return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
      if (!floor->done) floor->failed = true;
      floor->done = true;
      return 0;
    default: return 0;
  }
}

const lws_protocols kProtocols[] = {
    {"floor", Callback, 0, 64 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  std::string url_text, ca_file, say = "hello";
  bool audio = false;
  Floor floor;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--url" && i + 1 < argc)
      url_text = argv[++i];
    else if (arg == "--ca-file" && i + 1 < argc)
      ca_file = argv[++i];
    else if (arg == "--say" && i + 1 < argc)
      say = argv[++i];
    else if (arg == "--audio")
      audio = true;
    else if (arg == "--decode")
      floor.decode = true;
    else if (arg == "--connect-only")
      floor.connect_only = true;
    else {
      fprintf(stderr,
              "usage: voxterm_floor --url URL [--ca-file PEM] [--say TEXT] [--audio] [--decode] "
              "[--connect-only]\n");
      return 2;
    }
  }
  auto url = voxterm::ParseUrl(url_text);
  if (!url.ok()) {
    fprintf(stderr, "voxterm_floor: %s\n", url.status().message().c_str());
    return 2;
  }
  const char* modality = audio ? "\"audio\"" : "\"text\"";
  floor.to_send = {
      std::string("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"output_"
                  "modalities\":[") +
          modality + "]}}",
      "{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\","
      "\"content\":"
      "[{\"type\":\"input_text\",\"text\":" +
          JsonString(say) + "}]}}",
      "{\"type\":\"response.create\"}",
  };

  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.gid = -1;
  info.uid = -1;
  info.user = &floor;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  // Trusting only --ca-file: no system store to load at all.
  SSL_CTX* tls = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(tls, SSL_VERIFY_PEER, nullptr);
  if (!ca_file.empty()) SSL_CTX_load_verify_file(tls, ca_file.c_str());
  info.provided_client_ssl_ctx = tls;
  lws_context* context = lws_create_context(&info);
  if (!context) return 1;
  const std::string host = url->HostHeader();
  lws_client_connect_info ci;
  memset(&ci, 0, sizeof ci);
  ci.context = context;
  ci.address = url->host.c_str();
  ci.port = url->port;
  ci.ssl_connection = url->tls ? LCCSCF_USE_SSL : 0;
  ci.path = url->path.c_str();
  ci.host = host.c_str();
  ci.origin = host.c_str();
  ci.ietf_version_or_minus_one = -1;
  ci.local_protocol_name = kProtocols[0].name;
  if (!lws_client_connect_via_info(&ci)) floor.done = floor.failed = true;
  while (!floor.done) lws_service(context, 0);
  lws_context_destroy(context);
  SSL_CTX_free(tls);
  if (floor.failed) {
    fprintf(stderr, "voxterm_floor: the answer did not arrive whole\n");
    return 1;
  }
  printf("messages %zu bytes %zu\n", floor.messages, floor.bytes);
  return 0;
}
