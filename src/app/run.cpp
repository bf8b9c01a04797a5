#include "app/run.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>

#include "app/api_key.h"
#include "app/cli.h"
#include "app/event_log.h"
#include "app/audio_engine.h"
#include "app/text_chat.h"
#include "app/tool_calls.h"
#include "app/ptt_session.h"
#include "app/voice_session.h"
#include "tools/spawn_tool_runner.h"
#include "tools/tool_command.h"
#include "transport/lws_transport.h"
#include "ui/terminal_text.h"
#include "ui/terminal_view.h"
#include "ui/tool_call_view.h"
#include "util/clock.h"
#include "util/exit_code.h"
#include "util/log.h"
#include "util/wakeup_queue.h"

namespace voxterm {
namespace {

// The server's first message is session.created; without it no turn can start.
constexpr int kSessionCreatedTimeoutMs = 15000;
// How long to wait for the server to answer our close frame before leaving anyway.
constexpr int kCloseTimeoutMs = 3000;
// A longer input line is skipped with an error rather than sent: it is almost surely a mistake
// (a binary file on stdin), and the server limits item sizes anyway.
constexpr size_t kMaxLineBytes = 1u << 20;

// What the network thread tells the main thread.
struct NetEvent {
  enum class Kind { kOpen, kMessage, kFailed, kClosed };
  Kind kind;
  std::string text;  // the message, or the reason for kFailed / kClosed
  int code = 0;      // close code
};

// Runs on the network thread: it only moves messages into the main thread's queue. Parsing
// happens on the main thread, where the events are used.
class QueueListener : public TransportListener {
 public:
  explicit QueueListener(WakeupQueue<NetEvent>* queue) : queue_(queue) {}
  void OnOpen() override { queue_->Push({NetEvent::Kind::kOpen, {}, 0}); }
  void OnMessage(std::string message) override {
    queue_->Push({NetEvent::Kind::kMessage, std::move(message), 0});
  }
  void OnConnectFailed(ConnectFailure, int, std::string reason) override {
    queue_->Push({NetEvent::Kind::kFailed, std::move(reason), 0});
  }
  void OnClosed(int code, std::string reason) override {
    queue_->Push({NetEvent::Kind::kClosed, std::move(reason), code});
  }

 private:
  WakeupQueue<NetEvent>* queue_;
};

// Errors no turn can get past: the key, the account or the model. Going on (or reconnecting)
// would only repeat them, so the session ends at once with the connection's exit code.
bool IsFatalError(std::string_view code) {
  return code == "invalid_api_key" || code == "insufficient_quota" || code == "model_not_found" ||
         code == "invalid_model";
}

// Logs what the conversation sends (--log-events), then sends it.
class LoggedTransport : public Transport {
 public:
  LoggedTransport(Transport* inner, EventLog* log) : inner_(inner), log_(log) {}
  Status Start(const ConnectOptions& options, TransportListener* listener) override {
    return inner_->Start(options, listener);
  }
  void Send(std::string message) override {
    log_->Sent(message);
    inner_->Send(std::move(message));
  }
  void Close() override { inner_->Close(); }

 private:
  Transport* inner_;
  EventLog* log_;
};

// SIGINT and SIGTERM arrive through a descriptor in the poll set. They are blocked before any
// thread starts so that every thread inherits the mask and none is interrupted.
int BlockSignalsIntoFd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

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
    if (access(config.ca_file.c_str(), R_OK) != 0) {
      return Status::Error("--ca-file " + config.ca_file + ": " + strerror(errno));
    }
    options.ca_file = config.ca_file;
  }
  options.max_message_bytes = config.max_message_bytes;
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
// control characters from the server are filtered out.
class StdoutSink {
 public:
  StdoutSink() : terminal_(isatty(STDOUT_FILENO)) {
    static char buffer[1 << 16];
    setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
  }
  void Write(std::string_view text) {
    if (broken_) return;
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

 private:
  const bool terminal_;
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

// The loop every mode shares: the connection, stdin, signals and ticks, on the main thread.
// tools_fd: the tool runner's, or -1 without tools.
int RunSession(const Config& config, const ConnectOptions& options, EventLog* event_log,
               Transport* transport, WakeupQueue<NetEvent>* queue, QueueListener* listener,
               Conversation* conversation, StdoutSink* out, int signal_fd, int tools_fd) {
  SteadyClock clock;
  LOG_INFO("connecting to %s (%s dialect)", options.url.ToString().c_str(), ToString(config.dialect));
  (void)transport->Start(options, listener);

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

  auto begin_close = [&](int code) {
    if (closing) return;
    closing = true;
    exit_code = code;
    deadline_ms = clock.NowMs() + kCloseTimeoutMs;
    transport->Close();
  };

  for (;;) {
    if (!closing && (conversation->Finished() || out->broken())) {
      const bool failed = conversation->failed_turns() > 0 || out->broken();
      begin_close(ToInt(conversation->Interrupted() ? ExitCode::kInterrupted
                        : failed                    ? ExitCode::kFailure
                                                    : ExitCode::kSuccess));
    }
    if (interactive && stdin_open && !closing && conversation->WantsPrompt() && !prompt_shown) {
      fputs("> ", stderr);
      fflush(stderr);
      prompt_shown = true;
    }
    // stdin last, so that it can be left out.
    int64_t silent_at_ms = -1;  // when the watchdog fires, if an answer is due
    if (!closing && config.answer_timeout_ms > 0 && conversation->AwaitingServer()) {
      if (awaiting_since_ms < 0) awaiting_since_ms = clock.NowMs();
      if (!silence_reported) silent_at_ms = std::max(last_event_ms, awaiting_since_ms) + config.answer_timeout_ms;
    } else {
      awaiting_since_ms = -1;
    }
    if (silent_at_ms >= 0 && clock.NowMs() >= silent_at_ms) {
      silence_reported = true;
      silent_at_ms = -1;
      if (conversation->OnServerSilent(config.answer_timeout_ms / 1000)) {
        begin_close(ToInt(ExitCode::kFailure));
        continue;
      }
    }
    pollfd fds[5] = {{queue->fd(), POLLIN, 0}, {signal_fd, POLLIN, 0}, {tick_fd, POLLIN, 0},
                     {tools_fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    const nfds_t count = stdin_open && !closing ? 5 : 4;
    int64_t wake_ms = deadline_ms;
    if (silent_at_ms >= 0 && (wake_ms < 0 || silent_at_ms < wake_ms)) wake_ms = silent_at_ms;
    int timeout = wake_ms < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, wake_ms - clock.NowMs()));
    if (poll(fds, count, timeout) < 0 && errno != EINTR) {
      LOG_ERROR("poll: %s", strerror(errno));
      return ToInt(ExitCode::kFailure);
    }
    if (deadline_ms >= 0 && clock.NowMs() >= deadline_ms) {
      if (closing) return exit_code;  // the server never acknowledged the close: leave anyway
      LOG_ERROR("the server sent no session.created within %d s", kSessionCreatedTimeoutMs / 1000);
      begin_close(ToInt(ExitCode::kFailure));
      continue;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (read(signal_fd, &info, sizeof info) == sizeof info) {
        if (closing) return ToInt(ExitCode::kInterrupted);  // a second Ctrl-C: no more waiting
        // Ctrl-C while a tool runs stops the tool, not voxterm.
        if (info.ssi_signo == SIGINT && conversation->OnInterrupt()) continue;
        if (prompt_shown) fputs("\n", stderr);  // end the prompt's line (a status line clears itself)
        begin_close(ToInt(ExitCode::kInterrupted));
      }
    }
    if (fds[2].revents & POLLIN) {
      uint64_t expirations;
      while (read(tick_fd, &expirations, sizeof expirations) == sizeof expirations) {
      }
      if (!closing) conversation->OnTick();
    }
    if (fds[3].revents & POLLIN) conversation->OnToolsReady();
    if (count == 5 && (fds[4].revents & (POLLIN | POLLHUP | POLLERR)) && conversation->WantsRawInput()) {
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
        NetEvent& event = events.front();
        switch (event.kind) {
          case NetEvent::Kind::kOpen:
            LOG_INFO("connected");
            if (!closing) deadline_ms = clock.NowMs() + kSessionCreatedTimeoutMs;
            break;
          case NetEvent::Kind::kFailed:
            LOG_ERROR("%s", event.text.c_str());
            return closing ? exit_code : ToInt(ExitCode::kConnect);
          case NetEvent::Kind::kClosed:
            out->Flush();
            if (closing) return exit_code;
            LOG_ERROR("the server closed the connection (code %d%s%s)", event.code,
                      event.text.empty() ? "" : ": ", event.text.c_str());
            return ToInt(ExitCode::kFailure);
          case NetEvent::Kind::kMessage: {
            last_event_ms = clock.NowMs();
            silence_reported = false;
            event_log->Received(event.text);
            ServerEvent parsed;
            Status status = ParseServerEvent(event.text.data(), &parsed);
            if (!status.ok()) {
              LOG_WARN("skipped a server message: %s", status.message().c_str());
              break;
            }
            if (parsed.type == ServerEventType::kUnknown) {
              LOG_DEBUG("ignored an event of unknown type \"%s\"",
                        Printable(std::string(parsed.type_name)).c_str());
            }
            if (parsed.type == ServerEventType::kError && IsFatalError(parsed.error.code)) {
              LOG_ERROR("the server refused the session: %s: %s", std::string(parsed.error.code).c_str(),
                        Printable(std::string(parsed.error.message)).c_str());
              begin_close(ToInt(ExitCode::kConnect));
              break;
            }
            const bool was_ready = conversation->session_ready();
            conversation->OnServerEvent(parsed);
            if (!was_ready && conversation->session_ready() && !closing) deadline_ms = -1;
            break;
          }
        }
        events.pop_front();
      }
      out->Flush();
    }
  }
}

int Run(const Config& config, const std::string& key) {
  auto options = MakeConnectOptions(config, key);
  if (!options.ok()) {
    LOG_ERROR("%s", options.message().c_str());
    return ToInt(ExitCode::kUsage);
  }
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
  // Before any thread starts (audio devices start some), so that every thread inherits the mask
  // and SIGINT reaches only the signalfd.
  const int signal_fd = BlockSignalsIntoFd();
  // Audio devices open before the connection, so a missing device fails fast and plainly.
  std::unique_ptr<AudioEngine> audio;
  if (config.mode != Mode::kText || config.speak) {
    auto opened = AudioEngine::Open(config, config.mode != Mode::kText ? WantInput::kYes : WantInput::kNo);
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
  QueueListener listener(&queue);
  LwsTransport lws;
  LoggedTransport transport(&lws, &event_log);
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
    tool_calls = std::make_unique<ToolCalls>(&config.tools, runner.get(), &transport, tool_view, &event_log,
                                             isatty(STDIN_FILENO) ? CanAsk::kYes : CanAsk::kNo,
                                             ToolBaseEnvironment(environ));
  }

  std::unique_ptr<Conversation> conversation;
  if (config.mode == Mode::kText) {
    SessionSettings session;
    session.output = config.speak ? Modality::kAudio : Modality::kText;
    session.instructions = config.instructions;
    session.voice = config.voice;
    session.tools = ToolSpecs(config.tools);
    conversation = std::make_unique<TextChat>(config.dialect, session, &transport,
                                              [&out](std::string_view text) { out.Write(text); },
                                              audio ? audio->playback() : nullptr, tool_calls.get());
  } else if (config.mode == Mode::kPtt) {
    auto terminal = RawTerminal::Enter(STDIN_FILENO);
    if (!terminal.ok()) {
      LOG_ERROR("%s", terminal.message().c_str());
      return ToInt(ExitCode::kUsage);
    }
    conversation = std::make_unique<PttSession>(config, std::move(audio), &transport, view.get(), &clock,
                                                std::move(*terminal), *ptt_key, tool_calls.get());
  } else {
    conversation = std::make_unique<VoiceSession>(config, std::move(audio), &transport, view.get(), &clock,
                                                  isatty(STDIN_FILENO), tool_calls.get());
  }
  return RunSession(config, *options, &event_log, &transport, &queue, &listener, conversation.get(), &out,
                    signal_fd, runner ? runner->fd() : -1);
}

}  // namespace

int Main(int argc, char** argv) {
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
  if (!key.ok()) {
    LOG_ERROR("%s", key.message().c_str());
    return ToInt(ExitCode::kUsage);
  }
  return Run(config, *key);
}

}  // namespace voxterm
