#include "audio/audio_engine.h"

#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "audio/file_device.h"
#include "audio/null_device.h"

using namespace voxterm;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

std::string TempPath(const char* name) {
  return std::string("/tmp/voxterm_test_") + std::to_string(getpid()) + "_" + name;
}

// Polls cond every 2 ms until it holds or the timeout passes (a loaded machine is slow).
template <typename Cond>
bool WaitFor(Cond cond, milliseconds timeout = milliseconds(5000)) {
  const auto until = steady_clock::now() + timeout;
  while (!cond()) {
    if (steady_clock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

AudioConfig Quiet() {
  AudioConfig config;
  config.headphones = true;  // no echo control: no room lies between null devices
  return config;
}

}  // namespace

TEST_CASE("a configuration chooses a backend for each direction", "[audio_setup]") {
  AudioConfig config;
  auto chosen = ChooseBackends(config, WantInput::kYes);
  CHECK(chosen.input == AudioBackend::kDevice);
  CHECK(chosen.output == AudioBackend::kDevice);
  CHECK(ChooseBackends(config, WantInput::kNo).input == AudioBackend::kNone);

  config.input_file = "mic.wav";
  chosen = ChooseBackends(config, WantInput::kYes);
  CHECK(chosen.input == AudioBackend::kFile);
  CHECK(chosen.output == AudioBackend::kDevice);
  CHECK(ChooseBackends(config, WantInput::kNo).input == AudioBackend::kNone);

  config.input_file.clear();
  config.output_file = "out.wav";
  chosen = ChooseBackends(config, WantInput::kYes);
  CHECK(chosen.input == AudioBackend::kDevice);
  CHECK(chosen.output == AudioBackend::kFile);
}

TEST_CASE("null and file backends open without a sound card", "[audio_setup]") {
  AudioConfig config;
  config.output_file = TempPath("setup_out.wav");
  auto setup = OpenAudio(config, {AudioBackend::kNull, AudioBackend::kFile});
  REQUIRE(setup.ok());
  CHECK(setup->portaudio == nullptr);
  CHECK(dynamic_cast<NullInput*>(setup->input.get()));
  CHECK(dynamic_cast<FileOutput*>(setup->output.get()));
  setup = OpenAudio(config, {AudioBackend::kNone, AudioBackend::kNull});
  REQUIRE(setup.ok());
  CHECK(setup->input == nullptr);
  CHECK(dynamic_cast<NullOutput*>(setup->output.get()));
  unlink(config.output_file.c_str());

  config.input_file = "/nonexistent.wav";
  auto failed = OpenAudio(config, {AudioBackend::kFile, AudioBackend::kNull});
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.message().rfind("--input-file /nonexistent.wav: ", 0) == 0);
}

TEST_CASE("an answer plays on the null output and the microphone hears silence", "[audio_engine]") {
  auto engine = AudioEngine::Open(Quiet(), {AudioBackend::kNull, AudioBackend::kNull});
  REQUIRE(engine.ok());
  AudioEngine& audio = **engine;
  CHECK(audio.echo_mode() == EchoMode::kOff);
  REQUIRE(audio.Start().ok());
  REQUIRE(audio.StartInput().ok());
  PlaybackPath* playback = audio.playback();
  std::vector<int16_t> answer(2400, 9);  // 100 ms
  CHECK(playback->Write(answer.data(), answer.size()) == answer.size());
  REQUIRE(WaitFor([&] { return playback->position() == playback->queued_frames(); }));
  CHECK_FALSE(playback->Audible());
  CHECK(audio.counters().starts == 1);

  size_t heard = 0;
  bool silent = true;
  REQUIRE(WaitFor([&] {
    audio.PumpSpeaker();
    audio.PumpMicrophone([&](const int16_t* samples, size_t count) {
      heard += count;
      for (size_t i = 0; i < count; ++i) silent = silent && samples[i] == 0;
    });
    return heard >= 2400;
  }));
  CHECK(silent);
  audio.Stop();
}

TEST_CASE("a flush on the null output ends where playback stopped", "[audio_engine]") {
  auto engine = AudioEngine::Open(Quiet(), {AudioBackend::kNone, AudioBackend::kNull});
  REQUIRE(engine.ok());
  AudioEngine& audio = **engine;
  CHECK(audio.capture() == nullptr);
  REQUIRE(audio.Start().ok());
  PlaybackPath* playback = audio.playback();
  playback->SetStreamOpen(true);
  std::vector<int16_t> answer(24000 * 3, 9);  // 3 s: more than the ring holds
  playback->Write(answer.data(), answer.size());
  REQUIRE(WaitFor([&] { return playback->position() > 0; }));
  playback->Flush();
  REQUIRE(WaitFor([&] { return playback->FlushDone(); }));
  CHECK(playback->flushed_at() > 0);
  CHECK(playback->flushed_at() < answer.size());
  CHECK(playback->position() == answer.size());  // the rest counts as passed
  CHECK_FALSE(playback->Audible());
}

// A server on loopback sends a long answer far faster than real time (issue 19: ten minutes in a
// third of a second). A file takes it as it comes: none of it waits in memory for a writer.
TEST_CASE("a file output writes a long answer as it arrives, never queueing it", "[audio_engine]") {
  AudioConfig config = Quiet();
  config.output_file = TempPath("engine_long.wav");
  config.record = TempPath("engine_long_record.wav");  // the monitor's path, bounded too
  constexpr size_t kDeltaSamples = 2400;               // 100 ms, as the API sends them
  constexpr int kDeltas = 600;                         // a minute
  {
    auto engine = AudioEngine::Open(config, {AudioBackend::kNone, AudioBackend::kFile});
    REQUIRE(engine.ok());
    AudioEngine& audio = **engine;
    REQUIRE(audio.Start().ok());
    PlaybackPath* playback = audio.playback();
    playback->SetStreamOpen(true);
    std::vector<int16_t> delta(kDeltaSamples, 1000);
    size_t most_waiting = 0;
    for (int i = 0; i < kDeltas; ++i) {
      playback->Write(delta.data(), delta.size());
      most_waiting = std::max(most_waiting, playback->waiting_frames());
    }
    CHECK(most_waiting == 0);
    CHECK(playback->position() == kDeltaSamples * kDeltas);
  }
  SF_INFO info{};
  SNDFILE* f = sf_open(config.output_file.c_str(), SFM_READ, &info);
  REQUIRE(f);
  CHECK(info.frames == static_cast<sf_count_t>(kDeltaSamples * kDeltas));
  sf_close(f);
  f = sf_open(config.record.c_str(), SFM_READ, &info);
  REQUIRE(f);
  CHECK(info.frames == static_cast<sf_count_t>(kDeltaSamples * kDeltas));
  sf_close(f);
  unlink(config.output_file.c_str());
  unlink(config.record.c_str());
}

TEST_CASE("the file output goes through the same playback path, bit for bit", "[audio_engine]") {
  AudioConfig config = Quiet();
  config.output_file = TempPath("engine_out.wav");
  config.record = TempPath("engine_record.wav");
  {
    auto engine = AudioEngine::Open(config, {AudioBackend::kNull, AudioBackend::kFile});
    REQUIRE(engine.ok());
    AudioEngine& audio = **engine;
    REQUIRE(audio.Start().ok());
    PlaybackPath* playback = audio.playback();
    playback->SetStreamOpen(true);
    playback->SetPrebufferMs(200);  // a file does not wait for it
    std::vector<int16_t> answer(24000 * 3);
    for (size_t i = 0; i < answer.size(); ++i) answer[i] = static_cast<int16_t>(i);
    playback->Write(answer.data(), answer.size());
    REQUIRE(WaitFor([&] {
      playback->Pump();
      audio.PumpSpeaker();
      return playback->position() == answer.size();
    }));
    CHECK(audio.counters().underruns == 0);
    CHECK(audio.counters().monitor_dropped == 0);
    // A barge-in that finds nothing left is still acknowledged.
    playback->Flush();
    REQUIRE(WaitFor([&] { return playback->FlushDone(); }));
    CHECK(playback->flushed_at() == answer.size());
  }
  SF_INFO info{};
  SNDFILE* f = sf_open(config.output_file.c_str(), SFM_READ, &info);
  REQUIRE(f);
  std::vector<int16_t> back(24000 * 3 + 10);
  REQUIRE(sf_read_short(f, back.data(), static_cast<sf_count_t>(back.size())) == 24000 * 3);
  sf_close(f);
  bool same = true;
  for (size_t i = 0; i < 24000 * 3; ++i) same = same && back[i] == static_cast<int16_t>(i);
  CHECK(same);
  // The recording's speaker side got every sample too, though the monitor holds only 2 s.
  f = sf_open(config.record.c_str(), SFM_READ, &info);
  REQUIRE(f);
  REQUIRE(info.channels == 2);
  std::vector<int16_t> stereo(static_cast<size_t>(info.frames) * 2);
  REQUIRE(sf_readf_short(f, stereo.data(), info.frames) == info.frames);
  sf_close(f);
  REQUIRE(stereo.size() >= 2 * 24000 * 3);
  for (size_t i = 0; i < 24000 * 3; ++i)
    same = same && stereo[2 * i + 1] == static_cast<int16_t>(i);
  CHECK(same);
  unlink(config.output_file.c_str());
  unlink(config.record.c_str());
}
