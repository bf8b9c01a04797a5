// SessionLoop: the life of the connection around a conversation, whatever the mode: connecting,
// the first session.created, reconnecting with backoff after a loss that may pass, renewing the
// session at a quiet moment before the server's time limit (or at once when the server says it
// has expired), the keep-alive, the silent-server watchdog, fatal errors, and the polite close
// at the end.
//
// It owns no file descriptor and never waits: the poll loop in app/run.cpp calls it around each
// wait (ninja's Builder, driven by a CommandRunner). Time comes from a Clock and connections from
// the Link's transport factory, so tests drive it all on a fake clock with FakeTransports.
//
// GPT-Live's sessions are the client's to open and close (SessionLoopOptions::start_session,
// close_session) and end with session.closed, whose reason says what comes next
// (OnSessionClosed); docs/protocol.md's GPT-Live section.
//
// Once done(), the run is over and exit_code() says how it ended (util/exit_code.h).
// Thread safety: main thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "conversation/conversation.h"
#include "conversation/event_log.h"
#include "session/link.h"
#include "session/session_timers.h"
#include "session/usage.h"
#include "transport/connect_diagnosis.h"
#include "util/clock.h"
#include "util/exit_code.h"
#include "util/log.h"

namespace voxterm {

struct SessionLoopOptions {
  std::string url;  // for log lines only (it carries no secret)
  // The models a refusal may name (ClassifyServerError): the model the URL asked for (its own
  // model= or deployment= wins over --model), and the transcription model ("": none).
  std::string asked_model;
  bool model_from_url = false;  // asked_model came from the URL rather than --model
  std::string transcription_model;
  int answer_timeout_ms = 30000;  // 0: never
  int reconnect_tries = 5;        // 0: never
  int renew_session_s = 55 * 60;  // 0: only when the server ends the session
  // An open connection is pinged after this long without a message from the server, and
  // counts as lost when nothing at all has come for twice as long plus 5 s.
  int keepalive_s = 20;
  // The API's reader of server messages, the other half of its ClientProtocol: every message is
  // parsed here, once, and the conversation gets typed events. Realtime's reads both dialects.
  Status (*parse)(std::string* buffer, ServerEvent* event) = ParseServerEvent;
  // The event that announces a session, for messages: Realtime's session.created, GPT-Live's
  // session.started.
  std::string session_event = "session.created";
  // GPT-Live: the client opens each session (start_session, called as each connection opens:
  // session.start) and ends it politely (close_session: session.close, then the server's
  // session.closed, before the close frame). An error before the session starts is fatal.
  // Empty: Realtime's way, where the server announces the session and a close frame ends it.
  std::function<void()> start_session;
  std::function<void()> close_session;
  // GPT-Live: the audio format session.start asks for. A session.started in another is fatal
  // (its audio would be misread); one that leaves the format out runs in the one asked for.
  std::string_view audio_type;  // empty: not checked
  int64_t audio_rate_hz = -1;
};

// The words for a refusal no turn can get past: server_words, and what to change for a model.
std::string DescribeFatal(FatalError fatal, const SessionLoopOptions& options,
                          const std::string& server_words);

class SessionLoop {
 public:
  // The server's first message is session.created; without it no turn can start.
  static constexpr int kSessionCreatedTimeoutMs = 15000;
  // How long to wait for the server to answer our close frame before leaving anyway.
  static constexpr int kCloseTimeoutMs = 3000;
  // GPT-Live: how long session.close waits for session.closed (the server drains first);
  // interrupted (Ctrl-C, SIGTERM), less, so that the close frame still goes out within the
  // second the signal watch allows (app/signal_watch.h: kExitGraceMs).
  static constexpr int kSessionCloseTimeoutMs = 2000;
  static constexpr int kInterruptedSessionCloseMs = 600;

  // Tells the user about the connection: the status line in a spoken conversation, stderr in
  // text mode.
  using Notify = std::function<void(const std::string&)>;

  // random: uniform in [0, 1), the backoff's jitter. flush_output: stdout's buffered answer,
  // written before a message about the connection's end.
  SessionLoop(SessionLoopOptions options, const Clock* clock, Link* link,
              Conversation* conversation, EventLog* event_log, UsageTotals* usage, Notify notify,
              std::function<void()> flush_output, std::function<double()> random);

  // Connects.
  void Start();
  // Where the answers go (stdout in text mode). kReaderGone: its reader closed it (| head -1),
  // which ends the conversation quietly, as a success; kFailed: a write failed otherwise.
  enum class Output { kOk, kReaderGone, kFailed };
  // Before each wait: ends a finished conversation, or one whose output is gone, makes a retry
  // or renewal that is due, and runs the watchdog.
  void BeforeWait(Output output);
  // When the loop must wake at the latest, -1: only for an event.
  int64_t NextWakeMs() const;
  // After each wait: the opening and closing deadlines. True when one fell due (the loop then
  // goes round again before it handles what the wait brought).
  bool AfterWait();
  // Everything the network threads queued.
  void HandleQueued(WakeupQueue<NetEvent>* queue);
  // Ends the run: the connection is closed politely (at once if there is none).
  void Close(ExitCode code);

  bool closing() const { return phase_ == Phase::kClosing; }
  bool done() const { return done_; }
  int exit_code() const { return exit_code_; }

 private:
  // kRunning: connecting, in a session, or waiting to try again; kRenewing: closing a session
  // to start the next; kClosing: the run is ending.
  enum class Phase { kRunning, kRenewing, kClosing };

  void Finish(ExitCode code);
  void Finish(int code);
  void BeginClose(ExitCode code);
  void GoDown();
  bool ScheduleRetry(const std::string& why);
  int64_t NextTryDelayMs(const std::string& why);
  void BeginRenewal(const char* why, int64_t delay_ms);
  void Renew();
  bool MaybeRenew(int64_t now_ms);
  void RunWatchdog(int64_t now_ms);
  // A new connection, or none: the keep-alive stops with the old one.
  void Connect();
  void Drop();

  void OnNetEvent(NetEvent event);
  void OnOpen();
  void OnFailed(const NetEvent& event);
  void OnClosed(const NetEvent& event);
  void OnProtocolError(const NetEvent& event);
  void OnMessage(NetEvent* event);
  void CountUsage(const ServerEvent& event);
  bool EndsOnFatalError(const ServerEvent& event);
  void OnSessionExpired();
  // GPT-Live's session.closed, by reason; and an error before its session.started.
  void OnSessionClosed(const ServerEvent& event);
  bool EndsBeforeStart(const ServerEvent& event);
  // Whether the event is stopped before the conversation, because the session has not started
  // (only an error or session.created / session.started makes sense then), or because GPT-Live's
  // session.started is unusable (another audio format); counted, and the run may end.
  bool BlockedBeforeStart(const ServerEvent& event);
  bool EndsOnAudioFormat(const ServerEvent& event);
  // The answers that count as a session's progress (Reconnector).
  uint64_t ProgressAnswers() const;

  const SessionLoopOptions options_;
  const Clock* const clock_;
  Link* const link_;
  Conversation* const conversation_;
  EventLog* const event_log_;
  UsageTotals* const usage_;
  const Notify notify_;
  const std::function<void()> flush_output_;

  Phase phase_ = Phase::kRunning;
  bool done_ = false;
  int exit_code_ = 0;
  Deadline session_created_by_;  // kRunning, once connected: the first message is due
  Deadline closed_by_;           // kRenewing and kClosing: the server's answer to our close
  AnswerWatchdog watchdog_;
  KeepAlive keep_alive_;
  Reconnector reconnector_;
  Renewal renewal_;
  int64_t renew_at_ms_ = -1;          // the next renewal, while one is pending and not yet quiet
  int64_t renew_delay_ms_ = 0;        // kRenewing: the next session waits this long (a try)
  bool had_session_ = false;          // a session worked: losses from now on are tried again
  bool down_ = false;                 // the conversation was told it is disconnected
  bool told_reconnecting_ = false;    // the user saw "reconnecting", so will see "reconnected"
  bool awaiting_closed_ = false;      // kClosing: session.close is out, session.closed is due
  bool started_ = false;              // this connection's session.created (.started) came
  int64_t ignored_before_start_ = 0;  // GPT-Live: events before it, on this connection
  bool warned_before_start_ = false;  // the first such event was warned about (once a run)
  std::deque<NetEvent> events_;
  // What a flooding server would otherwise write a line per event of (util/log.h).
  LogThrottle skipped_lines_{LogLevel::kWarn, "server messages skipped"};
  LogThrottle unknown_lines_{LogLevel::kDebug, "events of unknown type"};
};

}  // namespace voxterm
