#include "audio/spsc_ring.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

using namespace voxterm;

TEST_CASE("capacity rounds up to a power of two", "[ring]") {
  CHECK(SpscRing<int16_t>(1000).capacity() == 1024);
  CHECK(SpscRing<int16_t>(1024).capacity() == 1024);
  CHECK(SpscRing<int16_t>(0).capacity() == 2);
  CHECK(RingSamplesForMs(24000, 20) == 480);
}

TEST_CASE("an empty ring reads nothing", "[ring]") {
  SpscRing<int16_t> ring(8);
  int16_t out[4];
  CHECK(ring.ReadAvailable() == 0);
  CHECK(ring.Read(out, 4) == 0);
  CHECK(ring.Discard(4) == 0);
  CHECK(ring.ReadRegions(4).total() == 0);
}

TEST_CASE("a full ring takes nothing more", "[ring]") {
  SpscRing<int16_t> ring(8);
  int16_t in[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK(ring.Write(in, 10) == 8);
  CHECK(ring.WriteAvailable() == 0);
  CHECK(ring.Write(in, 1) == 0);
  int16_t out[8];
  CHECK(ring.Read(out, 8) == 8);
  CHECK(std::vector<int16_t>(out, out + 8) == std::vector<int16_t>(in, in + 8));
  CHECK(ring.WriteAvailable() == 8);
}

TEST_CASE("writes and reads wrap around the end", "[ring]") {
  SpscRing<int16_t> ring(8);
  int16_t in[6] = {1, 2, 3, 4, 5, 6};
  int16_t out[6];
  REQUIRE(ring.Write(in, 6) == 6);
  REQUIRE(ring.Read(out, 6) == 6);
  // Now at index 6 of 8: the next five samples wrap.
  int16_t more[5] = {10, 11, 12, 13, 14};
  REQUIRE(ring.Write(more, 5) == 5);
  auto regions = ring.ReadRegions(5);
  CHECK(regions.first_count == 2);
  CHECK(regions.second_count == 3);
  CHECK(regions.first[0] == 10);
  CHECK(regions.second[0] == 12);
  REQUIRE(ring.Read(out, 5) == 5);
  CHECK(std::vector<int16_t>(out, out + 5) == std::vector<int16_t>(more, more + 5));
}

TEST_CASE("two-region writes convert in place", "[ring]") {
  SpscRing<int16_t> ring(8);
  int16_t in[7] = {};
  REQUIRE(ring.Write(in, 7) == 7);
  REQUIRE(ring.Discard(7) == 7);
  auto regions = ring.WriteRegions(4);  // index 7: one sample at the end, three at the start
  REQUIRE(regions.first_count == 1);
  REQUIRE(regions.second_count == 3);
  regions.first[0] = 100;
  for (size_t i = 0; i < regions.second_count; ++i)
    regions.second[i] = static_cast<int16_t>(101 + i);
  ring.CommitWrite(regions.total());
  int16_t out[4];
  REQUIRE(ring.Read(out, 4) == 4);
  CHECK(std::vector<int16_t>(out, out + 4) == std::vector<int16_t>{100, 101, 102, 103});
}

TEST_CASE("free-running indexes survive wrapping of size_t arithmetic", "[ring]") {
  SpscRing<int16_t> ring(4);
  int16_t value = 0, out = 0;
  for (int i = 0; i < 100000; ++i) {
    REQUIRE(ring.Write(&value, 1) == 1);
    REQUIRE(ring.Read(&out, 1) == 1);
    REQUIRE(out == value);
    ++value;
  }
}

// Run under ThreadSanitizer (cmake -DVOXTERM_SANITIZE=thread) this also proves the ordering.
TEST_CASE("a producer and a consumer thread pass every sample in order", "[ring][stress]") {
  SpscRing<int32_t> ring(256);
  constexpr int32_t kCount = 2'000'000;
  std::thread producer([&] {
    int32_t next = 0;
    int32_t chunk[97];
    while (next < kCount) {
      int32_t n = std::min<int32_t>(97, kCount - next);
      for (int32_t i = 0; i < n; ++i) chunk[i] = next + i;
      size_t written = ring.Write(chunk, static_cast<size_t>(n));
      next += static_cast<int32_t>(written);
      if (written == 0) std::this_thread::yield();
    }
  });
  int32_t expected = 0;
  int32_t chunk[61];
  bool in_order = true;
  while (expected < kCount) {
    size_t got = ring.Read(chunk, 61);
    for (size_t i = 0; i < got; ++i) in_order &= chunk[i] == expected++;
    if (got == 0) std::this_thread::yield();
  }
  producer.join();
  CHECK(in_order);
  CHECK(ring.ReadAvailable() == 0);
}
