// When posted work runs (issue 21, item 10) and why it can never starve
// I/O (issue 22, item 4).
//
// An iteration runs, in order: the due timers, the posted jobs, the
// deferred callbacks, the sends issued so far leave, the wait for I/O (and
// its dispatch), then the due timers, posted jobs and deferred callbacks
// again, and the sends leave again. A posted job runs in the first
// posted-jobs phase that begins after post() returns: never inside
// post(), and as in libuv, in the same iteration when posted from a timer
// or an I/O callback. Each phase runs only the jobs queued when it began.
//
// Before, a callback that threw ended the iteration before the I/O wait:
// a stream of posted jobs that threw (one reposting itself is enough)
// kept the loop from ever polling, 0 of 100 datagrams received, on every
// backend. Now every iteration reaches the wait (without blocking when
// work is pending) whatever callbacks throw, and the exception leaves
// runOnce() at the end of the iteration.
#include "support/catch.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/socket_helpers.hpp"

namespace {

using namespace std::chrono_literals;

struct FromPostedJob : std::runtime_error {
  FromPostedJob() : std::runtime_error("from a posted job") {}
};

}  // namespace

TEST_CASE("post() from a callback never runs the job inside post()",
          "[loop][post]") {
  dgram::Loop loop;
  bool ran = false;
  bool ranInsidePost = false;
  loop.setTimeout(0ms, [&] {
    loop.post([&] { ran = true; });
    ranInsidePost = ran;
  });
  CHECK(test::runUntilIdle(loop));
  CHECK(ran);
  CHECK_FALSE(ranInsidePost);
}

TEST_CASE(
    "a job posted from a timer runs in the same iteration, before the "
    "timer's sends leave",
    "[loop][post][send]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  int iteration = 0;
  int timerIteration = -1;
  int jobIteration = -1;
  std::size_t queuedAtJob = 0;
  loop.setTimeout(0ms, [&] {
    timerIteration = iteration;
    for (int i = 0; i < 10; ++i)
      sender->send("from the timer", sink.port, "127.0.0.1");
    loop.post([&] {
      jobIteration = iteration;
      queuedAtJob = sender->getSendQueueCount();
    });
  });
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (jobIteration < 0 && std::chrono::steady_clock::now() < deadline) {
    loop.runOnce(10ms);
    ++iteration;
  }
  REQUIRE(jobIteration >= 0);
  CHECK(jobIteration == timerIteration);
  // The readiness backends send a turn's datagrams after the first
  // together when the phases before the wait are done (IOCP hands each to
  // the system as it is issued).
  if (loop.backend() != "iocp") CHECK(queuedAtJob == 9);
  REQUIRE(test::runUntil(loop, [&] { return sink.received.size() == 10; }));
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "a job posted by a posted job runs after the I/O wait of the same "
    "iteration",
    "[loop][post]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  std::size_t seenByFirst = 99;
  std::size_t seenBySecond = 99;
  int iteration = 0;
  int firstIteration = -1;
  int secondIteration = -1;
  // Posted from here (outside the loop), before anything runs: the first
  // posted phase of the next iteration runs it.
  loop.post([&] {
    firstIteration = iteration;
    seenByFirst = sink.received.size();
    loop.post([&] {
      secondIteration = iteration;
      seenBySecond = sink.received.size();
    });
  });
  // Sent outside the loop: it is in the receiver's kernel queue before the
  // iteration starts, so that iteration's wait reads it.
  sender->send("waiting", sink.port, "127.0.0.1");
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (secondIteration < 0 && std::chrono::steady_clock::now() < deadline) {
    loop.runOnce(10ms);
    ++iteration;
  }
  REQUIRE(secondIteration >= 0);
  CHECK(firstIteration == 0);
  CHECK(secondIteration == 0);
  CHECK(seenByFirst == 0);
  CHECK(seenBySecond == 1);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "a job posted from another thread while the loop waits runs in that "
    "iteration",
    "[loop][post][thread]") {
  dgram::Loop loop;
  auto guard = loop.setTimeout(10s, [] {});
  std::atomic<bool> ran{false};
  std::thread poster([&] {
    std::this_thread::sleep_for(50ms);
    loop.post([&] { ran = true; });
  });
  auto start = std::chrono::steady_clock::now();
  loop.runOnce(5s);
  auto waited = std::chrono::steady_clock::now() - start;
  poster.join();
  CHECK(ran);
  CHECK(waited < 4s);
  loop.clearTimeout(guard);
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "posted jobs that keep coming, some throwing, never starve I/O: every "
    "datagram arrives",
    "[loop][post][exception][thread]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  constexpr int kDatagrams = 100;
  // Sent outside the loop: each leaves at once and waits in the
  // receiver's kernel queue.
  for (int i = 0; i < kDatagrams; ++i)
    sender->send(std::to_string(i), sink.port, "127.0.0.1");

  std::atomic<bool> stopping{false};
  std::atomic<int> jobs{0};
  // On the loop thread: a job that posts its successor, then throws.
  std::function<void()> repost = [&] {
    ++jobs;
    if (!stopping) loop.post(repost);
    throw FromPostedJob();
  };
  loop.post(repost);
  // From another thread: a paced stream, every other job throwing.
  std::thread poster([&] {
    for (int i = 0; !stopping && i < 20000; ++i) {
      loop.post([&jobs, i] {
        ++jobs;
        if (i % 2 == 0) throw FromPostedJob();
      });
      std::this_thread::sleep_for(100us);
    }
  });
  int thrown = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (sink.received.size() < kDatagrams &&
         std::chrono::steady_clock::now() < deadline) {
    try {
      loop.runOnce(10ms);
    } catch (const FromPostedJob&) {
      ++thrown;
    }
  }
  stopping = true;
  poster.join();
  CHECK(sink.received.size() == kDatagrams);
  CHECK(thrown > 0);
  CHECK(jobs > 0);
  // What is still posted runs (and throws) until none is left.
  sender->close();
  sink.socket->close();
  bool idle = false;
  for (int i = 0; i < 100000 && !idle; ++i) {
    try {
      idle = !loop.runOnce(10ms);
    } catch (const FromPostedJob&) {
    }
  }
  CHECK(idle);
}
