// A custom `lookup` that throws (issue 21, item 4). The method that called
// it throws the lookup's exception and leaves no trace: a send is not
// queued (later sends leave, the loop goes idle, its callback never runs),
// a bind leaves the socket unbound, a connect leaves it disconnected. An
// answer the lookup gave before throwing is ignored. A send that was
// waiting behind the bind when its lookup threw cannot throw from send():
// the exception leaves Loop::run() and that send's callback gets
// ECANCELED, once.
#include "support/catch.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/fifo.hpp"
#include "support/socket_helpers.hpp"

namespace {

using namespace std::chrono_literals;

struct LookupFailed : std::runtime_error {
  LookupFailed() : std::runtime_error("lookup failed") {}
};

// "boom" throws; "answer-then-boom" answers 127.0.0.1, then throws;
// "late.test" answers 127.0.0.1 from a timer 20 ms later; anything else
// answers 127.0.0.1 at once.
dgram::SocketOptions throwingLookupOptions(dgram::Loop& loop) {
  dgram::SocketOptions options;
  options.loop = &loop;
  options.lookup = [&loop](std::string_view host, dgram::Family,
                           dgram::LookupCallback done) {
    if (host == "boom") throw LookupFailed();
    if (host == "answer-then-boom") {
      done(std::nullopt, "127.0.0.1", dgram::Family::IPv4);
      throw LookupFailed();
    }
    if (host == "late.test") {
      loop.setTimeout(20ms, [done] {
        done(std::nullopt, "127.0.0.1", dgram::Family::IPv4);
      });
      return;
    }
    done(std::nullopt, "127.0.0.1", dgram::Family::IPv4);
  };
  return options;
}

// Runs the loop until `done()` (bounded), counting the LookupFailed
// exceptions that leave it.
template <typename Pred>
bool runCatching(dgram::Loop& loop, Pred done, int& thrown) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    try {
      loop.runOnce(10ms);
    } catch (const LookupFailed&) {
      ++thrown;
    }
  }
  return done();
}

}  // namespace

TEST_CASE("a lookup that throws: send() throws and leaves no trace",
          "[lookup][exception][send]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = dgram::createSocket(throwingLookupOptions(loop));
  test::bindAndWait(loop, *sender, "127.0.0.1");
  int lostCallbacks = 0;
  std::vector<std::string> results;
  auto record = [&results](std::string name) {
    return
        [&results, name](const std::optional<dgram::Error>& err, std::size_t) {
          results.push_back(name + (err ? " " + err->code() : " ok"));
        };
  };
  auto lost = [&lostCallbacks](const std::optional<dgram::Error>&,
                               std::size_t) { ++lostCallbacks; };

  SECTION("nothing queued before it") {
    CHECK_THROWS_AS(sender->send("lost", sink.port, "boom", lost),
                    LookupFailed);
    sender->send("after", sink.port, "fine.test", record("after"));
  }
  SECTION("an answer given before the throw is not used") {
    CHECK_THROWS_AS(sender->send("lost", sink.port, "answer-then-boom", lost),
                    LookupFailed);
    sender->send("after", sink.port, "fine.test", record("after"));
  }
  SECTION("behind a lookup still in flight, which keeps its order") {
    sender->send("first", sink.port, "late.test", record("first"));
    CHECK_THROWS_AS(sender->send("lost", sink.port, "boom", lost),
                    LookupFailed);
    sender->send("after", sink.port, "127.0.0.1", record("after"));
  }
  REQUIRE(test::runUntil(loop, [&] {
    return !sink.received.empty() && sink.received.back() == "after";
  }));
  for (const auto& got : sink.received)
    CHECK(got != "lost");
  CHECK(sink.received.front() != "lost");
  test::settle(loop, 50ms);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
  CHECK(lostCallbacks == 0);
  CHECK(results.back() == "after ok");
  if (results.size() == 2) CHECK(results.front() == "first ok");
}

TEST_CASE("a lookup that throws: bind() throws, the socket stays unbound",
          "[lookup][exception][bind]") {
  dgram::Loop loop;
  auto socket = dgram::createSocket(throwingLookupOptions(loop));
  int listening = 0;
  int lostCallbacks = 0;
  socket->on(dgram::listening, [&] { ++listening; });
  CHECK_THROWS_AS(socket->bind(0, "boom", [&] { ++lostCallbacks; }),
                  LookupFailed);
  CHECK_THROWS_AS(socket->bind(0, "answer-then-boom", [&] { ++lostCallbacks; }),
                  LookupFailed);
  // Unbound, not held by the loop: nothing keeps it or the loop going.
  std::weak_ptr<dgram::Socket> weak = socket;
  CHECK(test::runUntilIdle(loop, 1s));
  CHECK(listening == 0);
  CHECK(lostCallbacks == 0);
  int bound = 0;
  socket->bind(0, "fine.test", [&] { ++bound; });
  REQUIRE(test::runUntil(loop, [&] { return bound == 1; }));
  CHECK(listening == 1);
  CHECK(lostCallbacks == 0);
  socket->close();
  socket.reset();
  CHECK(test::runUntilIdle(loop));
  CHECK(weak.expired());
}

TEST_CASE(
    "a lookup that throws: connect() throws, the socket stays disconnected",
    "[lookup][exception][connect]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  auto socket = dgram::createSocket(throwingLookupOptions(loop));
  test::bindAndWait(loop, *socket, "127.0.0.1");
  int connects = 0;
  int lostCallbacks = 0;
  socket->on(dgram::connect, [&] { ++connects; });
  CHECK_THROWS_AS(socket->connect(sink.port, "boom",
                                  [&](const std::optional<dgram::Error>&) {
                                    ++lostCallbacks;
                                  }),
                  LookupFailed);
  CHECK(test::thrownBy([&] { socket->remoteAddress(); }).code() ==
        "ERR_SOCKET_DGRAM_NOT_CONNECTED");
  std::optional<dgram::Error> result;
  bool called = false;
  socket->connect(sink.port, "fine.test",
                  [&](const std::optional<dgram::Error>& err) {
                    called = true;
                    result = err;
                  });
  REQUIRE(test::runUntil(loop, [&] { return called; }));
  CHECK_FALSE(result);
  CHECK(connects == 1);
  CHECK(socket->remoteAddress().port == sink.port);
  socket->send("connected");
  REQUIRE(test::runUntil(loop, [&] { return sink.received.size() == 1; }));
  socket->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
  CHECK(lostCallbacks == 0);
}

TEST_CASE(
    "a lookup that throws for a send queued behind the bind: run() throws, "
    "that send is cancelled, the others leave",
    "[lookup][exception][send]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = dgram::createSocket(throwingLookupOptions(loop));
  std::vector<std::string> results;
  auto record = [&results](std::string name) {
    return
        [&results, name](const std::optional<dgram::Error>& err, std::size_t) {
          results.push_back(name + (err ? " " + err->code() : " ok"));
        };
  };
  // Unbound: the three wait for the implicit bind, then run in order.
  sender->send("one", sink.port, "fine.test", record("one"));
  sender->send("lost", sink.port, "boom", record("lost"));
  sender->send("three", sink.port, "fine.test", record("three"));
  int thrown = 0;
  REQUIRE(runCatching(
      loop, [&] { return results.size() == 3; }, thrown));
  CHECK(thrown == 1);
  REQUIRE(test::runUntil(loop, [&] { return sink.received.size() == 2; }));
  CHECK(sink.received == std::vector<std::string>{"one", "three"});
  std::sort(results.begin(), results.end());
  CHECK(results ==
        std::vector<std::string>{"lost ECANCELED", "one ok", "three ok"});
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("Fifo: its storage is bounded by what it holds at once",
          "[lookup][send][memory]") {
  // The ordered send queue while lookups overlap (it never empties), and
  // the held datagrams: before, the vector under it only ever grew.
  dgram::detail::Fifo<int> fifo;
  fifo.push_back(-2);
  fifo.push_back(-1);
  bool inOrder = true;
  for (int i = 0; i < 100000; ++i) {
    fifo.push_back(i);
    inOrder = inOrder && fifo.front() == i - 2;
    fifo.pop_front();
  }
  CHECK(inOrder);
  CHECK(fifo.size() == 2);
  CHECK(fifo.capacity() <= 64);
  // After a burst it gives memory back once drained below it.
  for (int i = 0; i < 10000; ++i)
    fifo.push_back(i);
  for (int i = 0; i < 9999; ++i)
    fifo.pop_front();
  for (int i = 0; i < 1000; ++i) {
    fifo.push_back(i);
    fifo.pop_front();
  }
  CHECK(fifo.size() == 3);
  CHECK(fifo.capacity() <= 64);
}
