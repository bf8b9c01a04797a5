#include "app/run.h"

#include <poll.h>
#include <signal.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>

#include "app/api_key.h"
#include "app/api_select.h"
#include "app/cli.h"
#include "app/commands.h"
#include "app/devices_command.h"
#include "app/mcp_command.h"
#include "app/saved_conversation.h"
#include "app/session_settings.h"
#include "app/signal_watch.h"
#include "audio/audio_engine.h"
#include "conversation/event_log.h"
#include "conversation/history.h"
#include "conversation/ptt_session.h"
#include "conversation/text_chat.h"
#include "conversation/tool_calls.h"
#include "conversation/voice_session.h"
#include "protocol/live_client.h"
#include "protocol/live_events.h"
#include "protocol/realtime_client.h"
#include "session/link.h"
#include "session/session_loop.h"
#include "session/usage.h"
#include "tools/mcp_hub.h"
#include "tools/spawn_tool_runner.h"
#include "tools/tool_command.h"
#include "transport/lws_transport.h"
#include "transport/tls_files.h"
#include "ui/screen.h"
#include "ui/terminal_input.h"
#include "ui/terminal_text.h"
#include "ui/terminal_view.h"
#include "ui/tool_call_view.h"
#include "ui/transcript_file.h"
#include "util/clock.h"
#include "util/exit_code.h"
#include "util/image_file.h"
#include "util/latency.h"
#include "util/log.h"
#include "util/output_file.h"
#include "util/paths.h"
#include "util/secret_mask.h"
#include "util/wakeup_queue.h"

namespace voxterm {
namespace {

// Which header values are masked as secrets: those of a header named for one (Authorization,
// X-Api-Key, Cookie, ...) and any long one (an opaque token under another name). A short
// plain value ("2", "application/json") masked everywhere would turn the answers' own words
// into stars.
bool IsSecretHeader(const std::string& name, const std::string& value) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"auth", "key", "token", "secret", "cookie", "password", "session",
                           "credential", "signature"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return value.size() >= 20;
}

// A longer input line is skipped with an error rather than sent: it is almost surely a mistake
// (a binary file on stdin), and the server limits item sizes anyway.
constexpr size_t kMaxLineBytes = 1u << 20;

// What the conversation sends: logged (--log-events), then to the link's current connection.
class LoggedSink : public MessageSink {
 public:
  LoggedSink(Link* link, EventLog* log) : link_(link), log_(log) {}
  void Send(std::string message) override {
    log_->Sent(message);
    link_->Send(std::move(message));
  }

 private:
  Link* const link_;
  EventLog* const log_;
};

// The handshake headers carry the key; they go to the transport and nowhere else.
Result<ConnectOptions> MakeConnectOptions(const Config& config, const std::string& key) {
  const bool live = UsesLive(config);
  auto url = ParseUrl(live ? LiveUrl(config) : config.url);
  if (!url.ok()) return url.status();
  if (!live) AddModelToQuery(&url.value(), config.model);  // GPT-Live's is in session.start
  ConnectOptions options;
  options.url = *url;
  if (config.azure) {
    options.headers.emplace_back("api-key", key);
    // Azure's GPT-Live sample sends a bearer token; whether it takes api-key is open (LIVE.md
    // 9.7): both go, to the same resource.
    if (live) options.headers.emplace_back("Authorization", "Bearer " + key);
  } else {
    options.headers.emplace_back("Authorization", "Bearer " + key);
  }
  if (config.dialect == Dialect::kBeta && !live) {
    options.headers.emplace_back("OpenAI-Beta", "realtime=v1");
  }
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
  return options;
}

// Reads stdin without blocking the loop: each line a turn, or (--turn-per-input) the whole of
// it one turn, at its end.
class LineReader {
 public:
  explicit LineReader(bool whole) : whole_(whole) {}

  // Returns false at end of input.
  bool ReadAvailable(Conversation* chat) {
    char buffer[65536];
    ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n < 0) LOG_ERROR("reading stdin: %s", strerror(errno));
    if (n <= 0) {
      if (whole_) {
        while (!partial_.empty() && (partial_.back() == '\n' || partial_.back() == '\r')) {
          partial_.pop_back();
        }
      }
      if (!partial_.empty() && !overlong_) chat->OnUserLine(std::move(partial_));
      partial_.clear();
      return false;
    }
    const char* p = buffer;
    const char* end = buffer + n;
    if (whole_) {
      Append(p, end);
      return true;
    }
    while (p < end) {
      const char* newline = static_cast<const char*>(memchr(p, '\n', end - p));
      Append(p, newline ? newline : end);
      if (!newline) break;
      if (!overlong_) chat->OnUserLine(std::move(partial_));
      partial_.clear();
      overlong_ = false;
      p = newline + 1;
    }
    return true;
  }
  // Lines (or with --turn-per-input, the input) skipped for their length: the run fails.
  int skipped() const { return skipped_; }

 private:
  void Append(const char* p, const char* end) {
    if (!overlong_) partial_.append(p, end);
    if (partial_.size() <= kMaxLineBytes) return;
    if (!overlong_) {
      LOG_ERROR("skipped %s longer than %zu bytes: nothing of it is sent",
                whole_ ? "the input (--turn-per-input)," : "an input line", kMaxLineBytes);
      ++skipped_;
    }
    overlong_ = true;
    std::string().swap(partial_);  // the memory back, not just the size
  }

  const bool whole_;
  std::string partial_;
  bool overlong_ = false;
  int skipped_ = 0;
};

// Answers in text mode go to stdout, buffered and flushed once per batch of network events: as
// prompt as a flush per delta, without a write() for every few characters. On a terminal,
// what the terminal would act on is shown escaped (ui/terminal_text.h), and the text goes
// through the screen, above the line being typed.
class StdoutSink {
 public:
  explicit StdoutSink(Screen* screen) : screen_(screen), terminal_(isatty(STDOUT_FILENO)) {
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
    if (state_ != SessionLoop::Output::kOk || text.empty()) return;
    line_open_ = text.back() != '\n';
    if (terminal_) {
      screen_->Write(filter_.Filter(text));
    } else if (screen_->rows_shown()) {  // a pipe, whose reader may echo it (| tee)
      screen_->Write(text);
    } else {
      fwrite(text.data(), 1, text.size(), stdout);
    }
  }
  // A reader that closes the pipe (| head -1) is not an error: voxterm ends quietly.
  void Flush() {
    if (state_ != SessionLoop::Output::kOk || fflush(stdout) == 0) return;
    if (errno == EPIPE) {
      LOG_DEBUG("stdout's reader closed it: ending");
      state_ = SessionLoop::Output::kReaderGone;
    } else {
      LOG_ERROR("writing stdout: %s", strerror(errno));
      state_ = SessionLoop::Output::kFailed;
    }
  }
  SessionLoop::Output state() const { return state_; }
  // A notice on a terminal shared with stderr would land inside the answer's line: the line
  // ends first. (A pipe keeps the answer's bytes as they came.)
  void EndLineForNotice() {
    if (!terminal_ || !line_open_ || !isatty(STDERR_FILENO)) return;
    Write("\n");
    Flush();
  }

 private:
  Screen* const screen_;
  const bool terminal_;
  bool line_open_ = false;
  TerminalFilter filter_;
  SessionLoop::Output state_ = SessionLoop::Output::kOk;
};

// Ticks for conversations that move audio along: a timerfd in the poll set, set for one tick at a
// time, each when the conversation says (Conversation::NextTickNs).
int MakeTickTimer(int period_ms) {
  if (period_ms <= 0) return -1;
  return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
}

void SetTickAt(int fd, int64_t at_ns) {
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(at_ns / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(at_ns % 1'000'000'000);
  timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, nullptr);
}

// What the commands a user types need besides the conversation.
struct CommandParts {
  const History* history;
  const UsageTotals* usage;
  std::vector<NamedPath> files;  // the run's own files, which /save must not overwrite
  std::string images_refused;    // why /image cannot send (GPT-Live, beta); empty: it can
};

// The poll loop every mode shares, on the main thread: it waits for the connection's events,
// stdin, signals, ticks and the tool runner, and hands each to the SessionLoop or the
// conversation. What the connection's life means is the SessionLoop's.
// On a terminal (but for push-to-talk, whose keys are its own) stdin is a TerminalInput: lines
// are typed in the screen's edit row, and those that start with "/" are commands
// (app/commands.h), which the loop carries out.
class PollLoop : private TerminalInput::Handler, private CommandTarget {
 public:
  // tools_fd: the tool runner's, -1 without tools; mcp_fd: the MCP servers', -1 without any.
  // whole_input: --turn-per-input. echo_typed:
  // a typed line is written above the edit row once sent (text mode, where no view shows it).
  // view: the spoken modes' terminal view, null in text mode.
  PollLoop(SessionLoop* loop, WakeupQueue<NetEvent>* queue, Conversation* conversation,
           StdoutSink* out, const Clock* clock, int signal_fd, int tools_fd, int mcp_fd,
           bool whole_input, Screen* screen, TerminalView* view, bool echo_typed,
           const CommandParts& parts)
      : loop_(loop),
        queue_(queue),
        conversation_(conversation),
        out_(out),
        clock_(clock),
        signal_fd_(signal_fd),
        tools_fd_(tools_fd),
        mcp_fd_(mcp_fd),
        tick_fd_(MakeTickTimer(conversation->tick_ms())),
        whole_input_(whole_input),
        reader_(whole_input),
        screen_(screen),
        view_(view),
        echo_typed_(echo_typed),
        parts_(parts) {}
  ~PollLoop() override {
    if (tick_fd_ >= 0) close(tick_fd_);
  }

  // Returns the exit code: input skipped for its length fails a run that would have succeeded.
  int Run() {
    // --turn-per-input reads the terminal as it would a pipe: everything up to Ctrl-D is one turn.
    if (isatty(STDIN_FILENO) && !conversation_->WantsRawInput() && !whole_input_) {
      auto input = TerminalInput::Start(STDIN_FILENO, screen_, this, clock_, echo_typed_);
      if (!input.ok()) {
        LOG_ERROR("%s", input.message().c_str());
        return ToInt(ExitCode::kFailure);
      }
      input_ = std::move(*input);
    } else if (conversation_->WantsRawInput()) {  // push-to-talk: it hands keys to typing
      typing_ =
          std::make_unique<TerminalInput>(screen_, static_cast<TerminalInput::Handler*>(this));
      conversation_->SetTyping(typing_.get());
    }
    const int code = RunLoop();
    conversation_->SetTyping(nullptr);
    typing_.reset();
    input_.reset();
    return code == 0 && reader_.skipped() > 0 ? ToInt(ExitCode::kFailure) : code;
  }

 private:
  int RunLoop() {
    loop_->Start();
    if (tick_fd_ >= 0) SetTickAt(tick_fd_, conversation_->NextTickNs(MonotonicNs()));
    for (;;) {
      loop_->BeforeWait(out_->state());
      if (loop_->done()) return loop_->exit_code();
      if (input_) {
        input_->SetPromptWanted(stdin_open_ && !loop_->closing() && conversation_->WantsPrompt());
        if (!stdin_open_ || loop_->closing()) input_->Close();
      }
      // stdin last, so that it can be left out.
      pollfd fds[6] = {{queue_->fd(), POLLIN, 0}, {signal_fd_, POLLIN, 0},
                       {tick_fd_, POLLIN, 0},     {tools_fd_, POLLIN, 0},
                       {mcp_fd_, POLLIN, 0},      {STDIN_FILENO, POLLIN, 0}};
      // A raw terminal is read to the end: Ctrl-C is a key there, not a signal.
      const bool reading =
          input_ ? terminal_open_ : stdin_open_ && !loop_->closing() && conversation_->WantsInput();
      if (poll(fds, reading ? 6 : 5, Timeout()) < 0 && errno != EINTR) {
        LOG_ERROR("poll: %s", strerror(errno));
        return ToInt(ExitCode::kFailure);
      }
      if (loop_->AfterWait()) {
        if (loop_->done()) return loop_->exit_code();
        continue;
      }
      if ((fds[1].revents & POLLIN) && !OnSignals()) return exit_code_;
      if (fds[2].revents & POLLIN) OnTick();
      if ((fds[3].revents | fds[4].revents) & POLLIN) conversation_->OnToolsReady();
      if (reading && (fds[5].revents & (POLLIN | POLLHUP | POLLERR))) OnStdin();
      if (over_) return exit_code_;
      if (fds[0].revents & POLLIN) loop_->HandleQueued(queue_);
      screen_->ShowIfDue();
      if (input_) input_->OnDue();
    }
  }

  // Until the SessionLoop's next deadline, or the screen's rows are due back; -1: only for an
  // event.
  int Timeout() const {
    const int64_t wake_ms = loop_->NextWakeMs();
    int64_t timeout = wake_ms < 0 ? -1 : std::max<int64_t>(0, wake_ms - clock_->NowMs());
    for (const int64_t due : {screen_->MsUntilShow(), input_ ? input_->MsUntilDue() : -1}) {
      if (due >= 0 && (timeout < 0 || due < timeout)) timeout = due;
    }
    return static_cast<int>(timeout);
  }

  // False when the run is over (exit_code_).
  bool OnSignals() {
    if (TakeResize()) {
      if (view_) {
        view_->Resized();  // the status line too, fitted to the new width
      } else {
        screen_->Resized();
      }
      if (input_) input_->Draw();
    }
    while (const int signo = TakeSignal()) {
      if (signo == SIGINT && !loop_->closing() && conversation_->OnInterrupt()) {
        SignalAbsorbed();
        continue;
      }
      if (!Close()) return false;
    }
    return true;
  }

  // A signal to end, Ctrl-C that nothing took, or /quit (kSuccess): false when the run is over
  // (exit_code_).
  bool Close(ExitCode code = ExitCode::kInterrupted) {
    if (loop_->closing()) {  // a second Ctrl-C: no more waiting
      exit_code_ = ToInt(code);
      return false;
    }
    loop_->Close(code);
    if (!loop_->done()) return true;
    exit_code_ = loop_->exit_code();
    return false;
  }

  void OnTick() {
    uint64_t expirations;
    while (read(tick_fd_, &expirations, sizeof expirations) == sizeof expirations) {
    }
    if (!loop_->closing()) conversation_->OnTick();
    SetTickAt(tick_fd_, conversation_->NextTickNs(MonotonicNs()));
  }

  // Keys on a terminal, lines from a pipe, or raw bytes in push-to-talk.
  void OnStdin() {
    bool open;
    if (input_) {
      open = terminal_open_ = input_->ReadAvailable();
    } else if (conversation_->WantsRawInput()) {
      char bytes[256];
      const ssize_t n = read(STDIN_FILENO, bytes, sizeof bytes);
      if (n > 0) conversation_->OnInputBytes(std::string_view(bytes, static_cast<size_t>(n)));
      open = n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN));
    } else {
      open = reader_.ReadAvailable(conversation_);
    }
    if (!open && stdin_open_) conversation_->OnInputEnd();
    stdin_open_ = stdin_open_ && open;
  }

  // TerminalInput::Handler
  void OnLine(std::string line) override {
    std::string turn;
    if (!HandleLine(line, this, &turn)) conversation_->OnUserLine(std::move(turn));
  }
  // Ctrl-C on a raw terminal: as SIGINT would be (a tool or, in text mode, an answer stops).
  bool OnStopKey() override { return !loop_->closing() && conversation_->OnInterrupt(); }
  void OnQuitKey() override {
    if (!Close()) over_ = true;
  }
  void OnEndKey() override {
    if (!stdin_open_) return;
    stdin_open_ = false;
    conversation_->OnInputEnd();
  }
  void OnMuteKey() override {
    if (Status changed = conversation_->SetMuted(!conversation_->muted()); !changed.ok()) {
      Show(changed.message());
    }
  }

  // CommandTarget
  Status SetMuted(bool muted) override { return conversation_->SetMuted(muted); }
  Status ChangeVoice(std::string voice) override {
    return conversation_->ChangeVoice(std::move(voice));
  }
  Status ChangeInstructions(std::string text) override {
    conversation_->ChangeInstructions(std::move(text));
    return Status::Ok();
  }
  Status SaveTranscript(const std::string& path) override {
    return SaveConversation(*parts_.history, path, parts_.files);
  }
  Status SendImage(const std::string& path, std::string text) override {
    if (!parts_.images_refused.empty()) return Status::Error(parts_.images_refused);
    auto image = LoadImage(ExpandHome(path), "/image");
    if (!image.ok()) return image.status();
    return conversation_->OnUserImage(std::move(text), std::move(*image));
  }
  std::string UsageSummary() override { return parts_.usage->Summary(); }
  // As the end of input would, but now: what is in flight is not waited for.
  void Quit() override {
    if (!Close(ExitCode::kSuccess)) over_ = true;
  }
  void Show(std::string_view line) override {
    if (view_) {
      view_->Say(line);
    } else {
      screen_->Notice(line);
    }
  }

  SessionLoop* const loop_;
  WakeupQueue<NetEvent>* const queue_;
  Conversation* const conversation_;
  StdoutSink* const out_;
  const Clock* const clock_;
  const int signal_fd_;
  const int tools_fd_;
  const int mcp_fd_;
  const int tick_fd_;
  const bool whole_input_;
  LineReader reader_;
  Screen* const screen_;
  TerminalView* const view_;  // the spoken modes'; null in text mode
  const bool echo_typed_;
  const CommandParts parts_;
  std::unique_ptr<TerminalInput> input_;   // a terminal's keys, in text and voice mode
  std::unique_ptr<TerminalInput> typing_;  // push-to-talk's typed lines
  bool stdin_open_ = true;                 // the input has not ended (end of file, Ctrl-D)
  bool terminal_open_ = true;              // input_'s terminal can still be read
  bool over_ = false;                      // a key ended the run
  int exit_code_ = 0;
};

// Says why, and gives the exit code.
int Fail(const std::string& why, ExitCode code) {
  LOG_ERROR("%s", why.c_str());
  return ToInt(code);
}

// The push-to-talk key, checked before anything opens; nullopt in the other modes.
Result<std::optional<Key>> PttKey(const Config& config) {
  if (config.mode != Mode::kPtt) return std::optional<Key>();
  if (!isatty(STDIN_FILENO)) {
    return Status::Error("--ptt needs a terminal on stdin (keys start and end each take)");
  }
  auto key = ParseKeySpec(config.ptt_key);
  if (!key.ok()) return key.status();
  return std::optional<Key>(*key);
}

// Audio devices open before the connection, so a missing device fails fast and plainly. Null
// when the run has no audio (text mode without --speak).
Result<std::unique_ptr<AudioEngine>> StartAudio(const Config& config) {
  if (config.mode == Mode::kText && !config.speak) return std::unique_ptr<AudioEngine>();
  auto opened = AudioEngine::Open(AudioConfigOf(config),
                                  config.mode != Mode::kText ? WantInput::kYes : WantInput::kNo);
  if (!opened.ok()) return opened.status();
  Status started = (*opened)->Start();
  if (!started.ok()) return started;
  return std::move(*opened);
}

// The model the run asks for: the URL's own model= (or Azure's deployment=) wins over --model.
std::string AskedModel(const Config& config) {
  std::string asked = config.model;
  if (UsesLive(config)) return asked;  // session.start carries it, never the URL
  if (auto url = ParseUrl(config.url); url.ok()) {
    AddModelToQuery(&url.value(), config.model);
    if (std::string in_url = ModelInQuery(*url); !in_url.empty()) asked = in_url;
  }
  return asked;
}

SessionLoopOptions LoopOptions(const Config& config, const ConnectOptions& options) {
  SessionLoopOptions loop;
  loop.url = options.url.ToString();
  loop.asked_model = AskedModel(config);
  loop.model_from_url = loop.asked_model != config.model;
  loop.transcription_model = config.mode == Mode::kText ? "" : TranscriptionModel(config);
  loop.answer_timeout_ms = config.answer_timeout_ms;
  loop.reconnect_tries = config.reconnect_tries;
  loop.keepalive_s = config.keepalive_s;
  loop.renew_session_s = config.renew_session_s;
  if (UsesLive(config)) {
    loop.parse = ParseLiveEvent;
    loop.session_event = "session.started";
    loop.audio_type = kLiveAudioType;
    loop.audio_rate_hz = kLiveAudioRateHz;
    loop.transcription_model.clear();  // GPT-Live transcribes by itself
    // The server says when a session expires (session.closed "expired"), which renews it; a
    // renewal of voxterm's own would cut a conversation the server would have let go on.
    loop.renew_session_s = 0;
  }
  return loop;
}

// What every conversation is made of, whatever the mode; all of it outlives the conversation.
struct ConversationParts {
  ClientProtocol* server;
  ConversationView* view;  // the terminal's (or --transcript's in front of it); null in text mode
  ConversationView* transcript;  // text mode: --transcript's, or null
  ToolCalls* tool_calls;         // null when no tool runner could start and none is declared
  History* history;
  StdoutSink* out;
  const Clock* clock;
  Latencies* latencies;  // --stats, else null
  const McpCalls* mcp;   // the MCP servers' tools, declared after the config's; or null
};

// The session's settings with the MCP servers' tools after the config's.
SessionSettings WithMcpTools(SessionSettings settings, const McpCalls* mcp) {
  if (!mcp) return settings;
  for (ToolSpec& spec : McpToolSpecs(mcp->functions())) settings.tools.push_back(std::move(spec));
  return settings;
}

// What shows the conversation: the terminal in a spoken mode, stderr's tool lines in text mode,
// and --transcript's file in front of either. Declared before the conversation, which uses it.
struct Views {
  explicit Views(Screen* screen) : text_tools(screen) {}
  std::unique_ptr<TerminalView> terminal;  // spoken modes
  StderrToolView text_tools;
  std::unique_ptr<TranscriptFile> transcript;

  ConversationView* conversation() {
    return transcript && terminal ? static_cast<ConversationView*>(transcript.get())
                                  : terminal.get();
  }
  ToolCallView* tools() {
    if (transcript) return transcript.get();
    return terminal ? static_cast<ToolCallView*>(terminal.get()) : &text_tools;
  }
};

Status MakeViews(const Config& config, Screen* screen, Views* views) {
  if (config.mode != Mode::kText) views->terminal = std::make_unique<TerminalView>(screen);
  if (config.transcript.empty()) return Status::Ok();
  auto file = TranscriptFile::Create(config.transcript);
  if (!file.ok()) return file.status();
  views->transcript = std::move(*file);
  views->transcript->SetInner(
      views->terminal.get(),
      views->terminal ? static_cast<ToolCallView*>(views->terminal.get()) : &views->text_tools);
  return Status::Ok();
}

// The conversation for the mode. *audio (null in text mode without --speak) goes to a spoken
// conversation; text mode only borrows its speaker, so *audio must outlive the conversation.
Result<std::unique_ptr<Conversation>> MakeConversation(const Config& config,
                                                       std::optional<Key> ptt_key,
                                                       std::unique_ptr<AudioEngine>* audio,
                                                       const ConversationParts& parts) {
  if (config.mode == Mode::kText) {
    StdoutSink* out = parts.out;
    return std::unique_ptr<Conversation>(std::make_unique<TextChat>(
        WithMcpTools(TextSessionSettings(config), parts.mcp), parts.server,
        [out](std::string_view text) { out->Write(text); }, *audio ? (*audio)->playback() : nullptr,
        parts.tool_calls, parts.history, isatty(STDIN_FILENO) != 0, parts.transcript));
  }
  if (config.mode == Mode::kPtt) {
    auto terminal = RawTerminal::Enter(STDIN_FILENO);
    if (!terminal.ok()) return terminal.status();
    return std::unique_ptr<Conversation>(std::make_unique<PttSession>(
        WithMcpTools(VoiceSessionSettings(config), parts.mcp), std::move(*audio), parts.server,
        parts.view, parts.clock, std::move(*terminal), *ptt_key, parts.tool_calls, parts.history));
  }
  return std::unique_ptr<Conversation>(std::make_unique<VoiceSession>(
      WithMcpTools(VoiceSessionSettings(config), parts.mcp), std::move(*audio), parts.server,
      parts.view, parts.clock, isatty(STDIN_FILENO), parts.tool_calls, parts.history,
      parts.latencies));
}

// The API's client half: GPT-Live's (*live set to it) or the Realtime API's.
std::unique_ptr<ClientProtocol> MakeClient(const Config& config, MessageSink* messages,
                                           LiveClient** live) {
  if (!UsesLive(config)) return std::make_unique<RealtimeClient>(config.dialect, messages);
  auto client = std::make_unique<LiveClient>(config.model, messages, config.delegate_model);
  *live = client.get();
  return client;
}

// GPT-Live's sessions are the client's to open and close. Each connection's session.start
// carries the conversation so far (a renewal's, a reconnect's), from the History.
void AddLiveSessions(const Config& config, LiveClient* live, History* history, const McpCalls* mcp,
                     SessionLoopOptions* options) {
  options->start_session = [live, history, &config, mcp] {
    live->BeginStart(WithMcpTools(VoiceSessionSettings(config), mcp));
    history->Replay(live);
    live->SendStart();
  };
  options->close_session = [live] { live->Close(); };
}

// How the loop tells the user about the connection: the view's notices, or stderr's in text
// mode.
SessionLoop::Notify Notifier(TerminalView* view, StdoutSink* out, Screen* screen) {
  return [view, out, screen](const std::string& text) {
    if (view) {
      view->Notice(text);
    } else {
      out->EndLineForNotice();
      screen->Notice("voxterm: " + text);
    }
  };
}

const char* ApiName(const Config& config) {
  if (UsesLive(config)) return "GPT-Live";
  return config.dialect == Dialect::kGa ? "ga dialect" : "beta dialect";
}

// Why /image cannot send in this run, or "" when it can.
std::string ImagesRefused(const Config& config) {
  Status allowed = CheckImagesAllowed(config, "/image");
  return allowed.ok() ? "" : allowed.message();
}

// The files a run writes or reads, by the option that names them.
std::vector<NamedPath> RunFiles(const Config& config) {
  return {{"--input-file", config.input_file},   {"--log-events", config.log_events},
          {"--stats", config.stats_file},        {"--transcript", config.transcript},
          {"--output-file", config.output_file}, {"--record", config.record}};
}

// --image's files, read before anything is opened or sent: one that cannot be sent fails the
// run at once (exit 2). Together they must fit in one message, as each must alone.
Result<std::vector<InputImage>> LoadImages(const std::vector<std::string>& paths) {
  std::vector<InputImage> images;
  size_t total_bytes = 0;
  for (const std::string& path : paths) {
    auto image = LoadImage(path, "--image");
    if (!image.ok()) return image.status();
    total_bytes += image->bytes;
    if (total_bytes > kMaxImageBytes) {
      return Result<std::vector<InputImage>>::Error(
          "--image: the images come to more than the " + std::to_string(kMaxImageBytes >> 20) +
          " MiB one turn may carry (the API takes 15 MiB per message)");
    }
    images.push_back(std::move(*image));
  }
  return images;
}

// The config's MCP servers, started: their tools are part of the session's first
// session.update. A server that does not start is reported and left out; null without servers.
// The hub's destructor stops them, however the run ends.
Result<std::unique_ptr<McpHub>> StartMcpServers(const Config& config) {
  if (config.mcp_servers.empty()) return std::unique_ptr<McpHub>();
  auto hub = McpHub::Create(config.mcp_servers, ToolBaseEnvironment(environ), -1);
  if (hub.ok()) (*hub)->StartAll();
  return hub;
}

// latencies: --stats, else null; everything that writes to it is gone when Run returns.
// usage: summed over the run's sessions.
// A log line of the main thread makes room on the screen first, and the rows come back after
// it. REQUIRES: SetLogLineHook(nullptr) before view, out or screen go.
void HookLogLines(TerminalView* view, StdoutSink* out, Screen* screen) {
  SetLogLineHook([view, out, screen](bool before) {
    if (view) {
      view->MakeRoomForLog(before);
    } else if (before) {
      out->EndLineForNotice();
      screen->Hide();
    } else {
      screen->Show();
    }
  });
}

int Run(const Config& config, const std::string& key, Latencies* latencies, UsageTotals* usage,
        int signal_fd) {
  auto images = LoadImages(config.images);
  if (!images.ok()) return Fail(images.message(), ExitCode::kUsage);
  auto options = MakeConnectOptions(config, key);
  if (!options.ok()) return Fail(options.message(), ExitCode::kUsage);
  if (latencies) options->send_queue = &latencies->send_queue;
  SteadyClock clock;
  EventLog event_log(&clock);
  if (!config.log_events.empty()) {
    Status opened = event_log.Open(config.log_events);
    if (!opened.ok()) return Fail(opened.message(), ExitCode::kUsage);
  }
  auto ptt_key = PttKey(config);
  if (!ptt_key.ok()) return Fail(ptt_key.message(), ExitCode::kUsage);
  auto audio = StartAudio(config);
  if (!audio.ok()) return Fail(audio.message(), ExitCode::kUsage);

  WakeupQueue<NetEvent> queue;
  Link link(*options, &queue, [] { return std::make_unique<LwsTransport>(); });
  LoggedSink messages(&link, &event_log);
  LiveClient* live_client = nullptr;
  std::unique_ptr<ClientProtocol> server_protocol = MakeClient(config, &messages, &live_client);
  ClientProtocol& server = *server_protocol;
  History history;
  Screen screen(stdout, stderr, &clock);
  StdoutSink out(&screen);

  Views views(&screen);
  if (Status made = MakeViews(config, &screen, &views); !made.ok()) {
    return Fail(made.message(), ExitCode::kUsage);
  }
  TerminalView* const view = views.terminal.get();
  // Calls are answered even with no tools declared: a server that calls anyway gets an output
  // saying so, rather than a model left waiting.
  auto mcp = StartMcpServers(config);  // before the tool calls, which use it: it outlives them
  if (!mcp.ok()) return Fail(mcp.message(), ExitCode::kFailure);
  std::unique_ptr<SpawnToolRunner> runner;
  std::unique_ptr<ToolCalls> tool_calls;
  auto created = SpawnToolRunner::Create();
  if (!created.ok() && !config.tools.empty()) return Fail(created.message(), ExitCode::kFailure);
  if (created.ok()) {
    runner = std::move(*created);
    tool_calls =
        std::make_unique<ToolCalls>(&config.tools, runner.get(), &server, views.tools(), &event_log,
                                    isatty(STDIN_FILENO) ? CanAsk::kYes : CanAsk::kNo,
                                    ToolBaseEnvironment(environ), mcp->get());
  }
  auto conversation =
      MakeConversation(config, *ptt_key, &audio.value(),
                       {&server, views.conversation(), views.transcript.get(), tool_calls.get(),
                        &history, &out, &clock, latencies, mcp->get()});
  if (!conversation.ok()) return Fail(conversation.message(), ExitCode::kUsage);
  (*conversation)->AttachToFirstTurn(std::move(*images));

  std::mt19937 random(std::random_device{}());
  SessionLoopOptions loop_options = LoopOptions(config, *options);
  if (live_client) AddLiveSessions(config, live_client, &history, mcp->get(), &loop_options);
  SessionLoop loop(
      std::move(loop_options), &clock, &link, conversation->get(), &event_log, usage,
      Notifier(view, &out, &screen), [&out] { out.Flush(); },
      [&random] { return std::uniform_real_distribution<double>(0, 1)(random); });
  HookLogLines(view, &out, &screen);
  LOG_INFO("connecting to %s (%s)", options->url.ToString().c_str(), ApiName(config));
  const int code = PollLoop(&loop, &queue, conversation->get(), &out, &clock, signal_fd,
                            runner ? runner->fd() : -1, *mcp ? (*mcp)->fd() : -1,
                            config.turn_per_input, &screen, view, config.mode == Mode::kText,
                            {&history, usage, RunFiles(config), ImagesRefused(config)})
                       .Run();
  SetLogLineHook(nullptr);
  return code;
}

// The exit code of a run: -v says what the server billed (after the conversation's last
// words), and an output that failed (reported when it did) fails a run that would have
// succeeded.
int Finish(const Config& config, const UsageTotals& usage, int code) {
  if (config.verbosity >= 1 && code != ToInt(ExitCode::kUsage)) {
    const std::string summary = usage.Summary();
    for (size_t start = 0; start < summary.size();) {
      const size_t end = std::min(summary.find('\n', start), summary.size());
      LOG_INFO("%s", summary.substr(start, end - start).c_str());
      start = end + 1;
    }
  }
  return code == ToInt(ExitCode::kSuccess) && OutputFailed() ? ToInt(ExitCode::kFailure) : code;
}

// --stats: the latencies' object, with the usage as one more member; stats is closed.
void WriteStats(const Latencies& latencies, const UsageTotals& usage, FILE* stats,
                const std::string& path) {
  std::string json = latencies.ToJson();
  json.insert(json.rfind('}'), ", \"usage\": " + usage.ToJson());
  const bool written =
      fwrite(json.data(), 1, json.size(), stats) == json.size() && fflush(stats) == 0;
  const int error = errno;
  if (fclose(stats) != 0 || !written) ReportOutputFailure("--stats", path, written ? errno : error);
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
    return RunDevicesCommand(config,
                             command_line.devices_test   ? DevicesCommand::kTest
                             : command_line.devices_json ? DevicesCommand::kJson
                                                         : DevicesCommand::kList,
                             stdout);
  }
  if (command_line.list_mcp) return RunMcpCommand(config, environ, signal_fd, stdout);
  auto key = ResolveApiKey(config);
  ScrubApiKeyVariables();
  if (!key.ok()) return Fail(key.message(), ExitCode::kUsage);
  SetProcessSecret(*key);
  // A hosted MCP server's secret headers go out in session.update: masked like the key
  // wherever voxterm writes text (-v, the event log), whole or in part.
  for (const HostedMcpServer& server : config.hosted_mcp_servers) {
    for (const auto& [name, value] : server.headers) {
      if (IsSecretHeader(name, value)) AddProcessSecret(value);
    }
  }
  // Before any output is opened, and so truncated.
  Status distinct = CheckDistinctFiles(RunFiles(config));
  if (!distinct.ok()) return Fail(distinct.message(), ExitCode::kUsage);
  // Priced, until the server names it, by the model asked for.
  const std::string asked_model = AskedModel(config);
  UsageTotals usage(asked_model, TranscriptionModel(config));
  if (config.stats_file.empty()) {
    return Finish(config, usage, Run(config, *key, nullptr, &usage, signal_fd));
  }
  // Opened first, so that a path that cannot be written fails before the conversation.
  auto stats_fd = CreateOutputFile(config.stats_file, "--stats");
  if (!stats_fd.ok()) return Fail(stats_fd.message(), ExitCode::kUsage);
  FILE* stats = fdopen(*stats_fd, "w");
  if (!stats) {
    return Fail("--stats " + config.stats_file + ": " + strerror(errno), ExitCode::kUsage);
  }
  auto latencies = std::make_unique<Latencies>();
  const int code = Run(config, *key, latencies.get(), &usage, signal_fd);
  WriteStats(*latencies, usage, stats, config.stats_file);
  return Finish(config, usage, code);
}

}  // namespace voxterm
