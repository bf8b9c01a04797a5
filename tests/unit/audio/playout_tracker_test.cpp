#include "audio/playout_tracker.h"

#include <catch2/catch.hpp>

using namespace voxterm;

TEST_CASE("the heard position is counted in the item's own milliseconds", "[playout]") {
  PlayoutTracker tracker(48000);
  tracker.BeginItem("a1", 1000);  // the item starts 1000 frames into the timeline
  tracker.AddAudio(48000, 24000);
  auto heard = tracker.At(1000 + 12000);
  REQUIRE(heard);
  CHECK(heard->item_id == "a1");
  CHECK(heard->audio_end_ms == 250);
  CHECK_FALSE(tracker.At(500).has_value());  // before it started
}

TEST_CASE("never more than the audio that arrived", "[playout]") {
  PlayoutTracker tracker(48000);
  tracker.BeginItem("a1", 0);
  // The resampler handed out a few frames more than 50 ms at 48 kHz for 50 ms at 24 kHz.
  tracker.AddAudio(2450, 1200);
  CHECK(tracker.At(2450)->audio_end_ms == 50);
  CHECK(tracker.At(100000)->audio_end_ms == 50);  // played on into silence
}

TEST_CASE("the latest item that had started is the one heard", "[playout]") {
  PlayoutTracker tracker(24000);
  tracker.BeginItem("a1", 0);
  tracker.AddAudio(2400, 2400);
  tracker.BeginItem("a2", 2400);
  tracker.AddAudio(4800, 4800);
  CHECK(tracker.At(1200)->item_id == "a1");
  CHECK(tracker.At(1200)->audio_end_ms == 50);
  CHECK(tracker.At(3600)->item_id == "a2");
  CHECK(tracker.At(3600)->audio_end_ms == 50);
  CHECK(tracker.current_item() == "a2");
}

TEST_CASE("items queued after the one heard were not heard", "[playout]") {
  // A preamble (a1) and the answer queued right behind it (a2), then nothing more.
  PlayoutTracker tracker(24000);
  tracker.BeginItem("a1", 0);
  tracker.AddAudio(2400, 2400);
  tracker.BeginItem("a2", 2400);
  tracker.AddAudio(4800, 4800);
  CHECK(tracker.Unheard(1200) == std::vector<std::string>{"a2"});
  CHECK(tracker.At(2400)->item_id == "a2");  // at its very first frame, a2 is the one playing
  CHECK(tracker.Unheard(2400).empty());
  CHECK(tracker.Unheard(3600).empty());
}
