#include "session/link.h"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <deque>
#include <memory>

#include "fakes/fake_transport.h"

using namespace voxterm;

namespace {

struct LinkTest {
  WakeupQueue<NetEvent> queue;
  FakeTransport* current = nullptr;  // the newest connection, owned by the Link
  Status next_start = Status::Ok();
  std::atomic<int64_t> now_ns{0};  // the Link's clock: still, unless a test moves it
  Link link{ConnectOptions{}, &queue,
            [this] {
              auto transport = std::make_unique<FakeTransport>();
              transport->start_result = next_start;
              current = transport.get();
              return transport;
            },
            [this] { return now_ns.load(); }};

  std::deque<NetEvent> Drain() {
    std::deque<NetEvent> events;
    queue.Drain(&events);
    return events;
  }
};

}  // namespace

TEST_CASE_METHOD(LinkTest, "a late word from a connection given up is not the current one's",
                 "[link]") {
  link.Connect();
  current->InjectMessage("one");
  link.Connect();  // the first is closed and forgotten
  current->InjectMessage("two");
  std::deque<NetEvent> events = Drain();
  REQUIRE(events.size() == 2);
  CHECK_FALSE(link.Current(events[0]));
  CHECK(link.Current(events[1]));
  CHECK(events[1].text == "two");
  for (const NetEvent& e : events) link.Consumed(e);
}

TEST_CASE_METHOD(LinkTest, "messages go to the current connection, or nowhere between them",
                 "[link]") {
  link.Send("lost");  // no connection yet
  link.Connect();
  link.Send("hello");
  CHECK(current->sent == std::vector<std::string>{"hello"});
  link.Drop();
  CHECK_FALSE(link.active());
  link.Send("dropped");
  link.Close();        // nothing to close
  link.CheckAlive(5);  // nor to ping
}

TEST_CASE_METHOD(LinkTest, "a connection that cannot start reports a failure event", "[link]") {
  next_start = Status::Error("no TLS context");
  link.Connect();
  std::deque<NetEvent> events = Drain();
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == NetEvent::Kind::kFailed);
  CHECK(events[0].text == "no TLS context");
  CHECK(link.Current(events[0]));
}

TEST_CASE_METHOD(LinkTest, "past the high-water mark the connection stops reading until drained",
                 "[link]") {
  link.Connect();
  const std::string chunk(1 << 20, 'x');  // 1 MiB
  int accepted = 0;
  while (current->InjectMessage(chunk)) ++accepted;
  // It stops at the first message that takes the backlog past 8 MiB.
  CHECK(accepted == static_cast<int>(Link::kHighWaterBytes / chunk.size()) - 1);
  std::deque<NetEvent> events = Drain();
  // The main thread works through them: reading resumes once at most 2 MiB is left, and once.
  while (events.size() > 2) {
    link.Consumed(events.front());
    events.pop_front();
    CHECK(current->resumes == 0);
  }
  link.Consumed(events.front());
  events.pop_front();
  CHECK(current->resumes == 1);
  for (const NetEvent& e : events) link.Consumed(e);
  CHECK(current->resumes == 1);
}

TEST_CASE_METHOD(LinkTest, "a new connection reads although the old one's backlog is queued",
                 "[link]") {
  link.Connect();
  const std::string chunk(1 << 20, 'x');
  while (current->InjectMessage(chunk)) {
  }
  link.Connect();
  // The old messages still count, so the new connection's first one is over the mark too; but
  // it was reading, and once they are consumed it reads again.
  CHECK_FALSE(current->InjectMessage("new"));
  for (const NetEvent& e : Drain()) link.Consumed(e);
  CHECK(current->resumes == 1);
}

namespace {
bool Readable(int fd) {
  pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}
// The eventfd's count since it was last read: how many times the main thread was woken.
uint64_t Wakeups(int fd) {
  uint64_t count = 0;
  return read(fd, &count, sizeof count) == sizeof count ? count : 0;
}
}  // namespace

TEST_CASE_METHOD(LinkTest, "a burst reaches the main thread in one batch and one wake-up",
                 "[link][batch]") {
  link.Connect();
  current->InjectInBurst("one");
  current->InjectInBurst("two");
  current->InjectInBurst("three");
  CHECK_FALSE(Readable(queue.fd()));  // the connection still has more ready
  current->InjectBurstEnd();
  CHECK(Wakeups(queue.fd()) == 1);
  std::deque<NetEvent> events = Drain();
  REQUIRE(events.size() == 3);
  CHECK(events[0].text == "one");
  CHECK(events[2].text == "three");
  for (const NetEvent& e : events) link.Consumed(e);
  // A message alone in its burst goes on at once.
  current->InjectMessage("alone");
  CHECK(Wakeups(queue.fd()) == 1);
  CHECK(Drain().size() == 1);
}

TEST_CASE_METHOD(LinkTest,
                 "a long burst is handed on in pieces, the first not waiting for the last",
                 "[link][batch]") {
  link.Connect();
  const std::string delta(10000, 'x');
  size_t held = 0;
  while (!Readable(queue.fd())) {
    current->InjectInBurst(delta);
    held += delta.size();
    REQUIRE(held <= Link::kBatchBytes + delta.size());
  }
  CHECK(Drain().size() == (Link::kBatchBytes + delta.size() - 1) / delta.size());
  // Nor does a message wait long behind a slow burst.
  current->InjectInBurst("slow");
  now_ns += Link::kBatchHoldNs - 1;
  current->InjectInBurst("soon after");
  CHECK_FALSE(Readable(queue.fd()));
  now_ns += 1;
  current->InjectInBurst("next");
  CHECK(Drain().size() == 3);
}

TEST_CASE_METHOD(LinkTest, "the connection's end follows what it had received, at once",
                 "[link][batch]") {
  link.Connect();
  current->InjectInBurst("last words");
  current->InjectClose(1000);
  std::deque<NetEvent> events = Drain();
  REQUIRE(events.size() == 2);
  CHECK(events[0].text == "last words");
  CHECK(events[1].kind == NetEvent::Kind::kClosed);
}

TEST_CASE_METHOD(LinkTest, "backpressure hands on what is held: a paused connection ends no burst",
                 "[link][batch]") {
  link.Connect();
  const std::string chunk(1 << 20, 'x');
  while (current->InjectInBurst(chunk)) {
  }
  CHECK(Drain().size() == Link::kHighWaterBytes / chunk.size());
}

TEST_CASE_METHOD(LinkTest, "messages held when a connection is dropped still reach the queue",
                 "[link][batch]") {
  link.Connect();
  current->InjectInBurst("held");
  link.Drop();
  // Queued, so that the main thread counts their bytes out of the backlog (Consumed).
  std::deque<NetEvent> events = Drain();
  REQUIRE(events.size() == 1);
  CHECK_FALSE(link.Current(events[0]));
  link.Consumed(events[0]);
}
