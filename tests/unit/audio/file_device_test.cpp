#include "audio/file_device.h"

#include <sndfile.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

using namespace voxterm;

namespace {
std::string TempPath(const char* name) {
  return std::string("/tmp/voxterm_test_") + std::to_string(getpid()) + "_" + name;
}

void WriteWav(const std::string& path, int rate, int channels,
              const std::vector<int16_t>& samples) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  REQUIRE(f);
  sf_write_short(f, samples.data(), static_cast<sf_count_t>(samples.size()));
  sf_close(f);
}
}  // namespace

TEST_CASE("an output file receives every sample it is given, as a 24 kHz WAV", "[file_device]") {
  const std::string path = TempPath("out.wav");
  auto output = FileOutput::Create(path);
  REQUIRE(output.ok());
  SpscRing<int16_t> ring(4096);
  PlaybackCounters counters;
  REQUIRE((*output)->Start(&ring, &counters, nullptr).ok());
  std::vector<int16_t> samples(3000);
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<int16_t>(i * 7);
  size_t sent = 0;
  while (sent < samples.size()) {
    sent += ring.Write(samples.data() + sent, std::min<size_t>(500, samples.size() - sent));
    (*output)->Pull();  // untimed: it takes what has come when asked, on the caller's thread
  }
  (*output)->Stop();
  output->reset();
  CHECK(counters.played_frames == samples.size());

  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  REQUIRE(f);
  CHECK(info.samplerate == 24000);
  CHECK(info.channels == 1);
  std::vector<int16_t> back(samples.size() + 10);
  CHECK(sf_read_short(f, back.data(), static_cast<sf_count_t>(back.size())) ==
        static_cast<sf_count_t>(samples.size()));
  back.resize(samples.size());
  CHECK(back == samples);
  sf_close(f);
  unlink(path.c_str());
}

TEST_CASE("an input file is delivered in real time, downmixed", "[file_device]") {
  const std::string path = TempPath("in.wav");
  std::vector<int16_t> stereo;
  for (int i = 0; i < 4800; ++i) {  // 200 ms at 24 kHz
    stereo.push_back(static_cast<int16_t>(i));
    stereo.push_back(static_cast<int16_t>(i + 2));
  }
  WriteWav(path, 24000, 2, stereo);
  auto input = FileInput::Open(path);
  REQUIRE(input.ok());
  CHECK((*input)->sample_rate_hz() == 24000);
  SpscRing<int16_t> ring(8192);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE((*input)->Start(&ring).ok());
  while (!(*input)->Finished()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= std::chrono::milliseconds(150));  // paced, not as fast as the disk goes
  std::vector<int16_t> mono(4800);
  REQUIRE(ring.Read(mono.data(), mono.size()) == 4800);
  CHECK(mono[0] == 1);
  CHECK(mono[4799] == 4800);
  unlink(path.c_str());
}

TEST_CASE("a file that is not audio is a clear error", "[file_device]") {
  auto input = FileInput::Open("/etc/hostname");
  REQUIRE_FALSE(input.ok());
  CHECK(input.message().rfind("--input-file /etc/hostname: ", 0) == 0);
  CHECK_FALSE(FileInput::Open("/nonexistent.wav").ok());
  CHECK_FALSE(FileOutput::Create("/nonexistent/dir/out.wav").ok());
}
