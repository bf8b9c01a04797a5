#include "audio/null_device.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

using namespace voxterm;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

// Polls cond every 2 ms until it holds or the timeout passes (a loaded machine is slow).
template <typename Cond>
bool WaitFor(Cond cond, milliseconds timeout = milliseconds(3000)) {
  const auto until = steady_clock::now() + timeout;
  while (!cond()) {
    if (steady_clock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

}  // namespace

TEST_CASE("a null input hears silence in real time", "[null_device]") {
  NullInput input(16000);
  CHECK(input.sample_rate_hz() == 16000);
  SpscRing<int16_t> ring(16384);
  const auto start = steady_clock::now();
  REQUIRE(input.Start(&ring).ok());
  REQUIRE(WaitFor([&] { return ring.ReadAvailable() >= 3200; }));  // 200 ms at 16 kHz
  const auto elapsed = steady_clock::now() - start;
  input.Stop();
  CHECK(elapsed >= milliseconds(180));  // paced, not as fast as a loop goes
  CHECK(input.capture_origin_ns() > 0);
  CHECK(input.delivered_at_ns() >= input.capture_origin_ns());
  std::vector<int16_t> heard(ring.ReadAvailable(), -1);
  REQUIRE(ring.Read(heard.data(), heard.size()) == heard.size());
  CHECK(heard == std::vector<int16_t>(heard.size(), 0));
  CHECK(input.overruns() == 0);
  CHECK_FALSE(input.Finished());  // silence never ends
}

TEST_CASE("a null input counts what its ring had no room for", "[null_device]") {
  NullInput input;
  SpscRing<int16_t> ring(256);  // about 10 ms at 24 kHz
  REQUIRE(input.Start(&ring).ok());
  REQUIRE(WaitFor([&] { return input.overruns() > 0; }));
  input.Stop();
  CHECK(ring.ReadAvailable() == 256);
}

TEST_CASE("a null output plays through the playback engine, in real time", "[null_device]") {
  NullOutput output;
  SpscRing<int16_t> ring(8192);
  SpscRing<int16_t> monitor(16384);
  PlaybackCounters counters;
  std::vector<int16_t> answer(4800, 5);  // 200 ms at 24 kHz
  REQUIRE(ring.Write(answer.data(), answer.size()) == answer.size());
  const auto start = steady_clock::now();
  REQUIRE(output.Start(&ring, &counters, &monitor).ok());
  REQUIRE(WaitFor([&] { return counters.played_frames.load() == answer.size(); }));
  const auto elapsed = steady_clock::now() - start;
  output.Stop();
  CHECK(elapsed >= milliseconds(150));  // paced as a speaker plays
  CHECK(counters.starts == 1);
  CHECK(counters.underruns == 0);  // the answer was all there
  // The monitor heard the answer, then silence: a speaker's timeline.
  std::vector<int16_t> heard(monitor.ReadAvailable());
  REQUIRE(monitor.Read(heard.data(), heard.size()) == heard.size());
  REQUIRE(heard.size() >= answer.size());
  CHECK(std::vector<int16_t>(heard.begin(), heard.begin() + 4800) == answer);
  CHECK(std::all_of(heard.begin() + 4800, heard.end(), [](int16_t s) { return s == 0; }));
  CHECK(counters.monitor_origin_ns > 0);
}

TEST_CASE("a null output carries out a flush", "[null_device]") {
  NullOutput output;
  SpscRing<int16_t> ring(1 << 16);
  PlaybackCounters counters;
  std::vector<int16_t> answer(48000, 5);  // 2 s
  REQUIRE(ring.Write(answer.data(), answer.size()) == answer.size());
  REQUIRE(output.Start(&ring, &counters, nullptr).ok());
  REQUIRE(WaitFor([&] { return counters.played_frames.load() > 0; }));
  counters.flushes_requested = 1;
  REQUIRE(WaitFor([&] { return counters.flushes_done.load() == 1; }));
  output.Stop();
  CHECK(ring.ReadAvailable() == 0);
  CHECK(counters.played_frames < answer.size());
}
