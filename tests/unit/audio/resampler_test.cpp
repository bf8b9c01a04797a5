#include "audio/resampler.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

using namespace voxterm;

namespace {
std::vector<int16_t> Sine(int rate_hz, double hz, size_t n) {
  std::vector<int16_t> s(n);
  for (size_t i = 0; i < n; ++i)
    s[i] = static_cast<int16_t>(10000 * std::sin(2 * M_PI * hz * i / rate_hz));
  return s;
}

// Zero crossings per second: a frequency estimate that survives resampling.
double Frequency(const std::vector<int16_t>& s, int rate_hz) {
  int crossings = 0;
  for (size_t i = 1; i < s.size(); ++i) crossings += (s[i - 1] < 0) != (s[i] < 0);
  return crossings / 2.0 / (static_cast<double>(s.size()) / rate_hz);
}
}  // namespace

TEST_CASE("equal rates pass samples through bit for bit", "[resampler]") {
  Resampler r(24000, 24000);
  CHECK(r.passthrough());
  std::vector<int16_t> in = Sine(24000, 440, 1000), out;
  r.Process(in.data(), in.size(), &out);
  CHECK(out == in);
}

TEST_CASE("48 kHz to 24 kHz halves the samples and keeps the pitch", "[resampler]") {
  Resampler r(48000, 24000);
  CHECK_FALSE(r.passthrough());
  std::vector<int16_t> in = Sine(48000, 440, 48000), out;
  for (size_t i = 0; i < in.size(); i += 480)
    r.Process(in.data() + i, 480, &out);  // in 10 ms pieces
  CHECK(out.size() == Approx(24000).margin(100));
  CHECK(Frequency(out, 24000) == Approx(440).epsilon(0.01));
}

TEST_CASE("24 kHz to 44.1 kHz keeps the pitch", "[resampler]") {
  Resampler r(24000, 44100);
  std::vector<int16_t> in = Sine(24000, 1000, 24000), out;
  r.Process(in.data(), in.size(), &out);
  CHECK(out.size() == Approx(44100).margin(100));
  CHECK(Frequency(out, 44100) == Approx(1000).epsilon(0.01));
}

TEST_CASE("stereo is downmixed to the mean", "[resampler]") {
  const int16_t stereo[] = {100, 300, -32768, -32768, 32767, 32767, 1, -1};
  int16_t mono[4];
  DownmixToMono(stereo, 4, 2, mono);
  CHECK(std::vector<int16_t>(mono, mono + 4) == std::vector<int16_t>{200, -32768, 32767, 0});
}
