// A room for echo tests, in software: talkers, a loudspeaker-to-microphone path (a sparse room
// impulse response: a direct path, early reflections and a decaying tail), noise, and a simple
// energy VAD like the mock server's. The room may drift (the devices' clocks apart) and the
// output may underrun (gaps the application does not know of). Deterministic: the same seed
// gives the same samples on every machine (no <random> distributions, whose output the
// standard leaves to the library).
// Used by the echo unit tests and by the benchmark's echo workload (bench/echo_bench.cpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace voxterm {
namespace echo_room {

constexpr int kRate = 24000;
constexpr double kPi = 3.14159265358979323846;

class Noise {
 public:
  explicit Noise(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  double Uniform() {  // [0, 1)
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<double>(state_ >> 11) / 9007199254740992.0;
  }
  double Between(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  double Gaussian() {  // Box-Muller
    const double u = std::max(Uniform(), 1e-12);
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * kPi * Uniform());
  }

 private:
  uint64_t state_;
};

inline double Rms(const std::vector<double>& x, size_t from, size_t to) {
  double sum = 0;
  for (size_t i = from; i < to && i < x.size(); ++i) sum += x[i] * x[i];
  return to > from ? std::sqrt(sum / static_cast<double>(to - from)) : 0;
}

inline double Dbfs(double rms) { return 20 * std::log10(std::max(rms, 1e-9) / 32768); }

// A second-order resonator (a formant).
class Resonator {
 public:
  Resonator(double hz, double bandwidth_hz) {
    const double r = std::exp(-kPi * bandwidth_hz / kRate);
    a1_ = 2 * r * std::cos(2 * kPi * hz / kRate);
    a2_ = -r * r;
    gain_ = 1 - r;
  }
  double Step(double x) {
    const double y = gain_ * x + a1_ * y1_ + a2_ * y2_;
    y2_ = y1_;
    y1_ = y;
    return y;
  }

 private:
  double a1_, a2_, gain_, y1_ = 0, y2_ = 0;
};

// Speech-like sound: syllables of 120-280 ms (a glottal pulse train at about f0_hz through two
// formants that move from syllable to syllable, with a little breath noise), short gaps between
// them and longer pauses every few, as a talker makes. Its active parts are level_dbfs RMS.
inline std::vector<double> Talker(double seconds, uint64_t seed, double f0_hz, double level_dbfs) {
  Noise rng(seed);
  const size_t total = static_cast<size_t>(seconds * kRate);
  std::vector<double> out(total, 0);
  size_t at = static_cast<size_t>(rng.Between(0.02, 0.08) * kRate);
  int syllable = 0;
  double phase = 0;
  std::vector<bool> active(total, false);
  while (at < total) {
    const size_t length = static_cast<size_t>(rng.Between(0.12, 0.28) * kRate);
    Resonator f1(rng.Between(300, 800), 90), f2(rng.Between(900, 2300), 120);
    const double pitch = f0_hz * rng.Between(0.85, 1.15);
    for (size_t i = 0; i < length && at + i < total; ++i) {
      const double t = static_cast<double>(i) / static_cast<double>(length);
      const double envelope = std::sin(kPi * t);  // rises and falls over the syllable
      phase += pitch * (1 + 0.05 * std::sin(2 * kPi * 3 * t)) / kRate;
      double excitation = 0.1 * rng.Gaussian();
      if (phase >= 1) {
        phase -= 1;
        excitation += 8;
      }
      out[at + i] = envelope * (f1.Step(excitation) + 0.6 * f2.Step(excitation));
      active[at + i] = true;
    }
    at += length;
    at += static_cast<size_t>(
        (++syllable % 6 == 0 ? rng.Between(0.3, 0.6) : rng.Between(0.03, 0.1)) * kRate);
  }
  double sum = 0;
  size_t n = 0;
  for (size_t i = 0; i < total; ++i) {
    if (!active[i]) continue;
    sum += out[i] * out[i];
    ++n;
  }
  const double scale =
      n ? 32768 * std::pow(10, level_dbfs / 20) / std::sqrt(sum / static_cast<double>(n)) : 0;
  for (double& s : out) s *= scale;
  return out;
}

// A loudspeaker-to-microphone path: the direct sound after delay_ms, then reflections, sparser
// early and denser late, decaying by 60 dB over rt60_ms. Its energy gain is gain_db.
struct Tap {
  size_t delay;
  double gain;
};

inline std::vector<Tap> RoomImpulse(uint64_t seed, double delay_ms, double rt60_ms,
                                    double gain_db) {
  Noise rng(seed);
  std::vector<Tap> taps;
  const double start = delay_ms * kRate / 1000;
  taps.push_back({static_cast<size_t>(start), 1.0});
  const double length_ms = rt60_ms * 0.6;  // down 36 dB: below the noise that matters here
  for (int i = 0; i < 240; ++i) {
    // Reflections grow denser with time: square the uniform draw toward the late end.
    const double u = std::sqrt(rng.Uniform());
    const double t_ms = u * length_ms + 1;
    const double gain = 0.5 * std::pow(10, -3 * t_ms / rt60_ms) * (rng.Uniform() < 0.5 ? -1 : 1);
    taps.push_back({static_cast<size_t>(start + t_ms * kRate / 1000), gain});
  }
  double energy = 0;
  for (const Tap& t : taps) energy += t.gain * t.gain;
  const double scale = std::pow(10, gain_db / 20) / std::sqrt(energy);
  for (Tap& t : taps) t.gain *= scale;
  return taps;
}

// What the microphone hears of x through the room: y[n] = sum of gain * x[n - delay].
inline std::vector<double> Through(const std::vector<double>& x, const std::vector<Tap>& room) {
  std::vector<double> y(x.size(), 0);
  for (const Tap& t : room) {
    for (size_t n = t.delay; n < x.size(); ++n) y[n] += t.gain * x[n - t.delay];
  }
  return y;
}

// Two devices with clocks of their own: the microphone's sample j hears the room at
// j + DriftOffset(j), a delay that wanders slowly (drift_ppm on average, plus a swing of
// swing_ppm at its fastest over a 20 s period, as a loop that adapts its rate does).
struct Drift {
  double drift_ppm = 0;
  double swing_ppm = 0;
  double Offset(size_t j) const {
    const double omega = 2 * kPi / (20.0 * kRate);
    const double t = static_cast<double>(j);
    return drift_ppm * 1e-6 * t + swing_ppm * 1e-6 / omega * std::sin(omega * t);
  }
};

// x at a fractional index, by cubic (Catmull-Rom) interpolation; 0 outside it.
inline double At(const std::vector<double>& x, double index) {
  const double base = std::floor(index);
  const double f = index - base;
  auto s = [&](double i) {
    return i >= 0 && i < static_cast<double>(x.size()) ? x[static_cast<size_t>(i)] : 0.0;
  };
  const double p0 = s(base - 1), p1 = s(base), p2 = s(base + 1), p3 = s(base + 2);
  return p1 +
         0.5 * f * (p2 - p0 + f * (2 * p0 - 5 * p1 + 4 * p2 - p3 + f * (3 * (p1 - p2) + p3 - p0)));
}

// An output that underran: at each of at[i] the speaker played gap samples of silence the
// application never rendered, and everything after sounds that much later.
inline std::vector<double> WithUnderruns(const std::vector<double>& rendered,
                                         const std::vector<size_t>& at, size_t gap) {
  std::vector<double> played;
  played.reserve(rendered.size() + at.size() * gap);
  size_t from = 0;
  for (size_t a : at) {
    played.insert(played.end(), rendered.begin() + static_cast<std::ptrdiff_t>(from),
                  rendered.begin() + static_cast<std::ptrdiff_t>(a));
    played.insert(played.end(), gap, 0.0);
    from = a;
  }
  played.insert(played.end(), rendered.begin() + static_cast<std::ptrdiff_t>(from), rendered.end());
  return played;
}

inline std::vector<int16_t> ToPcm(const std::vector<double>& x) {
  std::vector<int16_t> out(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    out[i] = static_cast<int16_t>(std::clamp(std::lround(x[i]), -32768L, 32767L));
  return out;
}

inline std::vector<double> FromPcm(const std::vector<int16_t>& x) {
  return std::vector<double>(x.begin(), x.end());
}

// The mock server's VAD (tests/mock/realtime_mock.py): speech starts when a 10 ms window's RMS
// is above 1000 (-30 dBFS). Returns the start of every window that would start or continue
// speech, as sample indexes.
inline std::vector<size_t> VoicedWindows(const std::vector<int16_t>& x, size_t from = 0,
                                         size_t to = SIZE_MAX) {
  std::vector<size_t> voiced;
  const size_t window = kRate / 100;
  to = std::min(to, x.size());
  for (size_t at = from; at + window <= to; at += window) {
    double sum = 0;
    for (size_t i = at; i < at + window; ++i) sum += static_cast<double>(x[i]) * x[i];
    if (std::sqrt(sum / window) > 1000) voiced.push_back(at);
  }
  return voiced;
}

}  // namespace echo_room
}  // namespace voxterm
