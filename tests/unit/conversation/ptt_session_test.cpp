// PttSession and mute: no take starts while muted; a take under way goes on as silence.
#include "conversation/ptt_session.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "fakes/fake_clock.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_view.h"
#include "fakes/file_microphone.h"
#include "protocol/realtime_client.h"

using namespace voxterm;

namespace {

// Push-to-talk on a WAV file's microphone and a null speaker; no terminal (the keys are fed as
// bytes, as the loop would).
struct PttSessionTest {
  FakeClock clock;
  FakeTransport transport;
  RealtimeClient server{Dialect::kGa, &transport};
  FakeView view;
  const std::string mic = "/tmp/voxterm_test_" + std::to_string(getpid()) + "_ptt_mic.wav";
  std::unique_ptr<PttSession> session;

  PttSessionTest() {
    auto engine = FileMicrophone(mic, 3000);
    Key space;
    space.type = Key::Type::kSpace;
    session = std::make_unique<PttSession>(SessionSettings{}, std::move(engine), &server, &view,
                                           &clock, nullptr, space);
    ParsedEvent created(R"({"type":"session.created","session":{}})");
    REQUIRE(created.ok());
    session->OnServerEvent(*created);
  }
  ~PttSessionTest() {
    session.reset();
    unlink(mic.c_str());
  }
  int Count(const char* type) const {
    int n = 0;
    for (const std::string& t : transport.SentTypes()) n += t == type;
    return n;
  }
  // Ticks every 10 ms of real time until n more appends went out; false after 5 s.
  bool TickForAppends(int n) {
    const int until_appends = Count("input_audio_buffer.append") + n;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (Count("input_audio_buffer.append") < until_appends) {
      if (std::chrono::steady_clock::now() > until) return false;
      session->OnTick();
      clock.Advance(10);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  std::string LastAppendAudio() const {
    for (auto it = transport.sent.rbegin(); it != transport.sent.rend(); ++it) {
      if (it->find("\"input_audio_buffer.append\"") == std::string::npos) continue;
      const size_t start = it->find("\"audio\":\"") + 9;
      return it->substr(start, it->find('"', start) - start);
    }
    return {};
  }
};

bool Silent(const std::string& base64) {
  return !base64.empty() && base64.find_first_not_of("A=") == std::string::npos;
}

}  // namespace

TEST_CASE_METHOD(PttSessionTest, "muted, the key starts no take and says why", "[ptt_session]") {
  session->OnTick();
  REQUIRE(session->SetMuted(true).ok());
  CHECK(view.detail == "muted (Ctrl-T or /unmute to talk), q to quit");
  session->OnInputBytes(" ");
  CHECK(view.notices ==
        std::vector<std::string>{"muted: no take until you unmute (Ctrl-T or /unmute)"});
  CHECK(Count("input_audio_buffer.clear") == 0);
  CHECK(Count("input_audio_buffer.append") == 0);

  REQUIRE(session->SetMuted(false).ok());
  CHECK(view.detail == "press space to talk, q to quit");
  session->OnInputBytes(" ");
  CHECK(Count("input_audio_buffer.clear") == 1);  // the take began
  REQUIRE(TickForAppends(3));
  CHECK_FALSE(Silent(LastAppendAudio()));
}

TEST_CASE_METHOD(PttSessionTest, "muted during a take, the rest of it is silence",
                 "[ptt_session]") {
  session->OnTick();
  session->OnInputBytes(" ");
  REQUIRE(TickForAppends(3));
  CHECK_FALSE(Silent(LastAppendAudio()));
  REQUIRE(session->SetMuted(true).ok());
  CHECK(view.detail.find("muted") != std::string::npos);
  REQUIRE(TickForAppends(3));
  CHECK(Silent(LastAppendAudio()));
  CHECK(view.level == 0);
}
