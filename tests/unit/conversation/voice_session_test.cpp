#include "conversation/voice_session.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "fakes/fake_clock.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_view.h"
#include "fakes/file_microphone.h"
#include "protocol/realtime_client.h"

using namespace voxterm;

namespace {

// A voice session on real audio backends without a sound card: the microphone is a WAV file
// (paced in real time by its own thread), the speaker a null output. The clock the session
// measures its trailing silence and its patience by is a fake one.
struct VoiceSessionTest {
  FakeClock clock;
  FakeTransport transport;
  RealtimeClient server{Dialect::kGa, &transport};
  FakeView view;
  const std::string mic = "/tmp/voxterm_test_" + std::to_string(getpid()) + "_session_mic.wav";
  std::unique_ptr<VoiceSession> session;

  ~VoiceSessionTest() {
    session.reset();
    unlink(mic.c_str());
  }

  // mic_ms of a quiet tone at 24 kHz, as the microphone.
  void Open(bool interactive, int mic_ms) {
    auto engine = FileMicrophone(mic, mic_ms);
    SessionSettings settings;  // the server's VAD takes the turns, as voice mode asks
    settings.turns = SessionSettings::Turns::kDetect;
    session = std::make_unique<VoiceSession>(settings, std::move(engine), &server, &view, &clock,
                                             interactive);
  }
  void Server(const std::string& json) {
    ParsedEvent event(json);
    REQUIRE(event.ok());
    session->OnServerEvent(*event);
  }
  int Appends() const {
    int n = 0;
    for (const std::string& type : transport.SentTypes()) n += type == "input_audio_buffer.append";
    return n;
  }
  // A 100 ms file sent and its silence after it, while the answer is still on its way.
  void FileEndsBeforeTheAnswer() {
    Open(/*interactive=*/false, 100);
    Server(R"({"type":"session.created","session":{}})");
    Server(R"({"type":"response.created","response":{"id":"r1","status":"in_progress"}})");
    REQUIRE(TickUntil([&] { return Appends() == 5 + 75; }, 100));
  }
  // Ticks as the loop does, every 10 ms of real time, the fake clock moving step_ms each time,
  // until done() holds; false if it never does within 5 s.
  template <typename Done>
  bool TickUntil(Done done, int64_t step_ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      session->OnTick();
      clock.Advance(step_ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
};

}  // namespace

TEST_CASE_METHOD(VoiceSessionTest,
                 "the file is sent once the session is ready, then 1.5 s of silence, then it ends",
                 "[voice_session]") {
  Open(/*interactive=*/false, /*mic_ms=*/200);
  for (int i = 0; i < 10; ++i) {
    session->OnTick();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(Appends() == 0);  // not before session.created: the file's first words would be lost
  Server(R"({"type":"session.created","session":{}})");
  REQUIRE(TickUntil([&] { return session->Finished(); }, 100));
  // 200 ms of the file and the silence, in frames of 20 ms: 1.5 s of it, less what the last
  // tick before the end had no time to send (a tick here is 100 ms of the fake clock).
  CHECK(Appends() >= 10 + 70);
  CHECK(Appends() <= 10 + 75);
  CHECK(transport.SentTypes().front() == "session.update");
}

TEST_CASE_METHOD(VoiceSessionTest, "Ctrl-D on a terminal ends the conversation, a pipe's end not",
                 "[voice_session]") {
  SECTION("a terminal") {
    Open(/*interactive=*/true, 100);
    session->OnInputEnd();
    CHECK(session->Finished());
  }
  SECTION("a pipe") {
    Open(/*interactive=*/false, 100);
    session->OnInputEnd();
    CHECK_FALSE(session->Finished());
  }
}

TEST_CASE_METHOD(VoiceSessionTest, "at the end of the file it waits for the answer, 120 s at most",
                 "[voice_session]") {
  const int64_t start_ms = clock.now_ms;
  FileEndsBeforeTheAnswer();
  const int64_t ended_ms = clock.now_ms;
  CHECK(ended_ms - start_ms < 120000);
  CHECK_FALSE(session->Finished());
  clock.now_ms = start_ms + 119000;
  CHECK_FALSE(session->Finished());
  clock.now_ms = ended_ms + 120001;
  CHECK(session->Finished());
}

TEST_CASE_METHOD(VoiceSessionTest, "the answer ends the wait at the end of the file",
                 "[voice_session]") {
  FileEndsBeforeTheAnswer();
  CHECK_FALSE(session->Finished());
  Server(R"({"type":"response.done","response":{"id":"r1","status":"completed","output":[]}})");
  session->OnTick();
  CHECK(session->Finished());
}

namespace {

// The audio of every input_audio_buffer.append sent, as base64, in order.
std::vector<std::string> AppendedAudio(const FakeTransport& transport) {
  std::vector<std::string> audio;
  for (const std::string& m : transport.sent) {
    if (m.find("\"input_audio_buffer.append\"") == std::string::npos) continue;
    const size_t start = m.find("\"audio\":\"") + 9;
    audio.push_back(m.substr(start, m.find('"', start) - start));
  }
  return audio;
}

// Base64 of zero samples is all 'A' (and padding).
bool Silent(const std::string& base64) {
  return base64.find_first_not_of("A=") == std::string::npos;
}

}  // namespace

TEST_CASE_METHOD(VoiceSessionTest, "muted, the microphone goes on as silence; unmuted, as heard",
                 "[voice_session]") {
  Open(/*interactive=*/true, /*mic_ms=*/3000);
  Server(R"({"type":"session.created","session":{}})");
  REQUIRE(TickUntil([&] { return Appends() >= 5; }, 10));
  CHECK_FALSE(Silent(AppendedAudio(transport).back()));  // the tone

  REQUIRE(session->SetMuted(true).ok());
  CHECK(session->muted());
  CHECK(view.detail == "muted (Ctrl-T or /unmute)");
  transport.sent.clear();
  REQUIRE(TickUntil([&] { return Appends() >= 10; }, 10));
  // Frames keep their pace (the server's timeline of the input stays true), but hold nothing.
  for (const std::string& frame : AppendedAudio(transport)) CHECK(Silent(frame));
  CHECK(view.level == 0);

  REQUIRE(session->SetMuted(false).ok());
  CHECK(view.detail.empty());
  transport.sent.clear();
  REQUIRE(TickUntil([&] { return Appends() >= 5; }, 10));
  CHECK_FALSE(Silent(AppendedAudio(transport).back()));
}
