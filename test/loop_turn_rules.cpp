// The rules of one loop iteration that a turn with nothing but I/O to do
// must keep as well as a turn with callbacks: an exception from the I/O
// dispatch after the iteration's first one is carried to the next call;
// what the dispatch schedules (posted jobs, send callbacks, batched sends)
// still runs in that iteration, also when a listener throws; a timer is
// never early while I/O keeps every turn busy.
#include "support/catch.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "support/socket_helpers.hpp"

using namespace std::chrono_literals;

namespace {

struct FromTimer {};
struct FromListener {};

}  // namespace

TEST_CASE(
    "an exception from the I/O dispatch after the iteration's first is "
    "thrown by the next call, which runs nothing else",
    "[loop][exception]") {
  dgram::Loop loop;
  int received = 0;
  auto receiver =
      test::boundSocket(loop, [&](dgram::Bytes, const dgram::RemoteInfo&) {
        ++received;
        throw FromListener();
      });
  auto sender = test::boundSocket(loop);
  // Both come due before the iteration: the timer throws first, then the
  // wait (which must not block) dispatches the datagram, whose listener
  // throws too.
  loop.setTimeout(1ms, [] { throw FromTimer(); });
  sender->send("x", receiver->address().port, "127.0.0.1");
  std::this_thread::sleep_for(20ms);
  // Sent outside the loop, it left at once; loopback delivers it before
  // send returns, so the iteration's wait sees it.
  bool timerThrown = false;
  try {
    loop.runOnce(2s);
  } catch (const FromTimer&) {
    timerThrown = true;
  }
  REQUIRE(timerThrown);
  CHECK(received == 1);

  // The next call throws the listener's exception and runs no callbacks:
  // neither a due timer nor a posted job.
  bool timerRan = false;
  bool jobRan = false;
  loop.setTimeout(1ms, [&] { timerRan = true; });
  loop.post([&] { jobRan = true; });
  std::this_thread::sleep_for(20ms);
  bool listenerThrown = false;
  try {
    loop.runOnce(0ms);
  } catch (const FromListener&) {
    listenerThrown = true;
  }
  CHECK(listenerThrown);
  CHECK_FALSE(timerRan);
  CHECK_FALSE(jobRan);

  // Then they run, and nothing else is thrown.
  CHECK_NOTHROW(loop.runOnce(0ms));
  CHECK(timerRan);
  CHECK(jobRan);
  receiver->close();
  sender->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "what a 'message' listener schedules runs in the iteration that "
    "dispatched it",
    "[loop][post][send]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  bool jobRan = false;
  std::optional<std::size_t> sent;
  std::shared_ptr<dgram::Socket> receiver;
  receiver =
      test::boundSocket(loop, [&](dgram::Bytes, const dgram::RemoteInfo&) {
        loop.post([&] { jobRan = true; });
        receiver->send(
            "reply", sink.port, "127.0.0.1",
            [&](const std::optional<dgram::Error>& error, std::size_t bytes) {
              if (!error) sent = bytes;
            });
      });
  auto sender = test::boundSocket(loop);
  sender->send("x", receiver->address().port, "127.0.0.1");
  // Nothing else is waiting: the iteration blocks until the datagram is
  // there, dispatches it, and then runs the job and the send callback.
  loop.runOnce(2s);
  CHECK(jobRan);
  CHECK(sent == std::size_t{5});
  receiver->close();
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "a 'message' listener that sends twice and throws: both datagrams have "
    "left when runOnce throws",
    "[loop][exception][send]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  std::shared_ptr<dgram::Socket> receiver;
  receiver =
      test::boundSocket(loop, [&](dgram::Bytes, const dgram::RemoteInfo&) {
        receiver->send("one", sink.port, "127.0.0.1");
        // The second send of the turn waits for the turn's end (on the
        // readiness backends), which comes before the throw leaves
        // runOnce.
        receiver->send("two", sink.port, "127.0.0.1");
        throw FromListener();
      });
  auto sender = test::boundSocket(loop);
  sender->send("x", receiver->address().port, "127.0.0.1");
  bool thrown = false;
  try {
    loop.runOnce(2s);
  } catch (const FromListener&) {
    thrown = true;
  }
  REQUIRE(thrown);
  CHECK(receiver->getSendQueueCount() == 0);
  REQUIRE(test::runUntil(loop, [&] { return sink.received.size() == 2; }));
  CHECK(sink.received[0] == "one");
  CHECK(sink.received[1] == "two");
  receiver->close();
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a timer is never early while datagrams keep every turn busy",
          "[loop][timer]") {
  dgram::Loop loop;
  // Two sockets bouncing one datagram: every turn dispatches I/O.
  std::shared_ptr<dgram::Socket> a;
  std::shared_ptr<dgram::Socket> b;
  bool bouncing = true;
  int bounces = 0;
  auto echo = [&](std::shared_ptr<dgram::Socket>& self) {
    return [&](dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
      ++bounces;
      if (bouncing) self->send(msg, rinfo.port, rinfo.address);
    };
  };
  a = test::boundSocket(loop, echo(a));
  b = test::boundSocket(loop, echo(b));
  // Timers set while bouncing, each checked against its own start; an
  // earlier one cleared and another moved, so the earliest changes.
  using Clock = std::chrono::steady_clock;
  struct Check {
    Clock::time_point set;
    std::chrono::milliseconds delay;
    std::optional<Clock::duration> took;
  };
  Check checks[3] = {{{}, 30ms, {}}, {{}, 45ms, {}}, {{}, 60ms, {}}};
  int fired = 0;
  auto arm = [&](Check& check) {
    check.set = Clock::now();
    return loop.setTimeout(check.delay, [&] {
      check.took = Clock::now() - check.set;
      ++fired;
    });
  };
  a->send("ball", b->address().port, "127.0.0.1");
  auto cleared = loop.setTimeout(10ms, [&] { ++fired; });
  auto first = arm(checks[0]);
  arm(checks[1]);
  REQUIRE(test::runUntil(loop, [&] { return bounces >= 10; }));
  loop.clearTimeout(cleared);
  // Re-armed from now: later than before. Its start is read first, so
  // that a pause between the two reads cannot make it look early.
  checks[0].set = Clock::now();
  first.refresh();
  arm(checks[2]);
  REQUIRE(test::runUntil(
      loop, [&] { return fired == 3; }, 10s));
  for (const Check& check : checks) {
    REQUIRE(check.took);
    // In microseconds, so that a failure shows both.
    CHECK(std::chrono::duration_cast<std::chrono::microseconds>(*check.took)
              .count() >=
          std::chrono::duration_cast<std::chrono::microseconds>(check.delay)
              .count());
  }
  CHECK(bounces > 10);
  bouncing = false;
  a->close();
  b->close();
  CHECK(test::runUntilIdle(loop));
}
