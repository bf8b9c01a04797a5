#include "app/run.h"

#include <poll.h>
#include <signal.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <random>

#include "app/api_key.h"
#include "app/audio_engine.h"
#include "app/cli.h"
#include "app/event_log.h"
#include "app/history.h"
#include "app/link.h"
#include "app/ptt_session.h"
#include "app/session_settings.h"
#include "app/signal_watch.h"
#include "app/text_chat.h"
#include "app/tool_calls.h"
#include "app/usage.h"
#include "app/voice_session.h"
#include "tools/spawn_tool_runner.h"
#include "tools/tool_command.h"
#include "transport/connect_diagnosis.h"
#include "transport/lws_transport.h"
#include "transport/reconnect.h"
#include "transport/tls_files.h"
#include "ui/terminal_text.h"
#include "ui/terminal_view.h"
#include "ui/tool_call_view.h"
#include "util/clock.h"
#include "util/exit_code.h"
#include "util/latency.h"
#include "util/log.h"
#include "util/output_file.h"
#include "util/secret_mask.h"
#include "util/wakeup_queue.h"

namespace voxterm {
namespace {

// The server's first message is session.created; without it no turn can start.
constexpr int kSessionCreatedTimeoutMs = 15000;
// How long to wait for the server to answer our close frame before leaving anyway.
constexpr int kCloseTimeoutMs = 3000;
// While an answer is due, silence this long makes the loop ask the transport whether the
// connection is alive (a ping; ConnectOptions::pong_timeout_s for its answer): a dead
// connection is found in about 10 s, well before the answer timeout (30 s) gives up, and
// sooner than the keep-alive (45 s), which has to be patient with an idle session.
constexpr int kAliveCheckAfterMs = 5000;
// A connection counts as progress, and the reconnect backoff starts over after it, once an
// answer has completed on it or it has stayed up this long. session.created alone is not
// progress: a server could send it and drop the connection, again and again.
constexpr int kSteadySessionMs = 60000;
// A longer input line is skipped with an error rather than sent: it is almost surely a mistake
// (a binary file on stdin), and the server limits item sizes anyway.
constexpr size_t kMaxLineBytes = 1u << 20;

// Errors no turn can get past (ClassifyServerError): the key, the account or the model. Going on
// (or reconnecting) would only repeat them, so the run ends at once, in one line, with the
// connection's exit code. A refused model is said so that the user knows what to change: the
// model the URL really asked for (its own model= or deployment= wins over --model), or the
// transcription model the session asked for.
std::string DescribeFatal(FatalError fatal, const Config& config, const ConnectOptions& options,
                          const std::string& server_words) {
  if (fatal == FatalError::kModel) {
    std::string asked = ModelInQuery(options.url);
    if (asked.empty()) asked = config.model;
    const bool from_url = asked != config.model;
    return "the server does not offer model \"" + Printable(asked, 100) + "\": " + server_words +
           (from_url ? " (choose another in --url's model=; it wins over --model)"
                     : " (choose another with --model or \"model\" in the config)");
  }
  if (fatal == FatalError::kTranscriptionModel) {
    return "the server does not offer transcription model \"" +
           Printable(TranscriptionModel(config), 100) + "\": " + server_words +
           " (choose another with --transcribe or \"transcribe\" in the config)";
  }
  return server_words;
}

// The error's code, else its type (an error with a null code): what ClassifyServerError takes.
std::string_view CodeOrType(const ErrorInfo& error) {
  return error.code.empty() ? error.type : error.code;
}

// What the conversation sends: logged (--log-events), then to the link's current connection.
// The loop starts and ends connections through the Link itself.
class LoggedTransport : public Transport {
 public:
  LoggedTransport(Link* link, EventLog* log) : link_(link), log_(log) {}
  Status Start(const ConnectOptions&, TransportListener*) override {
    return Status::Error("connections are started by the Link");
  }
  void Send(std::string message) override {
    log_->Sent(message);
    link_->Send(std::move(message));
  }
  void Close() override { link_->Close(); }
  void CheckAlive() override { link_->CheckAlive(); }

 private:
  Link* link_;
  EventLog* log_;
};

// 429 and 5xx: the server is busy or failing for now; even a first connection tries again.
bool IsPassingHttpStatus(int status) { return status == 429 || (status >= 500 && status <= 599); }

// The handshake headers carry the key; they go to the transport and nowhere else.
Result<ConnectOptions> MakeConnectOptions(const Config& config, const std::string& key) {
  auto url = ParseUrl(config.url);
  if (!url.ok()) return url.status();
  AddModelToQuery(&url.value(), config.model);
  ConnectOptions options;
  options.url = *url;
  if (config.azure) {
    options.headers.emplace_back("api-key", key);
  } else {
    options.headers.emplace_back("Authorization", "Bearer " + key);
  }
  if (config.dialect == Dialect::kBeta) options.headers.emplace_back("OpenAI-Beta", "realtime=v1");
  options.headers.emplace_back("User-Agent", std::string("voxterm/") + VOXTERM_VERSION);
  if (!config.ca_file.empty()) {
    Status usable = CheckCaFile("--ca-file", config.ca_file);
    if (!usable.ok()) return usable;
    options.ca_file = config.ca_file;
  }
  if (url->tls) {
    Status usable = CheckSslCertFile();
    if (!usable.ok()) return usable;
  }
  options.max_message_bytes = config.max_message_bytes;
  options.ping_after_idle_s = config.keepalive_s;
  options.hang_up_after_idle_s = 2 * config.keepalive_s + 5;
  return options;
}

// Reads stdin in whole lines without blocking the loop.
class LineReader {
 public:
  // Returns false at end of input.
  bool ReadAvailable(Conversation* chat) {
    char buffer[65536];
    ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n < 0) LOG_ERROR("reading stdin: %s", strerror(errno));
    if (n <= 0) {
      if (!partial_.empty() && !overlong_) chat->OnUserLine(std::move(partial_));
      partial_.clear();
      return false;
    }
    const char* p = buffer;
    const char* end = buffer + n;
    while (p < end) {
      const char* newline = static_cast<const char*>(memchr(p, '\n', end - p));
      const char* stop = newline ? newline : end;
      if (!overlong_) partial_.append(p, stop);
      if (partial_.size() > kMaxLineBytes) {
        if (!overlong_) LOG_ERROR("skipped an input line longer than %zu bytes", kMaxLineBytes);
        overlong_ = true;
        partial_.clear();
      }
      if (!newline) break;
      if (!overlong_) chat->OnUserLine(std::move(partial_));
      partial_.clear();
      overlong_ = false;
      p = newline + 1;
    }
    return true;
  }

 private:
  std::string partial_;
  bool overlong_ = false;
};

// Answers in text mode go to stdout, buffered and flushed once per batch of network events: as
// prompt as a flush per delta, without a write() for every few characters. On a terminal,
// what the terminal would act on is shown escaped (ui/terminal_text.h).
class StdoutSink {
 public:
  StdoutSink() : terminal_(isatty(STDOUT_FILENO)) {
    static char buffer[1 << 16];
    setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
  }
  // An answer cut off (a fatal error, Ctrl-C) still ends its line: the output stays lines.
  ~StdoutSink() {
    if (!line_open_) return;
    Write("\n");
    Flush();
  }
  void Write(std::string_view text) {
    if (broken_ || text.empty()) return;
    line_open_ = text.back() != '\n';
    if (terminal_) {
      std::string safe = filter_.Filter(text);
      fwrite(safe.data(), 1, safe.size(), stdout);
    } else {
      fwrite(text.data(), 1, text.size(), stdout);
    }
  }
  void Flush() {
    if (!broken_ && fflush(stdout) != 0) {
      LOG_ERROR("writing stdout: %s", strerror(errno));
      broken_ = true;
    }
  }
  bool broken() const { return broken_; }
  // A notice on a terminal shared with stderr would land inside the answer's line: the line
  // ends first. (A pipe keeps the answer's bytes as they came.)
  void EndLineForNotice() {
    if (!terminal_ || !line_open_ || !isatty(STDERR_FILENO)) return;
    Write("\n");
    Flush();
  }

 private:
  const bool terminal_;
  bool line_open_ = false;
  TerminalFilter filter_;
  bool broken_ = false;
};

// Ticks for conversations that move audio along: a timerfd in the poll set.
int MakeTickTimer(int period_ms) {
  if (period_ms <= 0) return -1;
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  itimerspec spec{};
  spec.it_interval.tv_nsec = period_ms * 1000000L;
  spec.it_value = spec.it_interval;
  timerfd_settime(fd, 0, &spec, nullptr);
  return fd;
}

// Tells the user about the connection: the status line in a spoken conversation, stderr in
// text mode.
using Notify = std::function<void(const std::string&)>;

// The loop every mode shares: the connection, stdin, signals and ticks, on the main thread.
// tools_fd: the tool runner's, or -1 without tools.
//
// The connection: once a session has worked, a connection lost for a reason that may pass (see
// IsTransientClose) is tried again with backoff; the conversation is told, and resumes at the
// next session.created. The session is renewed at a quiet moment before the server's time
// limit, and at once when the server says it has expired.
int RunSession(const Config& config, const ConnectOptions& options, EventLog* event_log, Link* link,
               WakeupQueue<NetEvent>* queue, Conversation* conversation, StdoutSink* out,
               const Notify& notify, int signal_fd, int tools_fd, UsageTotals* usage) {
  SteadyClock clock;
  LOG_INFO("connecting to %s (%s dialect)", options.url.ToString().c_str(),
           ToString(config.dialect));
  link->Connect();

  // The models a refusal may name (ClassifyServerError).
  std::string asked_model = ModelInQuery(options.url);
  if (asked_model.empty()) asked_model = config.model;
  const std::string transcription_model =
      config.mode == Mode::kText ? "" : TranscriptionModel(config);
  const int tick_fd = MakeTickTimer(conversation->tick_ms());
  const bool interactive = isatty(STDIN_FILENO);
  LineReader reader;
  bool stdin_open = true;
  bool prompt_shown = false;
  bool closing = false;
  int exit_code = ToInt(ExitCode::kSuccess);
  int64_t deadline_ms = -1;  // session.created while opening, the close handshake while closing
  std::deque<NetEvent> events;
  // The silent-server watchdog: silence counts from the last event, or from when an answer
  // became due if that is later; the conversation hears of it once per silence.
  int64_t last_event_ms = clock.NowMs();
  int64_t awaiting_since_ms = -1;
  bool silence_reported = false;
  // Reconnecting and renewing.
  std::random_device seed;
  std::mt19937 random(seed());
  Backoff backoff(config.reconnect_tries,
                  [&random] { return std::uniform_real_distribution<double>(0, 1)(random); });
  bool had_session = false;         // a session worked: losses from now on are tried again
  bool down = false;                // the conversation was told it is disconnected
  bool told_reconnecting = false;   // the user saw "reconnecting", so will see "reconnected"
  bool renewing = false;            // closing a session to start the next one
  int64_t renew_delay_ms = 0;       // ... after this long (a renewal that counts as a try)
  int64_t retry_at_ms = -1;         // when to try to connect again
  int64_t session_since_ms = -1;    // when the current session began; -1 while there is none
  uint64_t answers_at_session = 0;  // conversation->answers() then
  int64_t alive_checked_ms = -1;    // the last liveness check while an answer was due

  auto begin_close = [&](int code) {
    if (closing) return;
    closing = true;
    exit_code = code;
    deadline_ms = clock.NowMs() + kCloseTimeoutMs;
    retry_at_ms = -1;
    link->Close();
  };
  // The conversation stops sending; it resumes at the next session.created.
  auto go_down = [&] {
    if (down) return;
    down = true;
    conversation->OnDisconnected();
  };
  // Whether the session that is ending got anywhere (kSteadySessionMs); asked once per session.
  auto session_progressed = [&] {
    const bool progressed =
        session_since_ms >= 0 && (conversation->answers() > answers_at_session ||
                                  clock.NowMs() - session_since_ms >= kSteadySessionMs);
    session_since_ms = -1;
    return progressed;
  };
  // The wait before the next try, announced; -1 once the tries are used up (said too).
  auto next_try = [&](const std::string& why) -> int64_t {
    if (session_progressed()) backoff.Reset();
    const int64_t delay_ms = backoff.NextDelayMs();
    if (delay_ms < 0) {
      LOG_ERROR("%s; gave up after %d tr%s to reconnect", why.c_str(), backoff.tries(),
                backoff.tries() == 1 ? "y" : "ies");
      return -1;
    }
    char when[64];
    snprintf(when, sizeof when, "%.1f s (try %d of %d)", delay_ms / 1000.0, backoff.tries_made(),
             backoff.tries());
    notify(why + "; reconnecting in " + when + "\u2026");
    told_reconnecting = true;
    return delay_ms;
  };
  // Returns false once the tries are used up.
  auto schedule_retry = [&](const std::string& why) {
    link->Drop();
    const int64_t delay_ms = next_try(why);
    if (delay_ms < 0) return false;
    retry_at_ms = clock.NowMs() + delay_ms;
    deadline_ms = -1;
    return true;
  };
  auto begin_renewal = [&](const char* why, int64_t delay_ms) {
    LOG_INFO("renewing the session (%s)", why);
    go_down();
    renewing = true;
    renew_delay_ms = delay_ms;
    deadline_ms = clock.NowMs() + kCloseTimeoutMs;
    link->Close();
  };
  // The old session is closed (or would not say so in time): on to the next.
  auto renew = [&] {
    renewing = false;
    deadline_ms = -1;
    if (renew_delay_ms > 0) {
      link->Drop();
      retry_at_ms = clock.NowMs() + std::exchange(renew_delay_ms, 0);
    } else {
      link->Connect();
    }
  };

  for (;;) {
    if (!closing && (conversation->Finished() || out->broken())) {
      const bool failed = conversation->failed_turns() > 0 || out->broken();
      begin_close(ToInt(conversation->Interrupted() ? ExitCode::kInterrupted
                        : failed                    ? ExitCode::kFailure
                                                    : ExitCode::kSuccess));
      if (!link->active()) return exit_code;  // between tries: nothing to close
    }
    const int64_t now_ms = clock.NowMs();
    if (!closing && retry_at_ms >= 0 && now_ms >= retry_at_ms) {
      retry_at_ms = -1;
      LOG_INFO("reconnecting to %s", options.url.ToString().c_str());
      link->Connect();
    }
    // Renewal waits for a quiet moment; the loop wakes at least at each event and tick.
    int64_t renew_at_ms = -1;
    if (!closing && !down && !renewing && had_session && config.renew_session_s > 0) {
      renew_at_ms = session_since_ms + config.renew_session_s * int64_t{1000};
      if (now_ms >= renew_at_ms && conversation->Quiet()) {
        if (session_progressed()) backoff.Reset();
        begin_renewal("it is due", 0);
        continue;
      }
      if (now_ms >= renew_at_ms) renew_at_ms = -1;  // due, but not quiet: an event will come
    }
    if (interactive && stdin_open && !closing && conversation->WantsPrompt() && !prompt_shown) {
      fputs("> ", stderr);
      fflush(stderr);
      prompt_shown = true;
    }
    int64_t silent_at_ms = -1;  // when the watchdog fires, if an answer is due
    int64_t alive_check_at_ms = -1;
    if (!closing && !down && !renewing && conversation->AwaitingServer()) {
      if (awaiting_since_ms < 0) awaiting_since_ms = now_ms;
      const int64_t silent_since_ms = std::max(last_event_ms, awaiting_since_ms);
      if (config.answer_timeout_ms > 0 && !silence_reported)
        silent_at_ms = silent_since_ms + config.answer_timeout_ms;
      alive_check_at_ms = std::max(silent_since_ms, alive_checked_ms) + kAliveCheckAfterMs;
      if (now_ms >= alive_check_at_ms) {
        link->CheckAlive();
        alive_checked_ms = now_ms;
        alive_check_at_ms = now_ms + kAliveCheckAfterMs;
      }
    } else {
      awaiting_since_ms = -1;
    }
    if (silent_at_ms >= 0 && now_ms >= silent_at_ms) {
      silence_reported = true;
      silent_at_ms = -1;
      if (conversation->OnServerSilent(config.answer_timeout_ms / 1000)) {
        begin_close(ToInt(ExitCode::kFailure));
        continue;
      }
    }
    // stdin last, so that it can be left out.
    pollfd fds[5] = {{queue->fd(), POLLIN, 0},
                     {signal_fd, POLLIN, 0},
                     {tick_fd, POLLIN, 0},
                     {tools_fd, POLLIN, 0},
                     {STDIN_FILENO, POLLIN, 0}};
    const nfds_t count = stdin_open && !closing && conversation->WantsInput() ? 5 : 4;
    int64_t wake_ms = -1;
    for (int64_t at : {deadline_ms, silent_at_ms, retry_at_ms, renew_at_ms, alive_check_at_ms}) {
      if (at >= 0 && (wake_ms < 0 || at < wake_ms)) wake_ms = at;
    }
    int timeout =
        wake_ms < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, wake_ms - clock.NowMs()));
    if (poll(fds, count, timeout) < 0 && errno != EINTR) {
      LOG_ERROR("poll: %s", strerror(errno));
      return ToInt(ExitCode::kFailure);
    }
    if (deadline_ms >= 0 && clock.NowMs() >= deadline_ms) {
      if (closing) return exit_code;  // the server never acknowledged the close: leave anyway
      if (renewing) {                 // nor here: start the next session anyway
        renew();
        continue;
      }
      const std::string why = "the server sent no session.created within " +
                              std::to_string(kSessionCreatedTimeoutMs / 1000) + " s";
      deadline_ms = -1;
      if (had_session) {
        if (!schedule_retry(why)) return ToInt(ExitCode::kConnect);
        continue;
      }
      LOG_ERROR("%s", why.c_str());
      begin_close(ToInt(ExitCode::kFailure));
      continue;
    }
    if (fds[1].revents & POLLIN) {
      while (const int signo = TakeSignal()) {
        if (closing) return ToInt(ExitCode::kInterrupted);  // a second Ctrl-C: no more waiting
        // Ctrl-C while a tool runs stops the tool, not voxterm.
        if (signo == SIGINT && conversation->OnInterrupt()) {
          SignalAbsorbed();
          continue;
        }
        if (prompt_shown)
          fputs("\n", stderr);  // end the prompt's line (a status line clears itself)
        begin_close(ToInt(ExitCode::kInterrupted));
        if (!link->active()) return exit_code;
      }
    }
    if (fds[2].revents & POLLIN) {
      uint64_t expirations;
      while (read(tick_fd, &expirations, sizeof expirations) == sizeof expirations) {
      }
      if (!closing) conversation->OnTick();
    }
    if (fds[3].revents & POLLIN) conversation->OnToolsReady();
    if (count == 5 && (fds[4].revents & (POLLIN | POLLHUP | POLLERR)) &&
        conversation->WantsRawInput()) {
      char bytes[256];
      const ssize_t n = read(STDIN_FILENO, bytes, sizeof bytes);
      if (n > 0) {
        conversation->OnInputBytes(std::string_view(bytes, static_cast<size_t>(n)));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        stdin_open = false;
        conversation->OnInputEnd();
      }
    } else if (count == 5 && (fds[4].revents & (POLLIN | POLLHUP | POLLERR))) {
      const bool at_prompt = prompt_shown;
      prompt_shown = false;
      if (!reader.ReadAvailable(conversation)) {
        stdin_open = false;
        conversation->OnInputEnd();
        if (at_prompt) fputs("\n", stderr);  // end the prompt's line after Ctrl-D
      }
    }
    if (fds[0].revents & POLLIN) {
      queue->Drain(&events);
      while (!events.empty()) {
        NetEvent event = std::move(events.front());
        events.pop_front();
        link->Consumed(event);                // before the handling, which may block on stdout
        if (!link->Current(event)) continue;  // from a connection already given up
        // Server text enters here (messages, refusals, close reasons): an echoed key stops here.
        ProcessSecretMask().Mask(&event.text);
        switch (event.kind) {
          case NetEvent::Kind::kOpen:
            LOG_INFO("connected");
            if (!closing) deadline_ms = clock.NowMs() + kSessionCreatedTimeoutMs;
            break;
          case NetEvent::Kind::kFailed: {
            if (closing) return exit_code;
            // The key, the account or the model: no retry, even of a reconnect, and even for a
            // 429 whose body says the quota is gone rather than "slow down".
            const FatalError fatal =
                event.code > 0 ? ClassifyServerError(event.error_code, event.code, event.text,
                                                     asked_model, transcription_model)
                               : FatalError::kNone;
            if (fatal != FatalError::kNone || (!had_session && !IsPassingHttpStatus(event.code))) {
              LOG_ERROR("%s", DescribeFatal(fatal, config, options, event.text).c_str());
              return ToInt(ExitCode::kConnect);
            }
            if (!schedule_retry(event.text)) return ToInt(ExitCode::kConnect);
            break;
          }
          case NetEvent::Kind::kClosed: {
            out->Flush();
            if (closing) return exit_code;
            if (renewing) {
              renew();
              break;
            }
            std::string why = "the server closed the connection (code " +
                              std::to_string(event.code) +
                              (event.text.empty() ? "" : ": " + Printable(event.text)) + ")";
            if (event.code == kCloseMaybeRewritten) {  // see reconnect.h
              why =
                  "the server closed the connection (code 1002, which libwebsockets also reports "
                  "for 1012 to 1015" +
                  (event.text.empty() ? "" : ": " + Printable(event.text)) + ")";
            }
            if (event.code == 1006) {
              why = "the connection was lost" +
                    (event.text.empty() ? "" : " (" + Printable(event.text) + ")");
            }
            if (!had_session || !IsTransientClose(event.code) || config.reconnect_tries == 0) {
              LOG_ERROR("%s", why.c_str());
              return ToInt(ExitCode::kFailure);
            }
            go_down();
            if (!schedule_retry(why)) return ToInt(ExitCode::kConnect);
            break;
          }
          case NetEvent::Kind::kProtocolError:
            out->Flush();
            if (closing) return exit_code;
            if (renewing) {  // the session was ending anyway
              renew();
              break;
            }
            // Not tried again: a server that sends what the protocol forbids is broken, not
            // passing through a bad moment.
            LOG_ERROR("the server broke the WebSocket protocol (%s)", event.text.c_str());
            return ToInt(ExitCode::kFailure);
          case NetEvent::Kind::kMessage: {
            last_event_ms = clock.NowMs();
            silence_reported = false;
            event_log->Received(event.text);
            ServerEvent parsed;
            const bool escaped = event.text.find('\\') != std::string::npos;
            Status status = ParseServerEvent(&event.text, &parsed);
            // JSON escapes can spell the key: the strings decoded in place are masked too.
            if (escaped) ProcessSecretMask().Mask(&event.text);
            parsed.received_ns = event.received_ns;
            if (!status.ok()) {
              LOG_WARN("skipped a server message: %s", status.message().c_str());
              break;
            }
            if (parsed.type == ServerEventType::kUnknown) {
              LOG_DEBUG("ignored an event of unknown type \"%s\"",
                        Printable(std::string(parsed.type_name)).c_str());
            }
            // Usage is summed over every session of the run, whatever the conversation does.
            if (parsed.type == ServerEventType::kSessionCreated ||
                parsed.type == ServerEventType::kSessionUpdated) {
              usage->SetModel(parsed.session_model);
              usage->SetTranscriptionModel(parsed.session_transcription_model);
            } else if (parsed.type == ServerEventType::kResponseCreated) {
              usage->ResponseCreated(parsed.response.id);
            } else if (parsed.type == ServerEventType::kResponseDone) {
              usage->AddResponse(parsed.usage, parsed.response.id);
            } else if (parsed.type == ServerEventType::kInputTranscriptCompleted) {
              usage->AddTranscription(parsed.usage);
            }
            if (parsed.type == ServerEventType::kError && !closing) {
              const FatalError fatal =
                  ClassifyServerError(CodeOrType(parsed.error), 0, parsed.error.message,
                                      asked_model, transcription_model);
              if (fatal != FatalError::kNone) {
                const std::string words = Printable(std::string(CodeOrType(parsed.error))) + ": " +
                                          Printable(std::string(parsed.error.message));
                LOG_ERROR("%s", DescribeFatal(fatal, config, options,
                                              fatal == FatalError::kAccount
                                                  ? "the server refused the session: " + words
                                                  : words)
                                    .c_str());
                begin_close(ToInt(ExitCode::kConnect));
                break;
              }
            }
            if (parsed.type == ServerEventType::kError && parsed.error.code == "session_expired" &&
                !renewing && !closing) {
              // At once after a session that got somewhere; otherwise it counts as a try, so
              // that a server expiring every session at once cannot make a storm of them.
              const std::string why = "the server ended the session (session_expired)";
              if (session_progressed()) {
                backoff.Reset();
                begin_renewal("the server says it has expired", 0);
              } else if (config.reconnect_tries == 0) {
                LOG_ERROR("%s", why.c_str());
                begin_close(ToInt(ExitCode::kFailure));
              } else if (const int64_t delay_ms = next_try(why); delay_ms < 0) {
                begin_close(ToInt(ExitCode::kConnect));
              } else {
                begin_renewal("it expired", delay_ms);
              }
              break;
            }
            const bool was_ready = conversation->session_ready();
            conversation->OnServerEvent(parsed);
            if (!was_ready && conversation->session_ready() && !closing) {
              deadline_ms = -1;
              session_since_ms = clock.NowMs();
              answers_at_session = conversation->answers();
              if (told_reconnecting) notify("reconnected");
              told_reconnecting = false;
              had_session = true;
              down = false;
            }
            break;
          }
        }
      }
      out->Flush();
    }
  }
}

// latencies: --stats, else null; everything that writes to it is gone when Run returns.
// usage: summed over the run's sessions.
int Run(const Config& config, const std::string& key, Latencies* latencies, UsageTotals* usage,
        int signal_fd) {
  auto options = MakeConnectOptions(config, key);
  if (!options.ok()) {
    LOG_ERROR("%s", options.message().c_str());
    return ToInt(ExitCode::kUsage);
  }
  if (latencies) options->send_queue = &latencies->send_queue;
  SteadyClock clock;
  EventLog event_log(&clock);
  if (!config.log_events.empty()) {
    Status opened = event_log.Open(config.log_events);
    if (!opened.ok()) {
      LOG_ERROR("%s", opened.message().c_str());
      return ToInt(ExitCode::kUsage);
    }
  }
  std::optional<Key> ptt_key;
  if (config.mode == Mode::kPtt) {
    if (!isatty(STDIN_FILENO)) {
      LOG_ERROR("--ptt needs a terminal on stdin (keys start and end each take)");
      return ToInt(ExitCode::kUsage);
    }
    auto key = ParseKeySpec(config.ptt_key);
    if (!key.ok()) {
      LOG_ERROR("%s", key.message().c_str());
      return ToInt(ExitCode::kUsage);
    }
    ptt_key = *key;
  }
  // Audio devices open before the connection, so a missing device fails fast and plainly.
  std::unique_ptr<AudioEngine> audio;
  if (config.mode != Mode::kText || config.speak) {
    auto opened =
        AudioEngine::Open(config, config.mode != Mode::kText ? WantInput::kYes : WantInput::kNo);
    if (!opened.ok()) {
      LOG_ERROR("%s", opened.message().c_str());
      return ToInt(ExitCode::kUsage);
    }
    audio = std::move(*opened);
    Status started = audio->Start();
    if (!started.ok()) {
      LOG_ERROR("%s", started.message().c_str());
      return ToInt(ExitCode::kUsage);
    }
  }

  WakeupQueue<NetEvent> queue;
  Link link(*options, &queue, [] { return std::make_unique<LwsTransport>(); });
  LoggedTransport transport(&link, &event_log);
  History history;
  StdoutSink out;

  // Declared before the conversation, which uses them: they outlive it.
  std::unique_ptr<TerminalView> view;
  StderrToolView text_tool_view;
  if (config.mode != Mode::kText) view = std::make_unique<TerminalView>(stdout, stderr);
  // Calls are answered even with no tools declared: a server that calls anyway gets an output
  // saying so, rather than a model left waiting.
  std::unique_ptr<SpawnToolRunner> runner;
  std::unique_ptr<ToolCalls> tool_calls;
  auto created = SpawnToolRunner::Create();
  if (!created.ok() && !config.tools.empty()) {
    LOG_ERROR("%s", created.message().c_str());
    return ToInt(ExitCode::kFailure);
  }
  if (created.ok()) {
    runner = std::move(*created);
    ToolCallView* tool_view = view ? static_cast<ToolCallView*>(view.get()) : &text_tool_view;
    tool_calls = std::make_unique<ToolCalls>(
        &config.tools, runner.get(), &transport, tool_view, &event_log,
        isatty(STDIN_FILENO) ? CanAsk::kYes : CanAsk::kNo, ToolBaseEnvironment(environ));
  }

  std::unique_ptr<Conversation> conversation;
  if (config.mode == Mode::kText) {
    conversation = std::make_unique<TextChat>(
        config.dialect, TextSessionSettings(config), &transport,
        [&out](std::string_view text) { out.Write(text); }, audio ? audio->playback() : nullptr,
        tool_calls.get(), &history);
  } else if (config.mode == Mode::kPtt) {
    auto terminal = RawTerminal::Enter(STDIN_FILENO);
    if (!terminal.ok()) {
      LOG_ERROR("%s", terminal.message().c_str());
      return ToInt(ExitCode::kUsage);
    }
    conversation =
        std::make_unique<PttSession>(config, std::move(audio), &transport, view.get(), &clock,
                                     std::move(*terminal), *ptt_key, tool_calls.get(), &history);
  } else {
    conversation =
        std::make_unique<VoiceSession>(config, std::move(audio), &transport, view.get(), &clock,
                                       isatty(STDIN_FILENO), tool_calls.get(), &history, latencies);
  }
  const Notify notify = [&view, &out](const std::string& text) {
    if (view) {
      view->Notice(text);
    } else {
      out.EndLineForNotice();
      fprintf(stderr, "voxterm: %s\n", text.c_str());
    }
  };
  // A log line of the main thread makes room on the screen first; gone with the view and out.
  SetLogLineHook([&view, &out] {
    if (view) {
      view->MakeRoomForLog();
    } else {
      out.EndLineForNotice();
    }
  });
  const int code = RunSession(config, *options, &event_log, &link, &queue, conversation.get(), &out,
                              notify, signal_fd, runner ? runner->fd() : -1, usage);
  SetLogLineHook(nullptr);
  return code;
}

}  // namespace

int Main(int argc, char** argv) {
  // First, before any thread starts (audio devices start some), so that every thread inherits
  // the mask and SIGINT reaches only the signal watch; and before the config file and the
  // outputs are opened, since opening a FIFO waits for its other end: a signal then still ends
  // voxterm within a second, with 130.
  const int signal_fd = StartSignalWatch();
  CommandLine command_line = ParseCommandLine(argc, argv);
  if (command_line.exit_code) return *command_line.exit_code;
  const Config& config = command_line.config;
  SetLogLevel(config.verbosity >= 2   ? LogLevel::kDebug
              : config.verbosity == 1 ? LogLevel::kInfo
                                      : LogLevel::kWarn);
  // The key is resolved before anything else so that a missing key is a usage error (2) even
  // when the server is unreachable.
  if (command_line.list_devices) {
    Status listed = ListDevices(stdout);
    if (!listed.ok()) LOG_ERROR("%s", listed.message().c_str());
    return ToInt(listed.ok() ? ExitCode::kSuccess : ExitCode::kFailure);
  }
  auto key = ResolveApiKey(config);
  ScrubApiKeyVariables();
  if (!key.ok()) {
    LOG_ERROR("%s", key.message().c_str());
    return ToInt(ExitCode::kUsage);
  }
  SetProcessSecret(*key);
  // Before any output is opened, and so truncated.
  Status distinct = CheckDistinctFiles({{"--input-file", config.input_file},
                                        {"--log-events", config.log_events},
                                        {"--stats", config.stats_file},
                                        {"--output-file", config.output_file},
                                        {"--record", config.record}});
  if (!distinct.ok()) {
    LOG_ERROR("%s", distinct.message().c_str());
    return ToInt(ExitCode::kUsage);
  }
  // An output that failed (reported when it did) fails a run that would have succeeded.
  // Priced, until the server names it, by the model asked for: the URL's own, else --model.
  std::string asked_model = config.model;
  if (auto url = ParseUrl(config.url); url.ok()) {
    AddModelToQuery(&url.value(), config.model);
    if (std::string in_url = ModelInQuery(*url); !in_url.empty()) asked_model = in_url;
  }
  UsageTotals usage(asked_model, TranscriptionModel(config));
  // -v: what the server billed, at exit (after the conversation's last words).
  auto finish = [&usage, &config](int code) {
    if (config.verbosity >= 1 && code != ToInt(ExitCode::kUsage)) {
      const std::string summary = usage.Summary();
      for (size_t start = 0; start < summary.size();) {
        const size_t end = std::min(summary.find('\n', start), summary.size());
        LOG_INFO("%s", summary.substr(start, end - start).c_str());
        start = end + 1;
      }
    }
    return code == ToInt(ExitCode::kSuccess) && OutputFailed() ? ToInt(ExitCode::kFailure) : code;
  };
  if (config.stats_file.empty()) return finish(Run(config, *key, nullptr, &usage, signal_fd));
  // Opened first, so that a path that cannot be written fails before the conversation.
  auto stats_fd = CreateOutputFile(config.stats_file, "--stats");
  if (!stats_fd.ok()) {
    LOG_ERROR("%s", stats_fd.message().c_str());
    return ToInt(ExitCode::kUsage);
  }
  FILE* stats = fdopen(*stats_fd, "w");
  if (!stats) {
    LOG_ERROR("--stats %s: %s", config.stats_file.c_str(), strerror(errno));
    return ToInt(ExitCode::kUsage);
  }
  auto latencies = std::make_unique<Latencies>();
  const int code = Run(config, *key, latencies.get(), &usage, signal_fd);
  // The latencies' object, with the usage as one more member.
  std::string json = latencies->ToJson();
  json.insert(json.rfind('}'), ", \"usage\": " + usage.ToJson());
  const bool written =
      fwrite(json.data(), 1, json.size(), stats) == json.size() && fflush(stats) == 0;
  const int error = errno;
  if (fclose(stats) != 0 || !written)
    ReportOutputFailure("--stats", config.stats_file, written ? errno : error);
  return finish(code);
}

}  // namespace voxterm
