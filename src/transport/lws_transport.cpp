#include "transport/lws_transport.h"

#include <dirent.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "transport/connect_diagnosis.h"
#include "util/clock.h"
#include "util/latency.h"
#include "util/log.h"

namespace voxterm {
namespace {

// Bytes reserved past a message, which the JSON parser pads it with (protocol/json_parse.h).
constexpr size_t kParsePadding = 16;

// How long messages received may wait for the end of their burst (OnBurstEnd) while more keeps
// coming: a long frame still arriving holds back what came before it no longer than this.
constexpr int64_t kBurstHoldNs = 1000000;

// The last error or warning libwebsockets logged. lws reports the real reason for a refused
// certificate only in its log, so the log is captured to tell the user.
std::mutex g_lws_log_mu;
std::string g_lws_last_problem;  // GUARDED_BY(g_lws_log_mu)

// A frame from the server that breaks RFC 6455 (a reserved opcode or RSV bit, a fragmented or
// oversized control frame, a continuation of nothing...) makes lws drop the connection as if
// it were lost; it says why only in its log: the reason, then "client_rx_sm exited".
// lws logs on the network thread, and there is one network thread per connection.
thread_local std::string t_lws_last_line;
thread_local std::string t_protocol_violation;

// Keeps the line that names a protocol fault, whatever its level (lws 4.1 logs an oversized
// control frame as a warning, the others as info), for the exit line that follows it.
void NoteProtocolFault(const char* line) {
  if (strstr(line, "client_rx_sm exited")) {
    // A line with an address in it is lws's bookkeeping, not the fault.
    const bool named = !t_lws_last_line.empty() && t_lws_last_line.find("0x") == std::string::npos;
    t_protocol_violation = named ? t_lws_last_line : "a frame it could not parse";
    return;
  }
  // The write path's lines (an answer to a ping, say) and the read loop's ("flow buf:
  // drained") come between the fault and the exit line, and would name the wrong thing.
  if (strstr(line, "lws_issue_raw") || strstr(line, "flow buf")) return;
  t_lws_last_line = line;
  while (!t_lws_last_line.empty() && isspace(static_cast<unsigned char>(t_lws_last_line.back()))) {
    t_lws_last_line.pop_back();
  }
}

void LwsLogEmit(int level, const char* line) {
  NoteProtocolFault(line);  // kept always (about one line per message sent)
  if ((level & LLL_INFO) && !LogEnabled(LogLevel::kDebug)) return;  // shown only with -vv
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  LOG_DEBUG("lws: %s", text.c_str());
  if (level & (LLL_ERR | LLL_WARN)) {
    std::lock_guard<std::mutex> lock(g_lws_log_mu);
    g_lws_last_problem = text;
  }
}

std::string TakeLwsProblem() {
  std::lock_guard<std::mutex> lock(g_lws_log_mu);
  return std::exchange(g_lws_last_problem, {});
}

// lws calls a C function with its own enum type; the header keeps lws types out of view.
int Trampoline(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  return LwsTransport::Callback(wsi, reason, user, in, len);
}

// A 64 KiB receive buffer: audio deltas are tens of kilobytes, so a larger buffer means fewer
// callbacks and fewer appends per message.
const lws_protocols kProtocols[] = {
    {"voxterm", Trampoline, 0, 64 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},  // terminator
};

// How much of a refusal's body is kept: OpenAI's JSON errors are a few hundred bytes, and a
// proxy's HTML page a few KB; beyond this the JSON is cut and its first line is shown instead.
constexpr size_t kMaxRefusalBodyBytes = 64 * 1024;

// Tags the plain HTTP request that fetches the body of a refused upgrade.
char kProbeTag;

// Whether dir holds OpenSSL's hash links ("5ad8a5d6.0"), without which a lazy lookup finds
// nothing.
bool IsHashedCertDir(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) return false;
  bool hashed = false;
  while (const dirent* entry = readdir(d)) {
    const char* name = entry->d_name;
    if (strlen(name) == 10 && strcmp(name + 8, ".0") == 0 &&
        strspn(name, "0123456789abcdef") == 8) {
      hashed = true;
      break;
    }
  }
  closedir(d);
  return hashed;
}

// The client's TLS context, made here rather than by lws, which loads the whole system CA
// bundle: OpenSSL 3 decodes its ~140 certificates one by one, 20-30 ms of CPU at every start
// (openssl/openssl#15199). The hashed directory (/etc/ssl/certs, SSL_CERT_DIR) is read lazily,
// only the issuers a handshake needs. SSL_CERT_FILE and --ca-file are files, loaded whole; with
// no hashed directory (some distributions keep only a bundle there) the bundle is loaded after
// all. lws still sets the host name to verify, SNI and its verify callback on each connection.
SSL_CTX* NewClientTlsContext(const std::string& ca_file, std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) {
    *error = "could not create a TLS context";
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  const char* dir = getenv(X509_get_default_cert_dir_env());
  if (!dir) dir = X509_get_default_cert_dir();
  const char* file = getenv(X509_get_default_cert_file_env());
  bool loaded = IsHashedCertDir(dir) && SSL_CTX_load_verify_dir(ctx, dir) == 1;
  if (file) loaded = SSL_CTX_load_verify_file(ctx, file) == 1 || loaded;
  if (!loaded) SSL_CTX_set_default_verify_paths(ctx);
  if (!ca_file.empty() && SSL_CTX_load_verify_file(ctx, ca_file.c_str()) != 1) {
    char reason[256];
    ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
    *error = "--ca-file " + ca_file + ": not a PEM certificate (" + reason + ")";
    SSL_CTX_free(ctx);
    return nullptr;
  }
  ERR_clear_error();
  return ctx;
}

std::string Lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

// The lws_sul first, so that the pointer lws hands back is the Timer's.
struct LwsTransport::Timer {
  lws_sorted_usec_list_t sul;
  LwsTransport* self;
  void (LwsTransport::*fire)();
};

void LwsTransport::OnTimer(lws_sorted_usec_list* sul) {
  Timer* timer = reinterpret_cast<Timer*>(sul);
  (timer->self->*timer->fire)();
}

void LwsTransport::Schedule(Timer* timer, int seconds) {
  lws_context* context;
  {
    std::lock_guard<std::mutex> lock(mu_);
    context = context_;
  }
  lws_sul_schedule(context, 0, &timer->sul, OnTimer, seconds * LWS_US_PER_SEC);
}

LwsTransport::LwsTransport()
    : handshake_timer_(new Timer{{}, this, &LwsTransport::OnHandshakeTimeout}),
      pong_timer_(new Timer{{}, this, &LwsTransport::OnPongTimeout}) {}

// Close first, so the network thread ends after a polite close; lws bounds the close handshake
// with timeout_secs.
LwsTransport::~LwsTransport() {
  Close();
  if (thread_.joinable()) thread_.join();
}

Status LwsTransport::Start(const ConnectOptions& options, TransportListener* listener) {
  options_ = options;
  listener_ = listener;
  // A policy with no hang-up time checks nothing; without one, lws would use its default (a
  // ping after 5 minutes).
  retry_ = std::make_unique<lws_retry_bo_t>();
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

// context_ is read under mu_, and the network thread clears it under mu_ before destroying the
// context, so lws_cancel_service never touches a dead context. Only the first message of a
// batch wakes the network thread: it writes everything queued when it gets to it (OnWriteable).
void LwsTransport::Send(std::string message) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool was_empty = outbox_.empty();
  outbox_.push_back({std::move(message), options_.send_queue ? MonotonicNs() : 0});
  if (context_ && was_empty) lws_cancel_service(context_);
}

void LwsTransport::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  close_requested_ = true;
  if (context_) lws_cancel_service(context_);
}

void LwsTransport::CheckAlive(int answer_within_s) {
  answer_within_s = std::max(1, answer_within_s);
  std::lock_guard<std::mutex> lock(mu_);
  ping_within_s_ = ping_within_s_ > 0 ? std::min(ping_within_s_, answer_within_s) : answer_within_s;
  if (context_) lws_cancel_service(context_);
}

void LwsTransport::ResumeReceiving() {
  std::lock_guard<std::mutex> lock(mu_);
  resume_requested_ = true;
  if (context_) lws_cancel_service(context_);
}

// EVENT_WAIT_CANCELLED: another thread queued a message, asked to close or to read again.
// Writes happen only in WRITEABLE callbacks, so ask for one.
void LwsTransport::Wake() {
  bool want_write, closing, resume;
  {
    std::lock_guard<std::mutex> lock(mu_);
    want_write = !outbox_.empty() || ping_within_s_ > 0;
    closing = close_requested_;
    resume = std::exchange(resume_requested_, false);
  }
  // The pause was made in the RECEIVE callback that OnMessage refused, before this callback
  // could run: a resume never overtakes its pause.
  if (resume && rx_paused_) {
    rx_paused_ = false;
    if (wsi_) lws_rx_flow_control(wsi_, 1);
  }
  if (wsi_ && open_ && (want_write || closing)) lws_callback_on_writable(wsi_);
  if (closing && !open_) {
    // Still connecting: there is nothing to close politely, but the listener still hears the end.
    if (!finished_) {
      finished_ = true;
      listener_->OnClosed(1000, "closed before the connection opened");
    }
    stop_ = true;
  }
}

void LwsTransport::Run() {
  pthread_setname_np(pthread_self(), "vt-network");  // for top -H and debuggers
  const Url& url = options_.url;
  // lws reports a failed lookup only by returning NULL; look up first to say so clearly.
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(url.host.c_str(), nullptr, &hints, &found);
  if (rc != 0) {
    Fail(ConnectFailure::kResolve, 0,
         "could not resolve host \"" + url.host + "\": " + gai_strerror(rc));
    return;
  }
  freeaddrinfo(found);

  // lws logs globally; capture errors and warnings (they carry TLS reasons) and info (protocol
  // violations) always, the rest only with -vv.
  int levels = LLL_ERR | LLL_WARN | LLL_INFO;
  if (LogEnabled(LogLevel::kDebug)) levels |= LLL_NOTICE;
  lws_set_log_level(levels, LwsLogEmit);

  lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.gid = -1;
  info.uid = -1;
  info.user = this;
  // OpenSSL's global init here, since nothing else in the process uses OpenSSL.
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.connect_timeout_secs = 10;
  info.timeout_secs = 5;  // how long a close handshake may take, among others
  // Given even for ws://, where it is never used: lws would otherwise make its own.
  std::string tls_error;
  SSL_CTX* tls = NewClientTlsContext(options_.ca_file, &tls_error);
  if (!tls) {
    Fail(ConnectFailure::kTls, 0, tls_error);
    return;
  }
  info.provided_client_ssl_ctx = tls;
  lws_context* context = lws_create_context(&info);
  if (!context) {
    SSL_CTX_free(tls);
    Fail(ConnectFailure::kOther, 0, "could not start the network layer: " + TakeLwsProblem());
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    context_ = context;
  }
  // lws_service returns after each batch of events; stop_ is set from callbacks on this thread
  // or by Wake(), so the loop needs no timeout. Messages received are handed on when the
  // connection has nothing more ready, just before lws would wait (the listener's batches), or
  // once the first has waited kBurstHoldNs.
  if (Connect(Request::kWebSocket)) {
    Schedule(handshake_timer_.get(), options_.handshake_timeout_s);
    while (!stop_) {
      lws_service(context, 0);
      if (received_ && !finished_ &&
          (!MoreReady(context) || MonotonicNs() - first_received_ns_ >= kBurstHoldNs)) {
        received_ = false;
        listener_->OnBurstEnd();
      }
    }
  }
  lws_sul_cancel(&handshake_timer_->sul);
  lws_sul_cancel(&pong_timer_->sul);
  {
    std::lock_guard<std::mutex> lock(mu_);
    context_ = nullptr;
  }
  // Destroying the context closes what is left, which may call back; the listener has had its
  // last word by now.
  finished_ = true;  // callbacks during destruction must not reach the listener
  lws_context_destroy(context);
  SSL_CTX_free(tls);  // lws does not free a context it was given
}

// Whether more is ready to read without waiting: what TLS or lws holds already, or bytes in the
// socket. A read paused by backpressure reads nothing more, whatever is there.
bool LwsTransport::MoreReady(lws_context* context) {
  if (!wsi_ || rx_paused_) return false;
  if (lws_service_adjust_timeout(context, 1, 0) == 0) return true;
  pollfd socket = {lws_get_socket_fd(wsi_), POLLIN, 0};
  return poll(&socket, 1, 0) == 1 && (socket.revents & POLLIN);
}

bool LwsTransport::Connect(Request request) {
  const bool probe = request == Request::kErrorProbe;
  const Url& url = options_.url;
  const std::string host_header = url.HostHeader();
  lws_client_connect_info ci;
  memset(&ci, 0, sizeof ci);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ci.context = context_;
  }
  ci.address = url.host.c_str();
  ci.port = url.port;
  // A redirect is never followed: lws would send the same headers, the key among them, to
  // wherever Location points. OnConnectionError reports it instead.
  ci.ssl_connection = (url.tls ? LCCSCF_USE_SSL : 0) | LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
  ci.path = url.path.c_str();
  ci.host = host_header.c_str();
  // ci.host is the Host header and, without its port, the name TLS checks the certificate for.
  ci.origin = host_header.c_str();
  ci.ietf_version_or_minus_one = -1;
  // No subprotocol is offered to the server (the API wants none); local_protocol_name only binds
  // the connection to our callback.
  ci.local_protocol_name = kProtocols[0].name;
  ci.retry_and_idle_policy = retry_.get();
  if (probe) {
    ci.method = "GET";
    ci.opaque_user_data = &kProbeTag;
    ci.pwsi = &probe_wsi_;
  } else {
    ci.pwsi = &wsi_;
  }
  if (lws_client_connect_via_info(&ci)) return true;
  if (!probe)
    Fail(ConnectFailure::kOther, 0,
         "could not connect to " + url.ToString() + ": " + TakeLwsProblem());
  return false;
}

int LwsTransport::Callback(lws* wsi, int reason, void* /*user*/, void* in, size_t len) {
  if (!wsi) return 0;
  auto* self = static_cast<LwsTransport*>(lws_context_user(lws_get_context(wsi)));
  if (!self) return 0;
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
    self->Wake();
    return 0;
  }
  // Both connections share one callback; the probe is told apart by its tag, since callbacks can
  // come before lws_client_connect_via_info has set *pwsi.
  if (lws_get_opaque_user_data(wsi) == &kProbeTag) return self->OnProbeEvent(wsi, reason, in, len);
  return self->OnWsEvent(wsi, reason, in, len);
}

// Both the WebSocket and the probe send the same headers: the probe must be refused for the
// same reason as the upgrade.
static int AppendHeaders(lws* wsi, const ConnectOptions& options, void* in, size_t len) {
  auto** p = static_cast<unsigned char**>(in);
  unsigned char* end = *p + len;
  for (const auto& [name, value] : options.headers) {
    std::string key = Lowercase(name) + ":";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(key.c_str()),
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), p, end)) {
      return -1;
    }
  }
  return 0;
}

int LwsTransport::OnWsEvent(lws* wsi, int reason, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
      request_sent_ = true;
      return AppendHeaders(wsi, options_, in, len);
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      open_ = true;
      lws_sul_cancel(&handshake_timer_->sul);
      if (!finished_) listener_->OnOpen();
      Wake();
      return 0;
      // Anything from the server answers a ping: the connection is alive.
    case LWS_CALLBACK_CLIENT_RECEIVE:
      awaiting_pong_ = false;
      OnReceive(wsi, in, len);
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG: awaiting_pong_ = false; return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      return OnWriteable(wsi);
      // The close frame's payload: a 2-byte big-endian code, then a UTF-8 reason. lws answers the
      // close itself; we only keep what the user should be told. lws 4.1 has already overwritten a
      // code it deems invalid (1012 and 1013 among them) with 1002, reason kept
      // (kCloseMaybeRewritten in reconnect.h); the original code is not kept anywhere we can read.
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (len >= 2) {
        const auto* bytes = static_cast<const unsigned char*>(in);
        close_code_ = (bytes[0] << 8) | bytes[1];
        close_reason_ = Printable(std::string(reinterpret_cast<const char*>(bytes) + 2, len - 2));
      } else {
        close_code_ = 1005;  // a close frame without a code
      }
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      wsi_ = nullptr;
      OnConnectionError(wsi, in ? static_cast<const char*>(in) : "");
      return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
      wsi_ = nullptr;
      lws_sul_cancel(&pong_timer_->sul);
      if (!finished_) {
        finished_ = true;
        if (!t_protocol_violation.empty()) {
          listener_->OnProtocolError(Printable(std::exchange(t_protocol_violation, {}), 100));
        } else {
          listener_->OnClosed(close_code_, close_reason_);
        }
      }
      stop_ = true;
      return 0;
    default: return 0;
  }
}

void LwsTransport::OnReceive(lws* wsi, const void* in, size_t len) {
  if (rx_bytes_ == 0) rx_binary_ = lws_frame_is_binary(wsi);
  // The frame header tells what is still to come of this frame: an oversize frame is known
  // before any of it is buffered.
  rx_bytes_ += len;
  const size_t announced = rx_bytes_ + lws_remaining_packet_payload(wsi);
  if (rx_binary_ || announced > options_.max_message_bytes) {
    if (!rx_.empty()) std::string().swap(rx_);  // give the memory back, not just the size
  } else {
    // Once per frame, not doubling; with room for the parser's padding (kJsonPadding in
    // protocol/json_parse.h), so that padding does not copy the message.
    if (rx_.capacity() < announced + kParsePadding) rx_.reserve(announced + kParsePadding);
    rx_.append(static_cast<const char*>(in), len);
  }
  if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) return;
  if (rx_binary_) {
    if (skipped_lines_.Admit(MonotonicNs() / 1000000)) {
      LOG_WARN("skipped a binary message of %zu bytes: the protocol uses text only", rx_bytes_);
    }
  } else if (rx_bytes_ > options_.max_message_bytes) {
    if (skipped_lines_.Admit(MonotonicNs() / 1000000)) {
      LOG_WARN("dropped a message of %zu bytes: larger than the limit of %zu", rx_bytes_,
               options_.max_message_bytes);
    }
  } else if (!finished_) {
    if (!received_) first_received_ns_ = MonotonicNs();
    received_ = true;
    if (!listener_->OnMessage(std::move(rx_)) && !rx_paused_) {
      // Backpressure: the main thread has enough queued. The socket is no longer polled for
      // input (what lws already read waits in its buffer), so the server's sends wait in TCP.
      rx_paused_ = true;
      lws_rx_flow_control(wsi, 0);
    }
  }
  std::string().swap(rx_);
  rx_bytes_ = 0;
  rx_binary_ = false;
}

// Everything queued goes out in one WRITEABLE callback while the socket takes each write whole:
// lws allows another lws_write in the same callback as long as lws_send_pipe_choked() says no.
// Otherwise the next callback is asked for. The ping goes first: a frozen connection may never
// take the queue.
int LwsTransport::OnWriteable(lws* wsi) {
  int ping_within_s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ping_within_s = std::exchange(ping_within_s_, 0);
  }
  const bool ping = ping_within_s > 0;
  if (ping && WritePing(wsi, ping_within_s) < 0) return -1;
  for (bool wrote = ping;; wrote = true) {
    if (wrote && lws_send_pipe_choked(wsi)) {
      lws_callback_on_writable(wsi);  // finding nothing left to write is harmless
      return 0;
    }
    Outgoing next{};
    bool closing;
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing = close_requested_ && outbox_.empty();
      if (!outbox_.empty()) {
        next = std::move(outbox_.front());
        outbox_.pop_front();
      } else if (!closing) {
        return 0;  // all written (or a stray WRITEABLE: they happen)
      }
    }
    // Close only once the queue is empty, so a Close() right after Send() still sends everything.
    if (closing) {
      close_code_ = 1000;
      close_reason_.clear();
      lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
      return -1;
    }
    if (!next.message.empty() && WriteText(wsi, next) < 0) return -1;
  }
}

// A deadline already running stands unless this ping's is sooner: a ping every few seconds must
// not push it back.
int LwsTransport::WritePing(lws* wsi, int answer_within_s) {
  if (tx_.size() < LWS_PRE) tx_.resize(LWS_PRE);
  if (lws_write(wsi, tx_.data() + LWS_PRE, 0, LWS_WRITE_PING) < 0) return -1;
  // While paused the answer cannot be read, and the server is known to be sending: no deadline.
  if (rx_paused_) return 0;
  const int64_t deadline_us = lws_now_usecs() + int64_t{answer_within_s} * LWS_US_PER_SEC;
  if (!awaiting_pong_ || deadline_us < pong_deadline_us_) {
    awaiting_pong_ = true;
    pong_within_s_ = answer_within_s;
    pong_deadline_us_ = deadline_us;
    Schedule(pong_timer_.get(), answer_within_s);
  }
  return 0;
}

int LwsTransport::WriteText(lws* wsi, const Outgoing& outgoing) {
  const std::string& message = outgoing.message;
  // lws needs LWS_PRE bytes of headroom and masks the payload in place.
  tx_.resize(LWS_PRE + message.size());
  memcpy(tx_.data() + LWS_PRE, message.data(), message.size());
  const int written = lws_write(wsi, tx_.data() + LWS_PRE, message.size(), LWS_WRITE_TEXT);
  if (written < static_cast<int>(message.size())) {
    LOG_ERROR("network write failed");
    return -1;
  }
  if (options_.send_queue) options_.send_queue->Add(MonotonicNs() - outgoing.queued_ns);
  return 0;
}

void LwsTransport::OnConnectionError(lws* wsi, const char* lws_reason) {
  if (finished_) return;  // timed out, or the context is going away
  const std::string where = options_.url.HostHeader();
  int status = wsi ? lws_http_client_http_response(wsi) : 0;
  std::string problem = TakeLwsProblem();
  if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
    // Not followed (LCCSCF_HTTP_NO_FOLLOW_REDIRECT), nor asked again for a body: said as it is.
    char location[1024];
    const int n = lws_hdr_copy(wsi, location, sizeof location, WSI_TOKEN_HTTP_LOCATION);
    const std::string target = RedirectTarget(n > 0 ? std::string(location, n) : "", where);
    Fail(ConnectFailure::kHttp, status,
         "server answered HTTP " + std::to_string(status) +
             (target.empty() ? " (a redirect, not followed)"
                             : " (redirect to " + target + " not followed)"));
    return;
  }
  if (status > 0 && status != 101) {
    // lws does not keep the body of a refused upgrade; ask again over plain HTTP to read it.
    probe_status_ = status;
    if (!Connect(Request::kErrorProbe)) FinishProbe();
    return;
  }
  std::string reason = lws_reason;
  std::string all = Lowercase(reason + " " + problem);
  if (all.find("ssl") != std::string::npos || all.find("tls") != std::string::npos ||
      all.find("cert") != std::string::npos || all.find("x509") != std::string::npos) {
    Fail(ConnectFailure::kTls, 0,
         "TLS handshake with " + where +
             " failed: " + DescribeTlsProblem(problem.empty() ? reason : problem));
    return;
  }
  // A TCP-level failure: ask the OS what happened.
  if (!open_ && all.find("unable to connect") != std::string::npos) {
    int error = TcpConnectErrno(options_.url.host, options_.url.port);
    if (error == ECONNREFUSED) {
      Fail(ConnectFailure::kRefused, 0, "could not connect to " + where + ": connection refused");
      return;
    }
    if (error == ETIMEDOUT) {
      Fail(ConnectFailure::kTimeout, 0, "could not connect to " + where + ": timed out");
      return;
    }
    if (error != 0) {
      Fail(ConnectFailure::kOther, 0, "could not connect to " + where + ": " + strerror(error));
      return;
    }
  }
  if (all.find("timed out") != std::string::npos || all.find("timeout") != std::string::npos) {
    Fail(ConnectFailure::kTimeout, 0, "could not connect to " + where + ": timed out");
  } else {
    Fail(ConnectFailure::kOther, 0,
         "could not connect to " + where + ": " + (reason.empty() ? problem : reason));
  }
}

int LwsTransport::OnProbeEvent(lws* wsi, int reason, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: return AppendHeaders(wsi, options_, in, len);
    // Another answer this time (a redirect, say): its body would not say why the upgrade was
    // refused, so the status alone is reported.
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
      if (static_cast<int>(lws_http_client_http_response(wsi)) == probe_status_) return 0;
      FinishProbe();
      return -1;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
      char buffer[LWS_PRE + 4096];
      char* p = buffer + LWS_PRE;
      int n = sizeof buffer - LWS_PRE;
      return lws_http_client_read(wsi, &p, &n) < 0 ? -1 : 0;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ: {
      size_t room = kMaxRefusalBodyBytes - std::min(probe_body_.size(), kMaxRefusalBodyBytes);
      probe_body_.append(static_cast<const char*>(in), std::min(len, room));
      return 0;
    }
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      probe_wsi_ = nullptr;
      FinishProbe();
      return reason == LWS_CALLBACK_COMPLETED_CLIENT_HTTP ? -1 : 0;
    default: return 0;
  }
}

void LwsTransport::FinishProbe() {
  if (finished_) return;
  std::string reason = "server answered HTTP " + std::to_string(probe_status_);
  const char* phrase = HttpReasonPhrase(probe_status_);
  if (*phrase) reason += std::string(" ") + phrase;
  std::string message = Printable(ServerErrorMessage(probe_body_), 300);
  if (!message.empty()) reason += ": " + message;
  Fail(ConnectFailure::kHttp, probe_status_, reason, ServerErrorCode(probe_body_));
}

// The handshake's deadline: the open WebSocket, or the refusal's body, did not come in time.
void LwsTransport::OnHandshakeTimeout() {
  if (open_ || finished_) return;
  if (probe_status_ > 0) {
    FinishProbe();
    return;
  }
  const std::string where = options_.url.HostHeader();
  if (request_sent_) {
    Fail(ConnectFailure::kTimeout, 0,
         where + " did not answer the WebSocket handshake within " +
             std::to_string(options_.handshake_timeout_s) + " s");
  } else {
    Fail(ConnectFailure::kTimeout, 0, "could not connect to " + where + ": timed out");
  }
}

// The connection carries nothing any more: closed here (CLIENT_CLOSED follows, with 1006).
void LwsTransport::OnPongTimeout() {
  if (!awaiting_pong_ || !wsi_ || finished_) return;
  if (rx_paused_) {  // we stopped reading, so the pong may be waiting unread: not a dead link
    awaiting_pong_ = false;
    return;
  }
  close_code_ = 1006;
  close_reason_ = "no answer to a ping within " + std::to_string(pong_within_s_) + " s";
  lws_set_timeout(wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

void LwsTransport::Fail(ConnectFailure kind, int http_status, std::string reason,
                        std::string error_code) {
  if (!finished_) {
    finished_ = true;
    listener_->OnConnectFailed(kind, http_status, std::move(reason), std::move(error_code));
  }
  stop_ = true;
}

}  // namespace voxterm
