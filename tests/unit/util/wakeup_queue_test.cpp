#include "util/wakeup_queue.h"

#include <poll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

using namespace voxterm;

namespace {
bool Readable(int fd) {
  pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

// How many times the eventfd was written since it was last read: the consumer's wake-ups.
uint64_t Signals(int fd) {
  uint64_t count = 0;
  if (read(fd, &count, sizeof count) != sizeof count) return 0;
  return count;
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

TEST_CASE("a batch costs the consumer one wake-up however many items it holds", "[queue]") {
  WakeupQueue<int> queue;
  std::vector<int> batch;
  for (int i = 0; i < 500; ++i) batch.push_back(i);
  queue.PushAll(&batch);
  CHECK(batch.empty());
  batch = {500, 501};
  queue.PushAll(&batch);  // queued behind the first: no second wake-up
  CHECK(Signals(queue.fd()) == 1);
  std::deque<int> items;
  queue.Drain(&items);
  REQUIRE(items.size() == 502);
  for (int i = 0; i < 502; ++i) REQUIRE(items[i] == i);
  std::vector<int> none;
  queue.PushAll(&none);  // nothing to hand over wakes nobody
  CHECK_FALSE(Readable(queue.fd()));
}

TEST_CASE("drain appends behind what the consumer still holds, in order", "[queue]") {
  WakeupQueue<int> queue;
  std::deque<int> items = {1, 2};
  queue.Push(3);
  std::vector<int> batch = {4, 5};
  queue.PushAll(&batch);
  queue.Drain(&items);
  CHECK(items == std::deque<int>{1, 2, 3, 4, 5});
}

TEST_CASE("batches from another thread arrive whole and in order", "[queue]") {
  WakeupQueue<int> queue;
  constexpr int kCount = 20000;
  std::thread producer([&] {
    std::vector<int> batch;
    for (int i = 0; i < kCount; ++i) {
      batch.push_back(i);
      if (batch.size() == static_cast<size_t>(i % 7 + 1)) queue.PushAll(&batch);
    }
    queue.PushAll(&batch);
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
