// EventEmitter behaviour of the socket: several listeners in registration
// order, once, off, and an 'error' with no listener thrown from the loop
// (reference M4, B4; the events rules of include/dgram/socket.hpp).
#include "support/catch.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using test::boundSocket;

using namespace std::chrono_literals;

}  // namespace

TEST_CASE("several listeners of each event run in registration order",
          "[events]") {
  dgram::Loop loop;
  auto peer = boundSocket(loop);
  auto socket = test::makeSocket(loop);
  std::vector<std::string> seen;
  socket->on(dgram::listening, [&] { seen.push_back("listening 1"); });
  socket->on(dgram::listening, [&] { seen.push_back("listening 2"); });
  socket->on(dgram::connect, [&] { seen.push_back("connect 1"); });
  socket->on(dgram::connect, [&] { seen.push_back("connect 2"); });
  socket->on(dgram::close, [&] { seen.push_back("close 1"); });
  socket->on(dgram::close, [&] { seen.push_back("close 2"); });
  socket->on(dgram::message, [&](dgram::Bytes, const dgram::RemoteInfo&) {
    seen.push_back("message 1");
  });
  socket->on(dgram::message, [&](dgram::Bytes, const dgram::RemoteInfo&) {
    seen.push_back("message 2");
  });
  socket->connect(peer->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return seen.size() == 4; }));
  peer->send("hi", socket->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return seen.size() == 6; }));
  socket->close();
  REQUIRE(test::runUntil(loop, [&] { return seen.size() == 8; }));
  peer->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(seen == std::vector<std::string>{"listening 1", "listening 2",
                                         "connect 1", "connect 2", "message 1",
                                         "message 2", "close 1", "close 2"});
}

TEST_CASE(
    "a bind callback runs among the 'listening' listeners in the order "
    "bind() registered it",
    "[events][bind]") {
  // Node's bind(cb) is once('listening', cb) at the time of the call; the
  // socket keeps the callback aside until then and must place it there.
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  std::vector<std::string> seen;
  socket->on(dgram::listening, [&] { seen.push_back("before"); });
  socket->bind(0, "127.0.0.1", [&] { seen.push_back("bind callback"); });
  socket->on(dgram::listening, [&] { seen.push_back("after"); });
  REQUIRE(test::runUntil(loop, [&] { return seen.size() == 3; }));
  CHECK(seen == std::vector<std::string>{"before", "bind callback", "after"});
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(seen.size() == 3);  // once
}

TEST_CASE("several 'error' listeners all run, in order, and nothing is thrown",
          "[events][error]") {
  dgram::Loop loop;
  auto holder = boundSocket(loop);
  auto socket = test::makeSocket(loop);
  std::vector<int> order;
  socket->on(dgram::error, [&](const dgram::Error&) { order.push_back(1); });
  socket->on(dgram::error, [&](const dgram::Error&) { order.push_back(2); });
  socket->bind(holder->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return order.size() == 2; }));
  socket->close();
  holder->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(order == std::vector<int>{1, 2});
}

TEST_CASE("once listeners run once, off removes a listener", "[events]") {
  dgram::Loop loop;
  int onceCount = 0, onCount = 0, removedCount = 0;
  auto receiver = boundSocket(loop);
  receiver->once(dgram::message,
                 [&](dgram::Bytes, const dgram::RemoteInfo&) { ++onceCount; });
  receiver->on(dgram::message,
               [&](dgram::Bytes, const dgram::RemoteInfo&) { ++onCount; });
  auto id = receiver->on(
      dgram::message,
      [&](dgram::Bytes, const dgram::RemoteInfo&) { ++removedCount; });
  CHECK(receiver->off(id));
  CHECK_FALSE(receiver->off(id));
  CHECK_FALSE(receiver->off(987654321));
  auto sender = boundSocket(loop);
  for (int i = 0; i < 3; ++i)
    sender->send("x", receiver->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return onCount == 3; }));
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(onceCount == 1);
  CHECK(onCount == 3);
  CHECK(removedCount == 0);
}

TEST_CASE("off() of a once listener before it fired, off() of a close callback",
          "[events]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int listening = 0, closes = 0, removed = 0;
  auto id = socket->once(dgram::listening, [&] { ++removed; });
  socket->on(dgram::listening, [&] { ++listening; });
  CHECK(socket->off(id));
  auto closeId = socket->on(dgram::close, [&] { ++removed; });
  socket->on(dgram::close, [&] { ++closes; });
  CHECK(socket->off(closeId));
  socket->bind(0, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return listening == 1; }));
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 1);
  CHECK(closes == 1);
  CHECK(removed == 0);
}

TEST_CASE(
    "'message' listeners changed in the middle of a batch: each change "
    "holds from the batch's next datagram",
    "[events][receive]") {
  // One batch of eight datagrams from one sender (a flood's shape). On '2'
  // the only listener removes itself and adds two ('once' among them), on
  // '4' the new one closes the socket: the rest of the batch, already
  // read, reaches no listener.
  dgram::Loop loop;
  auto receiver = test::makeSocket(loop);
  std::string seen;
  dgram::ListenerId first = 0;
  first = receiver->on(
      dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
        CHECK(rinfo.size == msg.size());
        seen += "A" + msg.str();
        if (msg.str() != "2") return;
        receiver->off(first);
        receiver->on(dgram::message,
                     [&](dgram::Bytes again, const dgram::RemoteInfo&) {
                       seen += "B" + again.str();
                       if (again.str() == "4") receiver->close();
                     });
        receiver->once(dgram::message,
                       [&](dgram::Bytes again, const dgram::RemoteInfo&) {
                         seen += "C" + again.str();
                       });
      });
  test::bindAndWait(loop, *receiver, "127.0.0.1");
  auto sender = boundSocket(loop);
  // Sent outside a turn, each at once: all are queued before the read.
  for (char c = '0'; c < '8'; ++c)
    sender->send(std::string(1, c), receiver->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return seen.size() >= 12; }));
  test::settle(loop);
  CHECK(seen == "A0A1A2B3C3B4");
  sender->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("a listener removing a later listener during an emit", "[events]") {
  // EventEmitter calls the listeners registered when the emit began; this
  // only pins that nothing crashes and each listener runs at most once.
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int first = 0, second = 0;
  dgram::ListenerId secondId = 0;
  socket->on(dgram::listening, [&] {
    ++first;
    socket->off(secondId);
  });
  secondId = socket->on(dgram::listening, [&] { ++second; });
  socket->bind(0, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return first == 1; }));
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(first == 1);
  CHECK(second <= 1);
}

TEST_CASE(
    "an 'error' with no listener is thrown from runOnce and run as "
    "dgram::Error",
    "[events][error]") {
  dgram::Loop loop;
  auto holder = boundSocket(loop);
  const int port = holder->address().port;

  SECTION("runOnce") {
    auto socket = test::makeSocket(loop);
    socket->bind(port, "127.0.0.1");
    std::optional<dgram::Error> thrown = test::runUntilThrown(loop);
    REQUIRE(thrown);
    CHECK(thrown->code() == "EADDRINUSE");
    CHECK(std::string(thrown->what()) ==
          "bind EADDRINUSE 127.0.0.1:" + std::to_string(port));
    socket->close();
  }
  SECTION("run") {
    auto socket = test::makeSocket(loop);
    socket->bind(port, "127.0.0.1");
    holder->unref();  // so that run() can only end by the throw or idleness
    std::optional<dgram::Error> thrown;
    // A watchdog bounds run() in case nothing is thrown and the loop does
    // not go idle.
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    std::thread watchdog([&] {
      std::unique_lock<std::mutex> lock(m);
      if (!cv.wait_for(lock, 5s, [&] { return finished; })) loop.stop();
    });
    try {
      loop.run();
    } catch (const dgram::Error& e) {
      thrown = e;
    }
    {
      std::lock_guard<std::mutex> lock(m);
      finished = true;
    }
    cv.notify_one();
    watchdog.join();
    REQUIRE(thrown);
    CHECK(thrown->code() == "EADDRINUSE");
    CHECK(thrown->syscall() == "bind");
    socket->close();
  }
  holder->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("an 'error' listener removed with off() no longer catches errors",
          "[events][error]") {
  dgram::Loop loop;
  auto holder = boundSocket(loop);
  auto socket = test::makeSocket(loop);
  int caught = 0;
  auto id = socket->on(dgram::error, [&](const dgram::Error&) { ++caught; });
  socket->off(id);
  socket->bind(holder->address().port, "127.0.0.1");
  bool threw = false;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!threw && std::chrono::steady_clock::now() < deadline) {
    try {
      loop.runOnce(10ms);
    } catch (const dgram::Error&) {
      threw = true;
    }
  }
  CHECK(threw);
  CHECK(caught == 0);
  socket->close();
  holder->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE(
    "an only 'message' listener that adds, removes or closes in the middle "
    "of a burst",
    "[events][message]") {
  // A socket's only 'message' listener is called without the walk: the
  // burst's later datagrams must see what it changed, as Node's emitter
  // does (a listener added now hears the next datagram, not this one).
  dgram::Loop loop;
  auto receiver = boundSocket(loop);
  auto sender = boundSocket(loop);
  const int port = receiver->address().port;
  constexpr int kBurst = 20;
  std::vector<std::string> first, second;
  bool closed = false;
  receiver->on(dgram::close, [&] { closed = true; });
  auto burst = [&] {
    for (int i = 0; i < kBurst; ++i)
      sender->send(std::to_string(i), port, "127.0.0.1");
  };

  SECTION("adds a second listener at the first datagram") {
    receiver->on(dgram::message, [&](dgram::Bytes m, const dgram::RemoteInfo&) {
      first.push_back(m.str());
      if (first.size() == 1)
        receiver->on(dgram::message,
                     [&](dgram::Bytes m2, const dgram::RemoteInfo&) {
                       second.push_back(m2.str());
                     });
    });
    burst();
    REQUIRE(test::runUntil(
        loop, [&] { return second.size() == std::size_t{kBurst - 1}; }));
    CHECK(first.size() == std::size_t{kBurst});
    CHECK(second.front() == first[1]);
  }
  SECTION("removes itself at the third datagram, after adding another") {
    dgram::ListenerId self = 0;
    self = receiver->on(
        dgram::message, [&](dgram::Bytes m, const dgram::RemoteInfo&) {
          first.push_back(m.str());
          if (first.size() == 3) {
            receiver->on(dgram::message,
                         [&](dgram::Bytes m2, const dgram::RemoteInfo&) {
                           second.push_back(m2.str());
                         });
            CHECK(receiver->off(self));
          }
        });
    burst();
    REQUIRE(test::runUntil(
        loop, [&] { return second.size() == std::size_t{kBurst - 3}; }));
    CHECK(first.size() == 3);
    CHECK(second.front() == "3");
  }
  SECTION("closes the socket at the second datagram") {
    receiver->on(dgram::message, [&](dgram::Bytes m, const dgram::RemoteInfo&) {
      first.push_back(m.str());
      if (first.size() == 2) receiver->close();
    });
    burst();
    REQUIRE(test::runUntil(loop, [&] { return closed; }));
    test::settle(loop);
    CHECK(first.size() == 2);
  }
  SECTION("throws at the first datagram: the rest still arrive, in order") {
    receiver->on(dgram::message, [&](dgram::Bytes m, const dgram::RemoteInfo&) {
      first.push_back(m.str());
      if (first.size() == 1) throw std::runtime_error("thrown");
    });
    burst();
    int thrown = 0;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (first.size() < std::size_t{kBurst} &&
           std::chrono::steady_clock::now() < deadline) {
      try {
        loop.runOnce(10ms);
      } catch (const std::runtime_error&) {
        ++thrown;
      }
    }
    CHECK(thrown == 1);
    REQUIRE(first.size() == std::size_t{kBurst});
    for (int i = 0; i < kBurst; ++i)
      CHECK(first[i] == std::to_string(i));
  }
  sender->close();
  if (!closed) receiver->close();
  REQUIRE(test::runUntilIdle(loop));
}
