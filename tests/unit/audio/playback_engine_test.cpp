#include <catch2/catch.hpp>
#include <numeric>
#include <vector>

#include "audio/audio_device.h"

using namespace voxterm;

namespace {

struct EngineTest {
  SpscRing<int16_t> ring{1024};
  PlaybackCounters counters;
  PlaybackEngine engine{24000};
  int64_t now_ns = 1000000000;  // when the next Render's first frame is heard
  std::vector<int16_t> out;

  void Feed(size_t n, int16_t start = 1) {
    std::vector<int16_t> samples(n);
    std::iota(samples.begin(), samples.end(), start);
    REQUIRE(ring.Write(samples.data(), n) == n);
  }
  void Render(size_t frames, int channels = 1) {
    out.assign(frames * channels, -1);
    engine.Render(&ring, &counters, out.data(), frames, channels, now_ns);
    now_ns += static_cast<int64_t>(frames) * 1000000000 / 24000;
  }
};

}  // namespace

TEST_CASE_METHOD(EngineTest, "playback waits for the prebuffer while the answer streams",
                 "[playback]") {
  counters.stream_open = true;
  counters.prebuffer_frames = 100;
  Feed(60);
  Render(40);
  CHECK(out == std::vector<int16_t>(40, 0));  // silence, not an underrun
  CHECK(counters.played_frames == 0);
  CHECK(counters.underruns == 0);
  Feed(40);  // 100 waiting now
  Render(40);
  CHECK(out[0] == 1);
  CHECK(out[39] == 40);
  CHECK(counters.played_frames == 40);
}

TEST_CASE_METHOD(EngineTest, "a short answer that is all there plays without a prebuffer",
                 "[playback]") {
  counters.stream_open = false;
  counters.prebuffer_frames = 100;
  Feed(30);
  Render(40);
  CHECK(out[29] == 30);
  CHECK(out[30] == 0);
  CHECK(counters.played_frames == 30);
  CHECK(counters.underruns == 0);  // the answer ended: not an underrun
}

TEST_CASE_METHOD(EngineTest, "running dry mid-answer plays silence and counts an underrun",
                 "[playback]") {
  counters.stream_open = true;
  counters.prebuffer_frames = 10;
  Feed(50);
  Render(40);
  Render(40);
  CHECK(out[9] == 50);
  CHECK(out[10] == 0);
  CHECK(counters.underruns == 1);
  CHECK(counters.played_frames == 50);
}

TEST_CASE_METHOD(EngineTest, "a flush fades out, drops the rest and counts only what played",
                 "[playback]") {
  counters.stream_open = true;
  Feed(500, 1000);
  Render(100);
  REQUIRE(counters.played_frames == 100);
  counters.flushes_requested = 1;
  Render(200);
  // The fade takes the next 96 samples down to nothing, then silence.
  CHECK(out[0] == 1100);
  CHECK(out[95] == 1195 / 96);  // the last step of the fade: 1/96 of the sample
  CHECK(out[96] == 0);
  CHECK(out[199] == 0);
  CHECK(counters.flushes_done == 1);
  CHECK(counters.played_frames == 196);
  CHECK(ring.ReadAvailable() == 0);
  Render(50);  // nothing left to play
  CHECK(counters.played_frames == 196);
}

TEST_CASE_METHOD(EngineTest, "stereo outputs get the same sample on both channels", "[playback]") {
  Feed(4);
  Render(4, 2);
  CHECK(out == std::vector<int16_t>{1, 1, 2, 2, 3, 3, 4, 4});
}

TEST_CASE_METHOD(EngineTest, "the start of an answer and the end of a flush are timed as heard",
                 "[playback]") {
  counters.stream_open = true;
  counters.prebuffer_frames = 100;
  Feed(60);
  Render(240);  // not enough for the prebuffer: silence, no start
  CHECK(counters.starts == 0);
  Feed(60);
  const int64_t start_ns = now_ns;
  Render(240);
  CHECK(counters.starts == 1);
  CHECK(counters.started_heard_at_ns == start_ns);
  Feed(480);
  Render(240);
  counters.flushes_requested = 1;
  const int64_t flush_ns = now_ns;
  Render(240);
  // Heard silent once the 96-frame fade (4 ms at 24 kHz) has played.
  CHECK(counters.silent_heard_at_ns == flush_ns + 4000000);
  CHECK(counters.flushes_done == 1);
}

namespace {

struct UntimedTest : EngineTest {
  SpscRing<int16_t> monitor{256};
  size_t RenderUntimed(size_t max_frames, SpscRing<int16_t>* to_monitor = nullptr) {
    out.assign(max_frames, -1);
    return engine.RenderUntimed(&ring, &counters, out.data(), max_frames, now_ns, to_monitor);
  }
};

}  // namespace

TEST_CASE_METHOD(UntimedTest, "an untimed output takes audio as it comes, without a prebuffer",
                 "[playback]") {
  counters.stream_open = true;
  counters.prebuffer_frames = 100;
  Feed(60);
  CHECK(RenderUntimed(40) == 40);  // no prebuffer to wait for
  CHECK(out[0] == 1);
  CHECK(out[39] == 40);
  CHECK(RenderUntimed(40) == 20);
  CHECK(out[19] == 60);
  CHECK(RenderUntimed(40) == 0);  // dry mid-answer: nothing to write, and not an underrun
  CHECK(counters.played_frames == 60);
  CHECK(counters.underruns == 0);
  CHECK(counters.starts == 0);
}

TEST_CASE_METHOD(UntimedTest, "an untimed output acknowledges a flush and drops without a fade",
                 "[playback]") {
  Feed(500, 1000);
  CHECK(RenderUntimed(100) == 100);
  counters.flushes_requested = 1;
  CHECK(RenderUntimed(100) == 0);
  CHECK(counters.flushes_done == 1);
  CHECK(counters.silent_heard_at_ns == now_ns);
  CHECK(counters.played_frames == 100);  // the dropped 400 were never played
  CHECK(ring.ReadAvailable() == 0);
  Feed(10);  // the next answer
  CHECK(RenderUntimed(100) == 10);
  CHECK(counters.flushes_done == 1);
}

TEST_CASE_METHOD(UntimedTest, "an untimed output waits for room in the monitor rather than drop",
                 "[playback]") {
  Feed(300);
  CHECK(RenderUntimed(1000, &monitor) == 256);  // what the monitor holds
  CHECK(ring.ReadAvailable() == 44);
  CHECK(RenderUntimed(1000, &monitor) == 0);  // the main thread has not read it yet
  std::vector<int16_t> heard(256);
  REQUIRE(monitor.Read(heard.data(), heard.size()) == 256);
  CHECK(heard[255] == 256);
  CHECK(RenderUntimed(1000, &monitor) == 44);
  CHECK(counters.monitor_dropped == 0);
  CHECK(counters.played_frames == 300);
}
