#include "util/wakeup_queue.h"

#include <poll.h>

#include <catch2/catch.hpp>
#include <thread>

using namespace voxterm;

namespace {
bool Readable(int fd) {
  pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}
}  // namespace

TEST_CASE("a push wakes the consumer's poll and drain clears it", "[queue]") {
  WakeupQueue<int> queue;
  CHECK_FALSE(Readable(queue.fd()));
  queue.Push(1);
  queue.Push(2);
  CHECK(Readable(queue.fd()));
  std::deque<int> items;
  queue.Drain(&items);
  CHECK(items == std::deque<int>{1, 2});
  CHECK_FALSE(Readable(queue.fd()));
}

TEST_CASE("items from another thread arrive whole and in order", "[queue]") {
  WakeupQueue<int> queue;
  constexpr int kCount = 20000;
  std::thread producer([&] {
    for (int i = 0; i < kCount; ++i) queue.Push(i);
  });
  std::deque<int> items;
  while (static_cast<int>(items.size()) < kCount) {
    pollfd p = {queue.fd(), POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    queue.Drain(&items);
  }
  producer.join();
  for (int i = 0; i < kCount; ++i) REQUIRE(items[i] == i);
}
