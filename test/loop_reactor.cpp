// The reactor on its own: timers, deferred work, post/stop from other
// threads, liveness and the backend choice.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "support/catch.hpp"

#include "support/helpers.hpp"

using namespace std::chrono_literals;

TEST_CASE("a loop runs on the backend DGRAM_BACKEND names", "[loop]") {
  dgram::Loop loop;
  auto available = dgram::Loop::availableBackends();
  REQUIRE(!available.empty());
  const char* env = std::getenv("DGRAM_BACKEND");
  if (env && *env) {
    CHECK(loop.backend() == std::string_view(env));
  } else {
    CHECK(loop.backend() == available.front());
  }
  for (auto name : available) {
    dgram::Loop named(name);
    CHECK(named.backend() == name);
  }
}

TEST_CASE("an unknown backend name is refused", "[loop]") {
  try {
    dgram::Loop loop("select");
    FAIL("no error");
  } catch (const dgram::Error& error) {
    CHECK(error.code() == "ERR_INVALID_ARG_VALUE");
  }
}

TEST_CASE("run() returns at once when nothing is ref'd", "[loop]") {
  dgram::Loop loop;
  auto start = std::chrono::steady_clock::now();
  loop.run();
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  CHECK_FALSE(loop.runOnce(0ms));
}

TEST_CASE("timers fire in deadline order and keep the loop alive",
          "[loop][timer]") {
  dgram::Loop loop;
  std::vector<int> order;
  // Read before the timers are set: each is due its delay after its own
  // setTimeout, so a clock read after them can be later than that (under
  // ASan the last timer once fired 30 ms after it was set but less than
  // 30 ms after a `start` read here after the three calls).
  auto start = std::chrono::steady_clock::now();
  loop.setTimeout(30ms, [&] { order.push_back(3); });
  loop.setTimeout(10ms, [&] { order.push_back(1); });
  loop.setTimeout(20ms, [&] { order.push_back(2); });
  loop.run();
  CHECK(std::chrono::steady_clock::now() - start >= 30ms);
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("clearTimeout cancels a pending timer", "[loop][timer]") {
  dgram::Loop loop;
  int fired = 0;
  auto id = loop.setTimeout(10ms, [&] { ++fired; });
  loop.setTimeout(20ms, [&] { ++fired; });
  loop.clearTimeout(id);
  loop.clearTimeout(id);      // twice is harmless
  loop.clearTimeout(999999);  // unknown ids are ignored
  loop.run();
  CHECK(fired == 1);
}

TEST_CASE("a timer may set another timer and clear itself", "[loop][timer]") {
  dgram::Loop loop;
  int fired = 0;
  dgram::TimerId self = 0;
  self = loop.setTimeout(1ms, [&] {
    ++fired;
    loop.clearTimeout(self);
    loop.setTimeout(1ms, [&] { ++fired; });
  });
  CHECK(test::runUntilIdle(loop));
  CHECK(fired == 2);
}

TEST_CASE("post() from another thread runs on the loop thread",
          "[loop][thread]") {
  dgram::Loop loop;
  std::atomic<int> ran{0};
  std::thread::id loopThread = std::this_thread::get_id();
  bool sameThread = false;
  // A long timer keeps run() waiting until the posted work stops it.
  auto guard = loop.setTimeout(10s, [] {});
  std::thread poster([&] {
    std::this_thread::sleep_for(20ms);
    loop.post([&] {
      sameThread = std::this_thread::get_id() == loopThread;
      ++ran;
      loop.clearTimeout(guard);
    });
  });
  auto start = std::chrono::steady_clock::now();
  loop.run();
  poster.join();
  CHECK(ran == 1);
  CHECK(sameThread);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("a timer set by a callback, with no timer pending, fires on time",
          "[loop][timer]") {
  // The loop reads the clock only while a timer is pending; one added
  // during the turn must still bound the wait that follows. (A bound
  // socket keeps the loop alive, so a wrong timeout would wait forever:
  // the watchdog ends that.)
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  bool fired = false;
  socket->on(dgram::listening, [&] {
    loop.setTimeout(20ms, [&] {
      fired = true;
      socket->close();
    });
  });
  socket->bind(0, "127.0.0.1");
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 500 && !done.load(); ++i)
      std::this_thread::sleep_for(10ms);
    if (!done.load()) loop.stop();
  });
  auto start = std::chrono::steady_clock::now();
  loop.run();
  auto took = std::chrono::steady_clock::now() - start;
  done.store(true);
  watchdog.join();
  CHECK(fired);
  CHECK(took >= 20ms);
  CHECK(took < 2s);
}

TEST_CASE("stop() from another thread makes run() return", "[loop][thread]") {
  dgram::Loop loop;
  auto guard = loop.setTimeout(10s, [] {});
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    loop.stop();
  });
  auto start = std::chrono::steady_clock::now();
  loop.run();
  stopper.join();
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  loop.clearTimeout(guard);
  CHECK_FALSE(loop.runOnce(0ms));
}

TEST_CASE("many threads may post at once", "[loop][thread]") {
  dgram::Loop loop;
  constexpr int kThreads = 4;
  constexpr int kPosts = 250;
  int ran = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPosts; ++i)
        loop.post([&] { ++ran; });
    });
  }
  for (auto& thread : threads)
    thread.join();
  CHECK(test::runUntilIdle(loop));
  CHECK(ran == kThreads * kPosts);
}

TEST_CASE("runOnce waits at most its timeout", "[loop]") {
  dgram::Loop loop;
  auto guard = loop.setTimeout(10s, [] {});
  auto start = std::chrono::steady_clock::now();
  CHECK(loop.runOnce(20ms));
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 15ms);
  CHECK(waited < 2s);
  loop.clearTimeout(guard);
}

TEST_CASE("runOnce does not block when it starts with callbacks to run",
          "[loop]") {
  // As libuv's UV_RUN_ONCE. A program that runs the loop until its bind
  // callback ran (`while (!bound) loop.runOnce(timeout)`) used to wait out
  // the whole timeout after the callback, for I/O that never came: 100 ms
  // per call in the shared benchmark's socket test.
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  bool bound = false;
  socket->bind(0, "127.0.0.1", [&bound] { bound = true; });
  auto start = std::chrono::steady_clock::now();
  CHECK(loop.runOnce(5s));
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(bound);
  CHECK(waited < 1s);
  // With nothing to run, it waits for I/O again (up to its timeout).
  start = std::chrono::steady_clock::now();
  CHECK(loop.runOnce(20ms));
  CHECK(std::chrono::steady_clock::now() - start >= 15ms);
  socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("an 'error' nobody listens to is thrown from run()", "[loop]") {
  dgram::Loop loop;
  auto first = test::makeSocket(loop);
  int port = 0;
  first->bind(0, "127.0.0.1", [&] { port = first->address().port; });
  REQUIRE(test::runUntil(loop, [&] { return port != 0; }));
  auto second = test::makeSocket(loop);
  second->bind(port, "127.0.0.1");
  try {
    loop.runOnce(100ms);
    loop.runOnce(100ms);
    FAIL("run() did not throw");
  } catch (const dgram::Error& error) {
    CHECK(error.code() == "EADDRINUSE");
    CHECK(error.syscall() == "bind");
  }
  first->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a loop destroyed with open sockets releases them", "[loop]") {
  int fdsBefore = test::openFdCount();
  {
    dgram::Loop loop;
    auto socket = test::makeSocket(loop);
    socket->bind(0, "127.0.0.1");
    loop.runOnce(50ms);
    socket->send("never flushed", 9, "127.0.0.1");
  }
  if (fdsBefore >= 0) CHECK(test::openFdCount() == fdsBefore);
}
