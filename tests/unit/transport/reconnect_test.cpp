#include "transport/reconnect.h"

#include <catch2/catch.hpp>

using namespace voxterm;

TEST_CASE("transient closes are retried, others are not", "[reconnect]") {
  for (int code : {1001, 1006, 1011, 1012, 1013}) CHECK(IsTransientClose(code));
  for (int code : {1000, 1003, 1008, 1009, 4000}) CHECK_FALSE(IsTransientClose(code));
  // libwebsockets 4.1 reports 1012 and 1013 as 1002 (reconnect.h).
  CHECK(IsTransientClose(kCloseMaybeRewritten));
}

TEST_CASE("backoff doubles from 0.5 s to 6.4 s, then the tries run out", "[reconnect]") {
  Backoff backoff(6, [] { return 0.0; });
  std::vector<int64_t> delays;
  for (int64_t d; (d = backoff.NextDelayMs()) >= 0;) delays.push_back(d);
  CHECK(delays == std::vector<int64_t>{500, 1000, 2000, 4000, 6400, 6400});
  CHECK(backoff.tries_made() == 6);
  backoff.Reset();
  CHECK(backoff.NextDelayMs() == 500);
}

TEST_CASE("jitter adds up to a quarter and never passes 8 s", "[reconnect]") {
  Backoff backoff(6, [] { return 0.999; });
  CHECK(backoff.NextDelayMs() == 624);
  CHECK(backoff.NextDelayMs() == 1249);
  CHECK(backoff.NextDelayMs() == 2499);
  CHECK(backoff.NextDelayMs() == 4999);
  CHECK(backoff.NextDelayMs() == 7998);
  CHECK(backoff.NextDelayMs() == 7998);
}

TEST_CASE("the longest waits are spread too, not all 8 s", "[reconnect]") {
  for (double r : {0.0, 0.5}) {
    Backoff backoff(8, [r] { return r; });
    int64_t last = 0;
    for (int64_t d; (d = backoff.NextDelayMs()) >= 0;) last = d;
    CHECK(last == static_cast<int64_t>(6400 + r * 1600));
  }
}

TEST_CASE("no tries: no retry", "[reconnect]") {
  Backoff backoff(0, [] { return 0.5; });
  CHECK(backoff.NextDelayMs() == -1);
}
