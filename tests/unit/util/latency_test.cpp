#include "util/latency.h"

#include <catch2/catch.hpp>

using namespace voxterm;

TEST_CASE("percentiles are by nearest rank", "[latency]") {
  LatencySeries series;
  CHECK(series.Percentile(50) == 0);
  for (int64_t v = 100; v >= 1; --v) series.Add(v * 1000);  // 1..100 us, in reverse
  CHECK(series.Percentile(50) == 50000);
  CHECK(series.Percentile(99) == 99000);
  CHECK(series.Percentile(100) == 100000);
  CHECK(series.Percentile(0) == 1000);
}

TEST_CASE("a series stops growing at its reserved size", "[latency]") {
  LatencySeries series;
  for (size_t i = 0; i < LatencySeries::kMaxSamples + 10; ++i) series.Add(1);
  CHECK(series.count() == LatencySeries::kMaxSamples);
}

TEST_CASE("the report names every series in microseconds", "[latency]") {
  Latencies latencies;
  latencies.barge_in.Add(12345678);
  const std::string json = latencies.ToJson();
  CHECK(json.find("\"barge_in\": {\"count\": 1, \"p50_us\": 12345, \"p99_us\": 12345, \"max_us\": "
                  "12345}") != std::string::npos);
  CHECK(json.find("\"capture_to_send\": {\"count\": 0") != std::string::npos);
}
