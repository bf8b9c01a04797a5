// CallLimit: a delegation response's calls up to kMaxRun run; the others are kept by call_id to
// be answered, each once, within kMaxKeptBytes; past that they are lost, and counted.
#include "conversation/call_limit.h"

#include <catch2/catch.hpp>
#include <string>

using namespace voxterm;

namespace {

std::string Id(size_t n) { return "call_" + std::to_string(n); }

}  // namespace

TEST_CASE("a response's calls over the limit are kept, in order, and counted once",
          "[call_limit]") {
  CallLimit limit;
  for (size_t n = 1; n <= CallLimit::kMaxRun; ++n) {
    CHECK(limit.Admit("resp_1", Id(n), /*room=*/true) == CallLimit::Admission::kRun);
  }
  CHECK(limit.Admit("resp_1", Id(65), true) == CallLimit::Admission::kOver);
  CHECK(limit.Admit("resp_1", Id(66), true) == CallLimit::Admission::kOver);
  CHECK(limit.Admit("resp_1", Id(65), true) == CallLimit::Admission::kOver);  // its item done
  // Another response has a limit of its own.
  CHECK(limit.Admit("resp_2", Id(1), true) == CallLimit::Admission::kRun);
  const CallLimit::Over over = limit.Take("resp_1");
  CHECK(over.made == CallLimit::kMaxRun + 2);
  CHECK(over.call_ids == std::vector<std::string>{Id(65), Id(66)});
  CHECK(over.lost == 0);
  CHECK(limit.Take("resp_1").made == 0);  // forgotten
  CHECK(limit.Take("resp_2").made == 1);
}

TEST_CASE("with no room, a call is over the limit however few its response made", "[call_limit]") {
  CallLimit limit;
  CHECK(limit.Admit("resp_1", Id(1), /*room=*/false) == CallLimit::Admission::kOver);
  CHECK(limit.Take("resp_1").call_ids == std::vector<std::string>{Id(1)});
}

TEST_CASE("calls with no response id go with the response that ends", "[call_limit]") {
  CallLimit limit;
  CHECK(limit.Admit("", Id(1), /*room=*/false) == CallLimit::Admission::kOver);
  CHECK(limit.Admit("resp_1", Id(2), /*room=*/false) == CallLimit::Admission::kOver);
  CHECK(limit.Take("resp_1").call_ids == std::vector<std::string>{Id(2), Id(1)});
}

TEST_CASE("past what is kept, calls are lost and counted, until a response frees its room",
          "[call_limit]") {
  CallLimit limit;
  const std::string big(64 * 1024, 'x');
  size_t kept = 0;
  for (size_t n = 0; n < 32; ++n) {
    if (limit.Admit("resp_1", big + Id(n), /*room=*/false) == CallLimit::Admission::kOver) ++kept;
  }
  CHECK(kept > 0);
  CHECK(kept < 32);
  CHECK(limit.Admit("resp_2", big, /*room=*/false) == CallLimit::Admission::kLost);
  const CallLimit::Over over = limit.Take("resp_1");
  CHECK(over.call_ids.size() == kept);
  CHECK(over.lost == 32 - kept);
  CHECK(over.made == 32);
  // Its room is free again.
  CHECK(limit.Admit("resp_3", big, /*room=*/false) == CallLimit::Admission::kOver);
  limit.Clear();
  CHECK(limit.Take("resp_3").made == 0);
}
