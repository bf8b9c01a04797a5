#include "session/session_loop.h"

#include <utility>

#include "ui/terminal_text.h"
#include "util/log.h"
#include "util/secret_mask.h"

namespace voxterm {
namespace {

// 429 and 5xx: the server is busy or failing for now; even a first connection tries again.
bool IsPassingHttpStatus(int status) { return status == 429 || (status >= 500 && status <= 599); }

// The error's code, else its type (an error with a null code): what ClassifyServerError takes.
std::string_view CodeOrType(const ErrorInfo& error) {
  return error.code.empty() ? error.type : error.code;
}

// Why the server's close ends or interrupts the session, in the user's words.
std::string DescribeClose(const NetEvent& event) {
  const std::string reason = event.text.empty() ? "" : ": " + Printable(event.text);
  if (event.code == 1006) {
    return "the connection was lost" +
           (event.text.empty() ? "" : " (" + Printable(event.text) + ")");
  }
  if (event.code == kCloseMaybeRewritten) {  // see reconnect.h
    return "the server closed the connection (code 1002, which libwebsockets also reports for "
           "1012 to 1015" +
           reason + ")";
  }
  return "the server closed the connection (code " + std::to_string(event.code) + reason + ")";
}

}  // namespace

// Errors no turn can get past (ClassifyServerError): the key, the account or the model. Going on
// (or reconnecting) would only repeat them, so the run ends at once, in one line, with the
// connection's exit code. A refused model is said so that the user knows what to change.
std::string DescribeFatal(FatalError fatal, const SessionLoopOptions& options,
                          const std::string& server_words) {
  if (fatal == FatalError::kModel) {
    return "the server does not offer model \"" + Printable(options.asked_model, 100) +
           "\": " + server_words +
           (options.model_from_url ? " (choose another in --url's model=; it wins over --model)"
                                   : " (choose another with --model or \"model\" in the config)");
  }
  if (fatal == FatalError::kTranscriptionModel) {
    return "the server does not offer transcription model \"" +
           Printable(options.transcription_model, 100) + "\": " + server_words +
           " (choose another with --transcribe or \"transcribe\" in the config)";
  }
  return server_words;
}

SessionLoop::SessionLoop(SessionLoopOptions options, const Clock* clock, Link* link,
                         Conversation* conversation, EventLog* event_log, UsageTotals* usage,
                         Notify notify, std::function<void()> flush_output,
                         std::function<double()> random)
    : options_(std::move(options)),
      clock_(clock),
      link_(link),
      conversation_(conversation),
      event_log_(event_log),
      usage_(usage),
      notify_(std::move(notify)),
      flush_output_(std::move(flush_output)),
      watchdog_(options_.answer_timeout_ms),
      keep_alive_(options_.keepalive_s * 1000),
      reconnector_(options_.reconnect_tries, std::move(random)),
      renewal_(options_.renew_session_s) {}

void SessionLoop::Start() {
  watchdog_.OnServerEvent(clock_->NowMs());
  Connect();
}

void SessionLoop::Connect() {
  keep_alive_.Stop();
  link_->Connect();
}

void SessionLoop::Drop() {
  keep_alive_.Stop();
  link_->Drop();
}

void SessionLoop::Finish(int code) {
  done_ = true;
  exit_code_ = code;
  // The counts of lines held back come before the run's last words.
  skipped_lines_.Flush();
  unknown_lines_.Flush();
}

void SessionLoop::Finish(ExitCode code) { Finish(ToInt(code)); }

void SessionLoop::BeginClose(ExitCode code) {
  if (phase_ == Phase::kClosing) return;
  phase_ = Phase::kClosing;
  exit_code_ = ToInt(code);
  keep_alive_.Stop();  // the close has a deadline of its own
  session_created_by_.Clear();
  reconnector_.retry().Clear();
  // GPT-Live: a started session is asked to close, and given a moment to say it has (with
  // its final usage); the close frame follows its session.closed, or the deadline.
  if (options_.close_session && link_->active() && conversation_->session_ready()) {
    awaiting_closed_ = true;
    closed_by_.Set(clock_->NowMs() + (code == ExitCode::kInterrupted ? kInterruptedSessionCloseMs
                                                                     : kSessionCloseTimeoutMs));
    options_.close_session();
    return;
  }
  closed_by_.Set(clock_->NowMs() + kCloseTimeoutMs);
  link_->Close();
}

void SessionLoop::Close(ExitCode code) {
  BeginClose(code);
  if (!link_->active()) Finish(exit_code_);  // between tries: nothing to close
}

// The conversation stops sending; it resumes at the next session.created.
void SessionLoop::GoDown() {
  if (down_) return;
  down_ = true;
  conversation_->OnDisconnected();
}

// The wait before the next try, announced; -1 once the tries are used up (said too).
int64_t SessionLoop::NextTryDelayMs(const std::string& why) {
  reconnector_.SessionEnded(clock_->NowMs(), ProgressAnswers());
  const int64_t delay_ms = reconnector_.NextDelayMs();
  if (delay_ms < 0) {
    LOG_ERROR("%s; %s", why.c_str(), reconnector_.DescribeGivingUp().c_str());
    return -1;
  }
  notify_(why + "; reconnecting in " + reconnector_.DescribeTry(delay_ms) + "\u2026");
  told_reconnecting_ = true;
  return delay_ms;
}

// Returns false once the tries are used up.
bool SessionLoop::ScheduleRetry(const std::string& why) {
  Drop();
  const int64_t delay_ms = NextTryDelayMs(why);
  if (delay_ms < 0) return false;
  reconnector_.retry().Set(clock_->NowMs() + delay_ms);
  session_created_by_.Clear();
  return true;
}

void SessionLoop::BeginRenewal(const char* why, int64_t delay_ms) {
  LOG_INFO("renewing the session (%s)", why);
  GoDown();
  phase_ = Phase::kRenewing;
  keep_alive_.Stop();  // the close has a deadline of its own
  renew_delay_ms_ = delay_ms;
  session_created_by_.Clear();
  closed_by_.Set(clock_->NowMs() + kCloseTimeoutMs);
  link_->Close();
}

// The old session is closed (or would not say so in time): on to the next.
void SessionLoop::Renew() {
  phase_ = Phase::kRunning;
  closed_by_.Clear();
  if (renew_delay_ms_ > 0) {
    Drop();
    reconnector_.retry().Set(clock_->NowMs() + std::exchange(renew_delay_ms_, 0));
  } else {
    Connect();
  }
}

// Renewal waits for a quiet moment; the loop wakes at least at each event and tick. True when
// the renewal began.
bool SessionLoop::MaybeRenew(int64_t now_ms) {
  renew_at_ms_ = -1;
  if (phase_ != Phase::kRunning || down_ || !had_session_) return false;
  const int64_t due_ms = renewal_.DueAtMs(reconnector_.session_since_ms());
  if (due_ms < 0) return false;
  if (now_ms < due_ms) {
    renew_at_ms_ = due_ms;
    return false;
  }
  if (!conversation_->Quiet()) return false;  // due, but not quiet: an event will come
  reconnector_.SessionEnded(now_ms, ProgressAnswers());
  BeginRenewal("it is due", 0);
  return true;
}

void SessionLoop::RunWatchdog(int64_t now_ms) {
  const bool awaiting = phase_ == Phase::kRunning && !down_ && conversation_->AwaitingServer();
  const AnswerWatchdog::Due due = watchdog_.Update(now_ms, awaiting);
  if (due.check_alive) {
    link_->CheckAlive(AnswerWatchdog::kAnswerWithinS);
    keep_alive_.PutOff(now_ms);
  }
  // A ping after keepalive_s of silence; its answer may take as long again, plus 5 s.
  if (keep_alive_.Due(now_ms)) link_->CheckAlive(options_.keepalive_s + 5);
  if (due.silent && conversation_->OnServerSilent(watchdog_.answer_timeout_ms() / 1000)) {
    BeginClose(ExitCode::kFailure);
  }
}

void SessionLoop::BeforeWait(Output output) {
  if (done_) return;
  for (;;) {
    if (phase_ != Phase::kClosing && (conversation_->Finished() || output != Output::kOk)) {
      // The reader of | head -1 has what it wanted: the turns it did not read are not failures.
      const bool failed =
          output == Output::kFailed || (output == Output::kOk && conversation_->failed_turns() > 0);
      Close(conversation_->Interrupted() ? ExitCode::kInterrupted
            : failed                     ? ExitCode::kFailure
                                         : ExitCode::kSuccess);
      if (done_) return;
    }
    const int64_t now_ms = clock_->NowMs();
    if (phase_ != Phase::kClosing && reconnector_.retry().Passed(now_ms)) {
      reconnector_.retry().Clear();
      LOG_INFO("reconnecting to %s", options_.url.c_str());
      Connect();
    }
    if (MaybeRenew(now_ms)) continue;
    RunWatchdog(now_ms);
    return;
  }
}

int64_t SessionLoop::NextWakeMs() const {
  return Earliest({session_created_by_.at_ms(), closed_by_.at_ms(), watchdog_.NextDeadlineMs(),
                   keep_alive_.NextDeadlineMs(), reconnector_.retry().at_ms(), renew_at_ms_});
}

bool SessionLoop::AfterWait() {
  const int64_t now_ms = clock_->NowMs();
  if (closed_by_.Passed(now_ms)) {
    closed_by_.Clear();
    if (phase_ == Phase::kClosing && awaiting_closed_) {  // no session.closed: the frame now
      awaiting_closed_ = false;
      closed_by_.Set(now_ms + kCloseTimeoutMs);
      link_->Close();
    } else if (phase_ == Phase::kClosing) {  // the server never acknowledged the close: leave
      Finish(exit_code_);
    } else {  // nor the renewal's: start the next session anyway
      Renew();
    }
    return true;
  }
  if (!session_created_by_.Passed(now_ms)) return false;
  session_created_by_.Clear();
  const std::string why = "the server sent no " + options_.session_event + " within " +
                          std::to_string(kSessionCreatedTimeoutMs / 1000) + " s";
  if (!had_session_) {
    LOG_ERROR("%s", why.c_str());
    BeginClose(ExitCode::kFailure);
  } else if (!ScheduleRetry(why)) {
    Finish(ExitCode::kConnect);
  }
  return true;
}

void SessionLoop::HandleQueued(WakeupQueue<NetEvent>* queue) {
  queue->Drain(&events_);
  while (!events_.empty() && !done_) {
    NetEvent event = std::move(events_.front());
    events_.pop_front();
    OnNetEvent(std::move(event));
  }
  flush_output_();
}

void SessionLoop::OnNetEvent(NetEvent event) {
  link_->Consumed(event);              // before the handling, which may block on stdout
  if (!link_->Current(event)) return;  // from a connection already given up
  // Server text enters here (messages, refusals, close reasons): an echoed key stops here.
  ProcessSecretMask().Mask(&event.text);
  if (event.kind != NetEvent::Kind::kOpen && event.kind != NetEvent::Kind::kMessage) {
    keep_alive_.Stop();  // the connection is over
  }
  switch (event.kind) {
    case NetEvent::Kind::kOpen: OnOpen(); break;
    case NetEvent::Kind::kFailed: OnFailed(event); break;
    case NetEvent::Kind::kClosed: OnClosed(event); break;
    case NetEvent::Kind::kProtocolError: OnProtocolError(event); break;
    case NetEvent::Kind::kMessage: OnMessage(&event); break;
  }
}

void SessionLoop::OnOpen() {
  LOG_INFO("connected");
  if (phase_ == Phase::kRunning) {
    started_ = false;
    ignored_before_start_ = 0;
    session_created_by_.Set(clock_->NowMs() + kSessionCreatedTimeoutMs);
    keep_alive_.Start(clock_->NowMs());
    if (options_.start_session) options_.start_session();
  }
}

void SessionLoop::OnFailed(const NetEvent& event) {
  if (phase_ == Phase::kClosing) return Finish(exit_code_);
  // The key, the account or the model: no retry, even of a reconnect, and even for a 429 whose
  // body says the quota is gone rather than "slow down".
  const FatalError fatal =
      event.code > 0 ? ClassifyServerError(event.error_code, event.code, event.text,
                                           options_.asked_model, options_.transcription_model)
                     : FatalError::kNone;
  if (fatal != FatalError::kNone || (!had_session_ && !IsPassingHttpStatus(event.code))) {
    LOG_ERROR("%s", DescribeFatal(fatal, options_, event.text).c_str());
    return Finish(ExitCode::kConnect);
  }
  if (!ScheduleRetry(event.text)) Finish(ExitCode::kConnect);
}

void SessionLoop::OnClosed(const NetEvent& event) {
  flush_output_();
  if (phase_ == Phase::kClosing) return Finish(exit_code_);
  if (phase_ == Phase::kRenewing) return Renew();
  const std::string why = DescribeClose(event);
  if (!had_session_ || !IsTransientClose(event.code) || options_.reconnect_tries == 0) {
    LOG_ERROR("%s", why.c_str());
    return Finish(ExitCode::kFailure);
  }
  GoDown();
  if (!ScheduleRetry(why)) Finish(ExitCode::kConnect);
}

void SessionLoop::OnProtocolError(const NetEvent& event) {
  flush_output_();
  if (phase_ == Phase::kClosing) return Finish(exit_code_);
  if (phase_ == Phase::kRenewing) return Renew();  // the session was ending anyway
  // Not tried again: a server that sends what the protocol forbids is broken, not passing
  // through a bad moment.
  LOG_ERROR("the server broke the WebSocket protocol (%s)", event.text.c_str());
  Finish(ExitCode::kFailure);
}

// Usage is summed over every session of the run, whatever the conversation does.
void SessionLoop::CountUsage(const ServerEvent& event) {
  switch (event.type) {
    case ServerEventType::kSessionCreated:
      if (options_.start_session) usage_->LiveSessionStarted();
      [[fallthrough]];
    case ServerEventType::kSessionUpdated:
      usage_->SetModel(event.session_model);
      usage_->SetTranscriptionModel(event.session_transcription_model);
      break;
    case ServerEventType::kResponseCreated: usage_->ResponseCreated(event.response.id); break;
    case ServerEventType::kResponseDone: usage_->AddResponse(event.usage, event.response.id); break;
    case ServerEventType::kInputTranscriptCompleted: usage_->AddTranscription(event.usage); break;
    case ServerEventType::kUsageUpdated:
    case ServerEventType::kSessionClosed: usage_->SetLiveSeconds(event.usage); break;
    case ServerEventType::kBackendEvent:
      if (event.backend_type == ServerEventType::kResponseDone) {
        usage_->AddBackendResponse(event.usage, event.response.id, event.session_model);
      }
      break;
    default: break;
  }
}

// An error event that refuses the key, the account or the model ends the run.
bool SessionLoop::EndsOnFatalError(const ServerEvent& event) {
  if (event.type != ServerEventType::kError || phase_ == Phase::kClosing) return false;
  const FatalError fatal = ClassifyServerError(CodeOrType(event.error), 0, event.error.message,
                                               options_.asked_model, options_.transcription_model);
  if (fatal == FatalError::kNone) return false;
  const std::string words = Printable(std::string(CodeOrType(event.error))) + ": " +
                            Printable(std::string(event.error.message));
  LOG_ERROR("%s",
            DescribeFatal(
                fatal, options_,
                fatal == FatalError::kAccount ? "the server refused the session: " + words : words)
                .c_str());
  BeginClose(ExitCode::kConnect);
  return true;
}

// At once after a session that got somewhere; otherwise it counts as a try, so that a server
// expiring every session at once cannot make a storm of them.
void SessionLoop::OnSessionExpired() {
  // In the server's words: Realtime's error code, GPT-Live's session.closed reason.
  const std::string why = options_.start_session ? "the server ended the session (expired)"
                                                 : "the server ended the session (session_expired)";
  if (reconnector_.SessionEnded(clock_->NowMs(), ProgressAnswers())) {
    BeginRenewal("the server says it has expired", 0);
  } else if (options_.reconnect_tries == 0) {
    LOG_ERROR("%s", why.c_str());
    BeginClose(ExitCode::kFailure);
  } else if (const int64_t delay_ms = NextTryDelayMs(why); delay_ms < 0) {
    BeginClose(ExitCode::kConnect);
  } else {
    BeginRenewal("it expired", delay_ms);
  }
}

void SessionLoop::OnMessage(NetEvent* event) {
  watchdog_.OnServerEvent(clock_->NowMs());
  keep_alive_.PutOff(clock_->NowMs());
  event_log_->Received(event->text);
  ServerEvent parsed;
  const bool escaped = event->text.find('\\') != std::string::npos;
  Status status = options_.parse(&event->text, &parsed);
  // JSON escapes can spell the key: the strings decoded in place are masked too.
  if (escaped) ProcessSecretMask().Mask(&event->text);
  parsed.received_ns = event->received_ns;
  if (!status.ok()) {
    if (skipped_lines_.Admit(clock_->NowMs())) {
      LOG_WARN("skipped a server message: %s", status.message().c_str());
    }
    return;
  }
  if (parsed.type == ServerEventType::kUnknown && unknown_lines_.Admit(clock_->NowMs())) {
    LOG_DEBUG("ignored an event of unknown type \"%s\"",
              Printable(std::string(parsed.type_name)).c_str());
  }
  if (BlockedBeforeStart(parsed)) return;
  CountUsage(parsed);
  if (EndsOnFatalError(parsed) || EndsBeforeStart(parsed)) return;
  if (parsed.type == ServerEventType::kError && parsed.error.code == "session_expired" &&
      phase_ == Phase::kRunning) {
    return OnSessionExpired();
  }
  const bool was_ready = conversation_->session_ready();
  conversation_->OnServerEvent(parsed);
  // After the conversation, which makes what was said whole first: a renewal passes it on.
  if (parsed.type == ServerEventType::kSessionClosed) return OnSessionClosed(parsed);
  if (!was_ready && conversation_->session_ready() && phase_ != Phase::kClosing) {
    session_created_by_.Clear();
    reconnector_.SessionBegan(clock_->NowMs(), ProgressAnswers());
    if (told_reconnecting_) notify_("reconnected");
    told_reconnecting_ = false;
    had_session_ = true;
    down_ = false;
  }
}

}  // namespace voxterm

namespace voxterm {

// GPT-Live: a session that never started cannot be used, and trying again would be refused
// the same way (a bad model, a refused session.start): one line, and the connection's code.
bool SessionLoop::EndsBeforeStart(const ServerEvent& event) {
  if (!options_.start_session || event.type != ServerEventType::kError ||
      phase_ != Phase::kRunning || conversation_->session_ready()) {
    return false;
  }
  const std::string code(CodeOrType(event.error));
  LOG_ERROR("the server refused the session: %s%s%s", Printable(code, 100).c_str(),
            code.empty() ? "" : ": ", Printable(std::string(event.error.message), 300).c_str());
  BeginClose(ExitCode::kConnect);
  return true;
}

// Before session.started the session does not exist (LIVE.md section 3), nor before
// session.created a Realtime one (its first event, PROTOCOL.md): the server has nothing to say
// but an error (EndsBeforeStart) or that event itself. Anything else is not acted on (no words
// shown, no usage counted, no tool or delegation run), and a session.closed is a start that
// failed, not a session that ended well.
bool SessionLoop::BlockedBeforeStart(const ServerEvent& event) {
  if (started_ || event.type == ServerEventType::kError) return false;
  if (event.type == ServerEventType::kSessionCreated) {
    started_ = true;
    if (ignored_before_start_ > 0) {
      LOG_INFO("ignored %lld event(s) that came before %s",
               static_cast<long long>(ignored_before_start_), options_.session_event.c_str());
    }
    return EndsOnAudioFormat(event);
  }
  if (event.type == ServerEventType::kSessionClosed && phase_ == Phase::kRunning) {
    const std::string reason = Printable(std::string(event.text), 64);
    LOG_ERROR("the server closed the session before it started (%s)",
              reason.empty() ? "no reason given" : reason.c_str());
    BeginClose(ExitCode::kConnect);
    return true;
  }
  ++ignored_before_start_;
  if (!std::exchange(warned_before_start_, true)) {
    LOG_WARN("ignored %s: it came before %s (later ones are counted, -v)",
             Printable(std::string(event.type_name), 64).c_str(), options_.session_event.c_str());
  }
  return true;
}

// voxterm plays and sends one format only, the one it asked for: audio in another would be
// misread (noise at the wrong speed), so the session cannot be used.
bool SessionLoop::EndsOnAudioFormat(const ServerEvent& event) {
  if (options_.audio_type.empty() || event.session_audio_type.empty()) return false;
  if (event.session_audio_type == options_.audio_type &&
      event.session_audio_rate_hz == options_.audio_rate_hz) {
    return false;
  }
  const std::string rate = event.session_audio_rate_hz < 0
                               ? std::string("no rate")
                               : std::to_string(event.session_audio_rate_hz) + " Hz";
  LOG_ERROR(
      "the server started the session in audio format %s at %s, not the %s at %lld Hz "
      "asked for",
      Printable(std::string(event.session_audio_type), 64).c_str(), rate.c_str(),
      std::string(options_.audio_type).c_str(), static_cast<long long>(options_.audio_rate_hz));
  BeginClose(ExitCode::kConnect);
  return true;
}

// GPT-Live's answers are voxterm's own grouping of a stream the server sends unasked (a word
// and then session.closed make one), so there only a session's lifetime counts as progress:
// a server that ends every session at once is backed off from and given up, as Realtime's
// lost connections are, and a session that lived (a real expiry) is renewed at once.
uint64_t SessionLoop::ProgressAnswers() const {
  return options_.start_session ? 0 : conversation_->answers();
}

// session.closed's reason says what comes next (LIVE.md section 1.4).
void SessionLoop::OnSessionClosed(const ServerEvent& event) {
  if (phase_ == Phase::kClosing) {  // the answer to our session.close: now the close frame
    GoDown();                       // the session is over: nothing more is sent to it
    if (awaiting_closed_) {
      awaiting_closed_ = false;
      closed_by_.Set(clock_->NowMs() + kCloseTimeoutMs);
      link_->Close();
    }
    return;
  }
  if (phase_ == Phase::kRenewing) return;  // already on the way to the next
  const std::string reason = Printable(std::string(event.text), 64);
  if (event.text == "expired") return OnSessionExpired();
  // The session is over: there is nothing left to ask to close (GoDown), only the connection.
  if (event.text == "close_requested") {
    notify_("the session was closed (close_requested)");
    GoDown();
    return BeginClose(ExitCode::kSuccess);
  }
  if (event.text == "content") {
    LOG_ERROR(
        "the server ended the session: its safety system stopped the conversation "
        "(content)");
    GoDown();
    return BeginClose(ExitCode::kFailure);
  }
  // remote_hangup, connection_lost, a reason not known yet: as a lost connection.
  const std::string why =
      "the server closed the session (" + (reason.empty() ? "no reason given" : reason) + ")";
  if (options_.reconnect_tries == 0) {
    LOG_ERROR("%s", why.c_str());
    return BeginClose(ExitCode::kFailure);
  }
  GoDown();
  if (!ScheduleRetry(why)) Finish(ExitCode::kConnect);
}

}  // namespace voxterm
