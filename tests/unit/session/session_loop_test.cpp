#include "session/session_loop.h"

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "fakes/fake_clock.h"
#include "fakes/fake_transport.h"
#include "protocol/live_events.h"

using namespace voxterm;

namespace {

// A conversation reduced to what the loop asks of it; tests set its answers.
class FakeConversation : public Conversation {
 public:
  void OnServerEvent(const ServerEvent& event) override {
    if (event.type == ServerEventType::kSessionCreated) ready = true;
    events.emplace_back(event.type_name);
  }
  void OnUserLine(std::string) override {}
  void OnInputEnd() override {}
  bool session_ready() const override { return ready; }
  bool Finished() const override { return finished; }
  bool WantsPrompt() const override { return false; }
  int failed_turns() const override { return failed; }
  bool AwaitingServer() const override { return awaiting; }
  bool OnServerSilent(int seconds) override {
    silences.push_back(seconds);
    return end_on_silence;
  }
  void OnDisconnected() override {
    ready = false;
    ++disconnects;
  }
  uint64_t answers() const override { return completed; }
  bool Quiet() const override { return quiet; }
  Status ChangeVoice(std::string) override { return Status::Ok(); }
  void ChangeInstructions(std::string) override {}

  bool ready = false;
  bool finished = false;
  int failed = 0;
  bool awaiting = false;
  bool end_on_silence = false;
  bool quiet = true;
  uint64_t completed = 0;
  int disconnects = 0;
  std::vector<int> silences;
  std::vector<std::string> events;
};

// The poll loop of app/run.cpp, with the clock moved by the test instead of waited on.
struct SessionLoopTest {
  FakeClock clock;
  WakeupQueue<NetEvent> queue;
  int connections = 0;
  FakeTransport* current = nullptr;  // the newest connection, owned by the Link
  Link link{ConnectOptions{}, &queue, [this] {
              auto transport = std::make_unique<FakeTransport>();
              current = transport.get();
              ++connections;
              return transport;
            }};
  FakeConversation conversation;
  EventLog event_log{&clock};
  UsageTotals usage{"gpt-realtime-2.1", ""};
  std::vector<std::string> notices;
  SessionLoopOptions options;
  std::optional<SessionLoop> loop;

  void Start() {
    loop.emplace(
        options, &clock, &link, &conversation, &event_log, &usage,
        [this](const std::string& text) { notices.push_back(text); }, [] {},
        [] { return 0.0; });  // no jitter: the delays are 0.5 s, 1 s, 2 s...
    loop->Start();
    Turn();
  }
  // What the network thread queued is handled, then the loop prepares its next wait.
  void Turn() {
    if (loop->done()) return;
    loop->HandleQueued(&queue);
    if (!loop->done()) loop->BeforeWait(SessionLoop::Output::kOk);
  }
  // Time passes as it does in poll: the loop wakes at each deadline it asked for on the way.
  void Wait(int64_t ms) {
    const int64_t end_ms = clock.now_ms + ms;
    while (!loop->done()) {
      const int64_t wake_ms = loop->NextWakeMs();
      if (wake_ms < 0 || wake_ms > end_ms) break;
      clock.now_ms = std::max(clock.now_ms, wake_ms);
      loop->AfterWait();
      Turn();
    }
    clock.now_ms = end_ms;
    if (loop->done()) return;
    loop->AfterWait();
    Turn();
  }
  void Server(const std::string& json) {
    current->InjectMessage(json);
    Turn();
  }
  void Open() {
    current->InjectOpen();
    Turn();
  }
  void SessionCreated() { Server(R"({"type":"session.created","session":{}})"); }
  void Connected() {
    Open();
    SessionCreated();
  }
  void Lost() {
    current->InjectClose(1006, "reset");
    Turn();
  }
};

}  // namespace

TEST_CASE_METHOD(SessionLoopTest, "a lost session is tried again after 0.5 s and resumes",
                 "[session_loop]") {
  Start();
  Connected();
  Lost();
  CHECK(conversation.disconnects == 1);
  CHECK(notices ==
        std::vector<std::string>{
            "the connection was lost (reset); reconnecting in 0.5 s (try 1 of 5)\u2026"});
  Wait(499);
  CHECK(connections == 1);
  Wait(1);
  CHECK(connections == 2);
  Connected();
  CHECK(notices.back() == "reconnected");
  CHECK_FALSE(loop->done());
}

TEST_CASE_METHOD(SessionLoopTest, "the waits double while tries fail, then the run ends with 3",
                 "[session_loop]") {
  options.reconnect_tries = 3;
  Start();
  Connected();
  Lost();
  Wait(500);  // try 1: refused
  current->InjectFailure(0, "connection refused");
  Turn();
  CHECK(notices.back() == "connection refused; reconnecting in 1.0 s (try 2 of 3)\u2026");
  Wait(999);
  CHECK(connections == 2);
  Wait(1);  // try 2: open, but no session.created within 15 s
  Open();
  Wait(14999);
  CHECK(connections == 3);
  Wait(1);
  CHECK(notices.back() ==
        "the server sent no session.created within 15 s; reconnecting in 2.0 s (try 3 of 3)\u2026");
  Wait(2000);  // try 3: lost before the session
  CHECK(connections == 4);
  Open();
  Lost();
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(ExitCode::kConnect));
}

TEST_CASE_METHOD(SessionLoopTest, "a session that answered starts the tries over",
                 "[session_loop]") {
  Start();
  Connected();
  Lost();
  Wait(500);
  Connected();
  Lost();
  CHECK(notices.back().find("in 1.0 s (try 2 of 5)") != std::string::npos);
  Wait(1000);
  Connected();
  conversation.completed = 1;
  Lost();
  CHECK(notices.back().find("in 0.5 s (try 1 of 5)") != std::string::npos);
}

TEST_CASE_METHOD(SessionLoopTest, "a session up for a minute starts the tries over too",
                 "[session_loop]") {
  Start();
  Connected();
  Lost();
  Wait(500);
  Connected();
  Wait(Reconnector::kSteadySessionMs);
  Lost();
  CHECK(notices.back().find("in 0.5 s (try 1 of 5)") != std::string::npos);
}

TEST_CASE_METHOD(SessionLoopTest, "a first connection is not tried again, but for 429 and 5xx",
                 "[session_loop]") {
  SECTION("refused: the key") {
    Start();
    current->InjectFailure(401, "HTTP 401", "invalid_api_key");
    Turn();
    REQUIRE(loop->done());
    CHECK(loop->exit_code() == ToInt(ExitCode::kConnect));
  }
  SECTION("unreachable") {
    Start();
    current->InjectFailure(0, "connection refused");
    Turn();
    REQUIRE(loop->done());
    CHECK(loop->exit_code() == ToInt(ExitCode::kConnect));
  }
  SECTION("busy") {
    Start();
    current->InjectFailure(503, "HTTP 503");
    Turn();
    CHECK_FALSE(loop->done());
    Wait(500);
    CHECK(connections == 2);
  }
  SECTION("closed before any session") {
    Start();
    Open();
    Lost();
    REQUIRE(loop->done());
    CHECK(loop->exit_code() == ToInt(ExitCode::kFailure));
  }
}

TEST_CASE_METHOD(SessionLoopTest, "a first session.created that never comes ends the run",
                 "[session_loop]") {
  Start();
  Open();
  Wait(SessionLoop::kSessionCreatedTimeoutMs);
  CHECK(current->closed);
  CHECK_FALSE(loop->done());
  Wait(SessionLoop::kCloseTimeoutMs);  // the server does not answer the close either
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(ExitCode::kFailure));
}

TEST_CASE_METHOD(SessionLoopTest, "a close that is not a passing one is not tried again",
                 "[session_loop]") {
  Start();
  Connected();
  current->InjectClose(1008, "policy");
  Turn();
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(ExitCode::kFailure));
}

TEST_CASE_METHOD(SessionLoopTest, "reconnect_tries 0 ends the run at the first loss",
                 "[session_loop]") {
  options.reconnect_tries = 0;
  Start();
  Connected();
  Lost();
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(ExitCode::kFailure));
}

TEST_CASE_METHOD(SessionLoopTest, "the session is renewed when due, at a quiet moment",
                 "[session_loop]") {
  options.renew_session_s = 600;
  Start();
  Connected();
  conversation.quiet = false;
  Wait(600 * 1000);
  CHECK_FALSE(current->closed);  // an answer is on its way: later
  conversation.quiet = true;
  Turn();  // the answer's last event wakes the loop
  CHECK(current->closed);
  CHECK(conversation.disconnects == 1);
  current->InjectClose(1000);
  Turn();
  CHECK(connections == 2);  // at once: a renewal is not a loss
  Connected();
  CHECK(notices.empty());
  Wait(599 * 1000);
  CHECK(connections == 2);  // the next one is due a full period later
}

TEST_CASE_METHOD(SessionLoopTest, "a renewal waits 3 s for the old session's close",
                 "[session_loop]") {
  options.renew_session_s = 600;
  Start();
  Connected();
  Wait(600 * 1000);
  REQUIRE(current->closed);
  Wait(SessionLoop::kCloseTimeoutMs - 1);
  CHECK(connections == 1);
  Wait(1);
  CHECK(connections == 2);
}

TEST_CASE_METHOD(SessionLoopTest, "session_expired renews at once after a session that answered",
                 "[session_loop]") {
  Start();
  Connected();
  conversation.completed = 1;
  Server(R"({"type":"error","error":{"type":"invalid_request_error","code":"session_expired",)"
         R"("message":"Your session hit the maximum duration of 60 minutes."}})");
  CHECK(current->closed);
  current->InjectClose(1000);
  Turn();
  CHECK(connections == 2);
}

TEST_CASE_METHOD(SessionLoopTest, "session_expired at once counts as a try, so it cannot storm",
                 "[session_loop]") {
  options.reconnect_tries = 2;
  const std::string expired =
      R"({"type":"error","error":{"type":"invalid_request_error","code":"session_expired",)"
      R"("message":"expired"}})";
  Start();
  Connected();
  Server(expired);
  current->InjectClose(1000);
  Turn();
  CHECK(connections == 1);  // the next session waits its turn
  Wait(500);
  CHECK(connections == 2);
  Connected();
  Server(expired);
  current->InjectClose(1000);
  Turn();
  Wait(1000);
  Connected();
  Server(expired);
  CHECK(current->closed);
  current->InjectClose(1000);
  Turn();
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(ExitCode::kConnect));
}

TEST_CASE_METHOD(SessionLoopTest, "a silent server is pinged after 5 s and reported at 30 s",
                 "[session_loop]") {
  Start();
  Connected();
  conversation.awaiting = true;
  Turn();
  Wait(AnswerWatchdog::kAliveCheckAfterMs - 1);
  CHECK(current->alive_checks == 0);
  Wait(1);
  CHECK(current->alive_checks == 1);
  Wait(30000 - AnswerWatchdog::kAliveCheckAfterMs - 1);
  CHECK(conversation.silences.empty());
  Wait(1);
  CHECK(conversation.silences == std::vector<int>{30});
  Wait(60000);
  CHECK(conversation.silences.size() == 1);  // once per silence
  CHECK(current->alive_checks == 18);        // every 5 s while it lasts
  Server(R"({"type":"response.output_text.delta","delta":"x"})");
  Wait(30000);
  CHECK(conversation.silences.size() == 2);
}

TEST_CASE_METHOD(SessionLoopTest, "an idle connection is pinged every keepalive_s",
                 "[session_loop]") {
  options.keepalive_s = 20;
  Start();
  Connected();
  Wait(19999);
  CHECK(current->alive_checks == 0);
  Wait(1);
  REQUIRE(current->alive_checks == 1);
  // Its answer may take as long again, plus 5 s: lost 45 s into a silence.
  CHECK(current->alive_check_patience_s == std::vector<int>{25});
  Wait(40000);
  CHECK(current->alive_checks == 3);
  CHECK(!loop->done());
}

TEST_CASE_METHOD(SessionLoopTest, "messages from the server put the keep-alive off",
                 "[session_loop]") {
  options.keepalive_s = 20;
  Start();
  Connected();
  for (int i = 0; i < 10; ++i) {
    Wait(19000);
    Server(R"({"type":"rate_limits.updated","rate_limits":[]})");
  }
  Wait(19999);
  CHECK(current->alive_checks == 0);
  Wait(1);
  CHECK(current->alive_checks == 1);  // 20 s after the last message
}

TEST_CASE_METHOD(SessionLoopTest, "the keep-alive runs only while a connection is open",
                 "[session_loop]") {
  options.keepalive_s = 20;
  Start();
  Wait(60000);  // still connecting: the transport's handshake deadline is the one that counts
  CHECK(current->alive_checks == 0);
  Connected();
  Lost();
  Wait(60000);  // the next try is made, and never opens
  CHECK(connections == 2);
  CHECK(current->alive_checks == 0);
  Connected();
  conversation.finished = true;
  Turn();
  REQUIRE(current->closed);
  Wait(2999);  // the close's own deadline, not a ping
  CHECK(current->alive_checks == 0);
}

TEST_CASE_METHOD(SessionLoopTest, "the watchdog's pings put the keep-alive's off",
                 "[session_loop]") {
  options.keepalive_s = 20;
  Start();
  Connected();
  conversation.awaiting = true;
  Turn();
  Wait(20000);
  // The watchdog's, at 5, 10, 15 and 20 s, each to be answered within 5 s.
  CHECK(current->alive_check_patience_s == std::vector<int>{5, 5, 5, 5});
  conversation.awaiting = false;
  Turn();
  Wait(19999);
  CHECK(current->alive_checks == 4);
  Wait(1);
  CHECK(current->alive_check_patience_s.back() == 25);
}

TEST_CASE_METHOD(SessionLoopTest, "events keep the watchdog quiet", "[session_loop]") {
  Start();
  Connected();
  conversation.awaiting = true;
  Turn();
  for (int i = 0; i < 20; ++i) {
    Wait(4000);
    Server(R"({"type":"response.output_text.delta","delta":"x"})");
  }
  CHECK(current->alive_checks == 0);
  CHECK(conversation.silences.empty());
}

TEST_CASE_METHOD(SessionLoopTest, "a silence that ends the conversation ends the run with 1",
                 "[session_loop]") {
  options.answer_timeout_ms = 10000;
  Start();
  Connected();
  conversation.awaiting = true;
  conversation.end_on_silence = true;
  Turn();
  Wait(10000);
  CHECK(current->closed);
  current->InjectClose(1000);
  Turn();
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(ExitCode::kFailure));
}

TEST_CASE_METHOD(SessionLoopTest, "a finished conversation closes politely, 3 s at most",
                 "[session_loop]") {
  Start();
  Connected();
  conversation.finished = true;
  Turn();
  CHECK(current->closed);
  Wait(SessionLoop::kCloseTimeoutMs - 1);
  CHECK_FALSE(loop->done());
  Wait(1);
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(ExitCode::kSuccess));
}

TEST_CASE_METHOD(SessionLoopTest, "a run that ends between tries ends at once", "[session_loop]") {
  Start();
  Connected();
  Lost();
  loop->Close(ExitCode::kInterrupted);
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(ExitCode::kInterrupted));
}

TEST_CASE_METHOD(SessionLoopTest, "a refused account ends the run with 3", "[session_loop]") {
  Start();
  Connected();
  Server(R"({"type":"error","error":{"type":"invalid_request_error","code":"insufficient_quota",)"
         R"("message":"You exceeded your current quota."}})");
  CHECK(current->closed);
  current->InjectClose(1000);
  Turn();
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(ExitCode::kConnect));
}

TEST_CASE_METHOD(SessionLoopTest, "a late word from a dropped connection is not heard",
                 "[session_loop]") {
  Start();
  Connected();
  FakeTransport* old = current;
  old->InjectClose(1006);
  old->InjectMessage(R"({"type":"response.output_text.delta","delta":"late"})");
  Turn();  // the close drops the connection before its queued message is handled
  CHECK(conversation.events == std::vector<std::string>{"session.created"});
}

TEST_CASE_METHOD(SessionLoopTest, "usage is counted from every session", "[session_loop]") {
  Start();
  Connected();
  Server(R"({"type":"response.created","response":{"id":"r1","status":"in_progress"}})");
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed",)"
         R"("usage":{"total_tokens":10,"input_tokens":4,"output_tokens":6}}})");
  CHECK(usage.ToJson().find("\"responses\":1") != std::string::npos);
}

TEST_CASE_METHOD(SessionLoopTest,
                 "an output whose reader left ends the session quietly, a failed one as failed",
                 "[session_loop]") {
  // The reader of | head -1 is gone: exit 0, whatever was not read. A write that failed
  // otherwise: exit 1.
  const auto [output, code] =
      GENERATE(std::make_pair(SessionLoop::Output::kReaderGone, ExitCode::kSuccess),
               std::make_pair(SessionLoop::Output::kFailed, ExitCode::kFailure));
  Start();
  Connected();
  conversation.failed = 1;  // a turn nobody will read
  loop->BeforeWait(output);
  REQUIRE(current->closed);  // politely: the session is closed, not dropped
  current->InjectClose(1000);
  Turn();
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(code));
}

namespace {

// GPT-Live: the loop opens each session (start_session) and closes it politely (close_session).
struct LiveLoopTest : SessionLoopTest {
  int starts = 0, closes = 0;
  LiveLoopTest() {
    options.parse = ParseLiveEvent;
    options.session_event = "session.started";
    options.start_session = [this] {
      ++starts;
      current->Send(R"({"type":"session.start"})");
    };
    options.close_session = [this] {
      ++closes;
      current->Send(R"({"type":"session.close"})");
    };
  }
  void Started() { Server(R"({"type":"session.started","session":{"model":"gpt-live-1.1"}})"); }
  void Closed(const char* reason, int seconds = 10) {
    Server(std::string(R"({"type":"session.closed","reason":")") + reason +
           R"(","usage":{"seconds":)" + std::to_string(seconds) + "}}");
  }
};

}  // namespace

TEST_CASE_METHOD(LiveLoopTest, "GPT-Live: session.start as the connection opens",
                 "[session_loop][live]") {
  Start();
  CHECK(starts == 0);  // nothing goes before the connection is open
  Open();
  CHECK(starts == 1);
  CHECK(current->sent == std::vector<std::string>{R"({"type":"session.start"})"});
  Started();
  CHECK(conversation.ready);
  CHECK_FALSE(loop->done());
}

TEST_CASE_METHOD(LiveLoopTest, "GPT-Live: no session.started in time ends the run",
                 "[session_loop][live]") {
  Start();
  Open();
  Wait(SessionLoop::kSessionCreatedTimeoutMs);
  CHECK(loop->closing());
  Wait(SessionLoop::kCloseTimeoutMs);
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(ExitCode::kFailure));
}

TEST_CASE_METHOD(LiveLoopTest, "GPT-Live: an error before session.started is fatal",
                 "[session_loop][live]") {
  Start();
  Open();
  Server(R"({"type":"error","error":{"type":"invalid_request_error","code":"unknown_parameter",
      "message":"Unknown parameter: session.tools"}})");
  CHECK(loop->closing());
  CHECK(closes == 0);  // no session to close: the close frame at once
  CHECK(current->closed);
  current->InjectClose(1000, "");
  Turn();
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(ExitCode::kConnect));
  // An error during the session is the conversation's, not the end.
}

TEST_CASE_METHOD(LiveLoopTest, "GPT-Live: an error in a session does not end it",
                 "[session_loop][live]") {
  Start();
  Open();
  Started();
  Server(R"({"type":"error","error":{"type":"invalid_request_error","code":"invalid_audio",
      "message":"odd"}})");
  CHECK_FALSE(loop->closing());
  CHECK(conversation.events.back() == "error");
}

TEST_CASE_METHOD(LiveLoopTest, "GPT-Live: expired renews at once, with a new session.start",
                 "[session_loop][live]") {
  Start();
  Open();
  Started();
  Wait(Reconnector::kSteadySessionMs);  // a session that lived: a real expiry
  Closed("expired", 60);
  CHECK(conversation.events.back() == "session.closed");  // the conversation saw it first
  CHECK(conversation.disconnects == 1);
  CHECK(current->closed);
  current->InjectClose(1000, "");
  Turn();
  CHECK(connections == 2);
  Open();
  CHECK(starts == 2);
  Started();
  CHECK(conversation.ready);
  CHECK(usage.live_seconds() == 60);
}

TEST_CASE_METHOD(LiveLoopTest, "GPT-Live: a short session's answers are no progress",
                 "[session_loop][live]") {
  Start();
  Open();
  Started();
  conversation.completed = 1;  // voxterm's own grouping: a word from the server makes one
  Closed("expired", 1);
  CHECK(current->closed);
  current->InjectClose(1000, "");
  Turn();
  CHECK(connections == 1);  // not at once: after the backoff's first wait
  Wait(Backoff::kMaxDelayMs);
  CHECK(connections == 2);
}

TEST_CASE_METHOD(LiveLoopTest, "GPT-Live: before session.started, events are not acted on",
                 "[session_loop][live]") {
  Start();
  Open();
  Server(R"({"type":"session.output_transcript.delta","delta":"Hi","start_ms":0,"end_ms":1})");
  Server(R"({"type":"session.usage.updated","usage":{"seconds":999}})");
  CHECK(conversation.events.empty());
  SECTION("session.closed: a start that failed") {
    Closed("close_requested");
    CHECK(loop->closing());
    CHECK(loop->exit_code() == ToInt(ExitCode::kConnect));
  }
  SECTION("session.started: the session goes on") {
    Started();
    Closed("close_requested", 5);
    CHECK(conversation.events == std::vector<std::string>{"session.started", "session.closed"});
    CHECK(usage.live_seconds() == 5);
    CHECK(loop->exit_code() == ToInt(ExitCode::kSuccess));
  }
}

TEST_CASE_METHOD(LiveLoopTest, "GPT-Live: a session.started in another audio format is fatal",
                 "[session_loop][live]") {
  options.audio_type = "audio/pcm";
  options.audio_rate_hz = 24000;
  Start();
  Open();
  Server(R"({"type":"session.started","session":{"audio":{"format":{"type":"audio/pcm",
      "rate":16000}}}})");
  CHECK(conversation.events.empty());
  CHECK(loop->closing());
  CHECK(loop->exit_code() == ToInt(ExitCode::kConnect));
}

TEST_CASE_METHOD(LiveLoopTest, "GPT-Live: content ends the run, close_requested too",
                 "[session_loop][live]") {
  Start();
  Open();
  Started();
  SECTION("content: a failure") {
    Closed("content");
    CHECK(loop->closing());
    CHECK(closes == 0);  // the server closed the session already
    CHECK(loop->exit_code() == ToInt(ExitCode::kFailure));
  }
  SECTION("close_requested: a success") {
    Closed("close_requested");
    CHECK(loop->closing());
    CHECK(loop->exit_code() == ToInt(ExitCode::kSuccess));
  }
}

TEST_CASE_METHOD(LiveLoopTest, "GPT-Live: other reasons reconnect as a lost connection does",
                 "[session_loop][live]") {
  Start();
  Open();
  Started();
  Closed("remote_hangup");
  CHECK(conversation.disconnects == 1);
  REQUIRE_FALSE(notices.empty());
  CHECK(notices.back().find("the server closed the session (remote_hangup); reconnecting") == 0);
  Wait(500);
  CHECK(connections == 2);
}

TEST_CASE_METHOD(LiveLoopTest, "GPT-Live: the end sends session.close and waits for closed",
                 "[session_loop][live]") {
  Start();
  Open();
  Started();
  loop->Close(ExitCode::kInterrupted);
  CHECK(closes == 1);
  CHECK_FALSE(current->closed);  // the server drains first
  SECTION("session.closed comes: then the close frame") {
    Closed("close_requested", 42);
    CHECK(current->closed);
    CHECK(conversation.disconnects == 1);  // it sends nothing more
    CHECK(usage.live_seconds() == 42);     // the final usage is kept
    current->InjectClose(1000, "");
    Turn();
    REQUIRE(loop->done());
    CHECK(loop->exit_code() == ToInt(ExitCode::kInterrupted));
  }
  SECTION("it does not: the close frame after 0.6 s, within the signal's grace") {
    Wait(SessionLoop::kInterruptedSessionCloseMs - 1);
    CHECK_FALSE(current->closed);
    Wait(1);
    CHECK(current->closed);
    current->InjectClose(1000, "");
    Turn();
    REQUIRE(loop->done());
    CHECK(loop->exit_code() == ToInt(ExitCode::kInterrupted));
  }
}

TEST_CASE_METHOD(LiveLoopTest, "GPT-Live: the end of the conversation waits 2 s for closed",
                 "[session_loop][live]") {
  Start();
  Open();
  Started();
  conversation.finished = true;  // the input file ended and the last answer played
  Turn();
  CHECK(closes == 1);
  Wait(SessionLoop::kSessionCloseTimeoutMs - 1);
  CHECK_FALSE(current->closed);
  Wait(1);
  CHECK(current->closed);
  Wait(SessionLoop::kCloseTimeoutMs);  // no close frame back either: leave
  REQUIRE(loop->done());
  CHECK(loop->exit_code() == ToInt(ExitCode::kSuccess));
}
