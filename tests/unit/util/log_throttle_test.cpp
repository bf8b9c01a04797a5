// LogThrottle: a few lines of a kind as they come, then a count at most every few seconds and
// at the end, so a server that repeats an event without end cannot write a line per event.
#include <catch2/catch.hpp>

#include "util/log.h"

using namespace voxterm;

TEST_CASE("a flood writes the first lines, then counts", "[log_throttle]") {
  LogThrottle throttle(LogLevel::kDebug, "test events");  // below the tests' level: quiet
  for (int i = 0; i < LogThrottle::kFirstLines; ++i) CHECK(throttle.Admit(0));
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(throttle.Admit(1));
  CHECK(throttle.unwritten() == 1000);
  // The count is written once kCountEveryMs have passed since the first not written...
  CHECK_FALSE(throttle.Admit(1 + LogThrottle::kCountEveryMs));
  CHECK(throttle.unwritten() == 0);
  CHECK_FALSE(throttle.Admit(2 + LogThrottle::kCountEveryMs));
  CHECK(throttle.unwritten() == 1);
  // ... and at the end.
  throttle.Flush();
  CHECK(throttle.unwritten() == 0);
  CHECK_FALSE(throttle.Admit(3 + LogThrottle::kCountEveryMs));  // the first lines stay spent
}
