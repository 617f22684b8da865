// The completion of a batch of queued sends (one sendmmsg on Linux): the
// kernel's whole batch completes in one pass, and each callback is called
// where its request keeps it. Node's rules hold through it: every callback
// runs once, on a later turn (never inside send()), in send order, with
// its own datagram's size; a throwing callback loses none of the others;
// a send without a callback in the middle of a batch changes nothing for
// the callbacks around it; and what a callback captured is released once
// it has run.
#include "support/catch.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using namespace std::chrono_literals;

struct Thrown : std::runtime_error {
  Thrown() : std::runtime_error("thrown by a send callback") {}
};

// More than one sendmmsg batch (64 datagrams) from one turn: the first
// leaves at once, a full batch leaves from inside send(), the rest at the
// turn's end.
constexpr int kSends = 150;

std::string payloadOf(int i) {
  return std::string(static_cast<std::size_t>(1 + i % 40), 'a' + i % 26);
}

}  // namespace

TEST_CASE("a batch's send callbacks run later, once each, in send order",
          "[send][batch][completion]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  std::vector<int> order;
  std::vector<std::size_t> sizes;
  bool insideTurn = false;
  bool ranInsideTurn = false;
  bool fired = false;
  loop.setTimeout(0ms, [&] {
    insideTurn = true;
    for (int i = 0; i < kSends; ++i) {
      std::string text = payloadOf(i);
      if (i % 7 == 3) {
        // No callback: it goes out in the same batch, unreported.
        sender->send(text, sink.port, "127.0.0.1");
        continue;
      }
      sender->send(
          text, sink.port, "127.0.0.1",
          [&, i](const std::optional<dgram::Error>& err, std::size_t bytes) {
            CHECK_FALSE(err);
            if (insideTurn) ranInsideTurn = true;
            order.push_back(i);
            sizes.push_back(bytes);
          });
    }
    insideTurn = false;
    fired = true;
  });
  REQUIRE(test::runUntil(loop, [&] { return fired; }));
  std::vector<int> expected;
  for (int i = 0; i < kSends; ++i)
    if (i % 7 != 3) expected.push_back(i);
  REQUIRE(test::runUntil(loop, [&] {
    return order.size() == expected.size() &&
           sink.received.size() == static_cast<std::size_t>(kSends);
  }));
  CHECK_FALSE(ranInsideTurn);
  CHECK(order == expected);
  for (std::size_t k = 0; k < order.size(); ++k)
    CHECK(sizes[k] == payloadOf(order[k]).size());
  for (int i = 0; i < kSends; ++i)
    CHECK(sink.received[static_cast<std::size_t>(i)] == payloadOf(i));
  CHECK(sender->getSendQueueCount() == 0);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a throwing callback in a batch loses none of the others",
          "[send][batch][completion][exception]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  std::vector<int> calls(kSends, 0);
  std::vector<int> order;
  bool fired = false;
  loop.setTimeout(0ms, [&] {
    for (int i = 0; i < kSends; ++i)
      sender->send(payloadOf(i), sink.port, "127.0.0.1",
                   [&, i](const std::optional<dgram::Error>& err, std::size_t) {
                     CHECK_FALSE(err);
                     ++calls[static_cast<std::size_t>(i)];
                     order.push_back(i);
                     if (i % 50 == 10) throw Thrown();
                   });
    fired = true;
  });
  int thrown = test::runCatching<Thrown>(
      loop,
      [&] { return fired && order.size() == static_cast<std::size_t>(kSends); },
      false);
  CHECK(thrown == 3);  // 10, 60, 110
  for (int c : calls)
    CHECK(c == 1);
  std::vector<int> expected;
  for (int i = 0; i < kSends; ++i)
    expected.push_back(i);
  CHECK(order == expected);
  sender->close();
  sink.socket->close();
  CHECK(test::runCatching<Thrown>(
            loop, [] { return false; }, true) == 0);
}

TEST_CASE("callbacks that send again keep the order across batches",
          "[send][batch][completion]") {
  // The bench's send mode: a window of sends in flight, each callback
  // issuing the next one while the batch it came from is completing.
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  constexpr int kWindow = 100;
  constexpr int kTotal = 600;
  int issued = 0;
  std::vector<int> order;
  std::function<void()> issue = [&] {
    int i = issued++;
    sender->send(
        payloadOf(i), sink.port, "127.0.0.1",
        [&, i](const std::optional<dgram::Error>& err, std::size_t bytes) {
          CHECK_FALSE(err);
          CHECK(bytes == payloadOf(i).size());
          order.push_back(i);
          if (issued < kTotal) issue();
        });
  };
  loop.setTimeout(0ms, [&] {
    for (int i = 0; i < kWindow; ++i)
      issue();
  });
  REQUIRE(test::runUntil(
      loop, [&] { return order.size() == static_cast<std::size_t>(kTotal); }));
  std::vector<int> expected;
  for (int i = 0; i < kTotal; ++i)
    expected.push_back(i);
  CHECK(order == expected);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a send callback's captures are released once it has run",
          "[send][batch][completion]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  int done = 0;
  long holdersSeenLater = -1;
  loop.setTimeout(0ms, [&] {
    for (int i = 0; i < 80; ++i)
      sender->send("x", sink.port, "127.0.0.1",
                   [&done, token](const std::optional<dgram::Error>&,
                                  std::size_t) { ++done; });
    token.reset();
  });
  REQUIRE(test::runUntil(loop, [&] { return done == 80; }));
  // The callbacks ran on one turn; what they held is gone by the next.
  loop.setTimeout(0ms, [&] { holdersSeenLater = watch.use_count(); });
  REQUIRE(test::runUntil(loop, [&] { return holdersSeenLater >= 0; }));
  CHECK(holdersSeenLater == 0);
  CHECK(watch.expired());
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("closing from a batch's callback completes every send once",
          "[send][batch][completion][close]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  std::vector<int> calls(kSends, 0);
  std::vector<int> order;
  int errors = 0;
  bool fired = false;
  loop.setTimeout(0ms, [&] {
    for (int i = 0; i < kSends; ++i)
      sender->send(payloadOf(i), sink.port, "127.0.0.1",
                   [&, i](const std::optional<dgram::Error>& err, std::size_t) {
                     ++calls[static_cast<std::size_t>(i)];
                     order.push_back(i);
                     if (err) ++errors;
                     if (i == 5) sender->close();
                   });
    fired = true;
  });
  REQUIRE(test::runUntil(loop, [&] {
    return fired && order.size() == static_cast<std::size_t>(kSends);
  }));
  for (int c : calls)
    CHECK(c == 1);
  std::vector<int> expected;
  for (int i = 0; i < kSends; ++i)
    expected.push_back(i);
  CHECK(order == expected);
  // Every one of them had left before the close: none failed.
  CHECK(errors == 0);
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "a batch's callbacks all run when the first drops the socket's last "
    "reference",
    "[send][batch][completion][close]") {
  // The callbacks are called where their requests keep them, in the
  // socket's pool: the socket (and the pool) must outlive the pass even
  // when a callback closes it and lets go of the program's last handle.
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  std::weak_ptr<dgram::Socket> watch = sender;
  std::vector<int> order;
  bool fired = false;
  loop.setTimeout(0ms, [&] {
    for (int i = 0; i < kSends; ++i)
      sender->send(
          payloadOf(i), sink.port, "127.0.0.1",
          [&, i](const std::optional<dgram::Error>& err, std::size_t bytes) {
            CHECK_FALSE(err);
            CHECK(bytes == payloadOf(i).size());
            order.push_back(i);
            if (i == 0) {
              sender->close();
              sender.reset();
            }
          });
    fired = true;
  });
  REQUIRE(test::runUntil(loop, [&] {
    return fired && order.size() == static_cast<std::size_t>(kSends);
  }));
  std::vector<int> expected;
  for (int i = 0; i < kSends; ++i)
    expected.push_back(i);
  CHECK(order == expected);
  REQUIRE(test::runUntil(loop, [&] { return watch.expired(); }));
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}
