#include "session/link.h"

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
  Link link{ConnectOptions{}, &queue, [this] {
              auto transport = std::make_unique<FakeTransport>();
              transport->start_result = next_start;
              current = transport.get();
              return transport;
            }};

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
  link.Close();       // nothing to close
  link.CheckAlive();  // nor to ping
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
