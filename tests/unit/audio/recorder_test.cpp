#include "audio/recorder.h"

#include <sndfile.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <vector>

using namespace voxterm;

namespace {
std::vector<int16_t> ReadStereo(const std::string& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  REQUIRE(f);
  REQUIRE(info.channels == 2);
  REQUIRE(info.samplerate == 24000);
  std::vector<int16_t> samples(static_cast<size_t>(info.frames) * 2);
  sf_readf_short(f, samples.data(), info.frames);
  sf_close(f);
  return samples;
}
}  // namespace

TEST_CASE("both sides go to one stereo file, in step, padded at the end", "[recorder]") {
  const std::string path = "/tmp/voxterm_recorder_" + std::to_string(getpid()) + ".wav";
  {
    auto recorder = Recorder::Create(path, 24000, /*with_microphone=*/true);
    REQUIRE(recorder.ok());
    const int16_t mic[] = {1, 2, 3};
    const int16_t played[] = {10, 20};
    (*recorder)->AddMicrophone(mic, 3);
    (*recorder)->AddSpeaker(played, 2);  // two frames have both sides
    const int16_t more[] = {30, 40};
    (*recorder)->AddSpeaker(more, 2);  // one more has both; the speaker is now ahead by one
  }
  CHECK(ReadStereo(path) == std::vector<int16_t>{1, 10, 2, 20, 3, 30, 0, 40});
  unlink(path.c_str());
}

TEST_CASE("a bad path is a clear error", "[recorder]") {
  auto recorder = Recorder::Create("/nonexistent/dir/r.wav", 24000, true);
  REQUIRE_FALSE(recorder.ok());
  CHECK(recorder.message().rfind("--record /nonexistent/dir/r.wav: ", 0) == 0);
}
