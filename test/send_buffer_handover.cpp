// Beyond Node: send(std::vector<std::uint8_t>&&, ...) takes the buffer over
// instead of copying it (for large datagrams, where the copy costs). The
// datagram is the same; the caller's vector comes back empty, holding the
// capacity of a buffer it handed over before and that has been sent since,
// so that a sender refilling it neither copies nor allocates.
#include "support/catch.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

std::vector<std::uint8_t> filled(std::size_t size, char first) {
  std::vector<std::uint8_t> buffer(size);
  for (std::size_t i = 0; i < size; ++i)
    buffer[i] = static_cast<std::uint8_t>(first + static_cast<char>(i % 7));
  return buffer;
}

std::string textOf(const std::vector<std::uint8_t>& buffer) {
  return std::string(buffer.begin(), buffer.end());
}

}  // namespace

TEST_CASE("a handed-over buffer is sent as it was and comes back empty",
          "[send][handover]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  std::vector<std::string> expected;
  std::vector<std::optional<dgram::Error>> results;
  auto cb = [&results](const std::optional<dgram::Error>& err, std::size_t) {
    results.push_back(err);
  };
  // Outside the loop (sent at once), with and without an address and a
  // callback.
  std::vector<std::uint8_t> buffer = filled(8192, 'a');
  expected.push_back(textOf(buffer));
  sender->send(std::move(buffer), sink.port, "127.0.0.1", cb);
  CHECK(buffer.empty());
  buffer = filled(100, 'k');
  expected.push_back(textOf(buffer));
  sender->send(std::move(buffer), sink.port, cb);  // localhost
  CHECK(buffer.empty());
  // From inside the loop, twice in a turn (the first leaves at once, the
  // second is queued until the turn ends: small enough to be batched, see
  // send_at_once.cpp for the large ones).
  // (A timer's delay is at least 1 ms: the two sends above may be done
  // before it runs, so the wait below waits for it too.)
  bool timerRan = false;
  loop.setTimeout(std::chrono::milliseconds(0), [&] {
    timerRan = true;
    for (char first : {'p', 'x'}) {
      std::vector<std::uint8_t> inTurn = filled(2000, first);
      expected.push_back(textOf(inTurn));
      sender->send(std::move(inTurn), sink.port, "127.0.0.1", cb);
      CHECK(inTurn.empty());
    }
    // The readiness backends hold a turn's later sends until it ends;
    // IOCP hands each to the system as it is issued.
    if (loop.backend() != "iocp") {
      CHECK(sender->getSendQueueCount() == 1);
      CHECK(sender->getSendQueueSize() == 2000);
    }
  });
  REQUIRE(test::runUntil(loop, [&] {
    return timerRan && sink.received.size() == expected.size() &&
           results.size() == expected.size();
  }));
  CHECK(sink.received == expected);
  for (const auto& result : results)
    CHECK_FALSE(result);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a handed-over buffer is not copied: it comes back for reuse",
          "[send][handover]") {
  // The request keeps the caller's buffer (no copy); once sent, its next
  // send hands that same buffer back in exchange for the new one.
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  int done = 0;
  auto cb = [&done](const std::optional<dgram::Error>& err, std::size_t) {
    CHECK_FALSE(err);
    ++done;
  };
  std::vector<std::uint8_t> first = filled(8192, 'a');
  const std::uint8_t* firstData = first.data();
  sender->send(std::move(first), sink.port, "127.0.0.1", cb);
  REQUIRE(test::runUntil(loop, [&] { return done == 1; }));
  std::vector<std::uint8_t> second = filled(8192, 'b');
  const std::uint8_t* secondData = second.data();
  sender->send(std::move(second), sink.port, "127.0.0.1", cb);
  CHECK(second.empty());
  CHECK(second.data() == firstData);
  CHECK(second.capacity() >= 8192);
  // Refilled in place and sent again: the second buffer comes back.
  second.assign(8192, 'c');
  CHECK(second.data() == firstData);  // no allocation for the refill
  REQUIRE(test::runUntil(loop, [&] { return done == 2; }));
  sender->send(std::move(second), sink.port, "127.0.0.1", cb);
  CHECK(second.data() == secondData);
  REQUIRE(test::runUntil(
      loop, [&] { return done == 3 && sink.received.size() == 3; }));
  CHECK(sink.received[0] == std::string(textOf(filled(8192, 'a'))));
  CHECK(sink.received[1] == std::string(textOf(filled(8192, 'b'))));
  CHECK(sink.received[2] == std::string(8192, 'c'));
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a handover that throws leaves the buffer with the caller",
          "[send][handover][arguments]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  std::vector<std::uint8_t> buffer = filled(64, 'q');
  const std::uint8_t* data = buffer.data();
  auto bad =
      test::thrownBy([&] { socket->send(std::move(buffer), 0, "127.0.0.1"); });
  CHECK(bad.code() == "ERR_SOCKET_BAD_PORT");
  CHECK(buffer.size() == 64);
  CHECK(buffer.data() == data);
  auto notConnected = test::thrownBy([&] { socket->send(std::move(buffer)); });
  CHECK(notConnected.code() == "ERR_SOCKET_BAD_PORT");
  CHECK(buffer.size() == 64);
  socket->close();
  auto closed =
      test::thrownBy([&] { socket->send(std::move(buffer), 9, "127.0.0.1"); });
  CHECK(closed.code() == "ERR_SOCKET_DGRAM_NOT_RUNNING");
  CHECK(buffer.size() == 64);
  CHECK(buffer.data() == data);
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a buffer handed over before 'listening', or on a connected socket",
          "[send][handover]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  // Unbound: the send binds the socket implicitly and waits for it.
  auto early = test::makeSocket(loop);
  std::vector<std::uint8_t> buffer = filled(500, 'e');
  const std::string earlyText = textOf(buffer);
  early->send(std::move(buffer), sink.port, "127.0.0.1");
  CHECK(buffer.empty());
  // Connected: the connected form, with a callback.
  auto connected = test::boundSocket(loop);
  bool isConnected = false;
  connected->connect(sink.port, "127.0.0.1",
                     [&](const std::optional<dgram::Error>& err) {
                       CHECK_FALSE(err);
                       isConnected = true;
                     });
  REQUIRE(test::runUntil(loop, [&] { return isConnected; }));
  std::optional<std::optional<dgram::Error>> result;
  buffer = filled(700, 'c');
  const std::string connectedText = textOf(buffer);
  connected->send(std::move(buffer),
                  [&](const std::optional<dgram::Error>& err, std::size_t n) {
                    CHECK(n == 700);
                    result = err;
                  });
  CHECK(buffer.empty());
  REQUIRE(test::runUntil(loop,
                         [&] { return result && sink.received.size() == 2; }));
  CHECK_FALSE(*result);
  CHECK(((sink.received[0] == earlyText && sink.received[1] == connectedText) ||
         (sink.received[0] == connectedText && sink.received[1] == earlyText)));
  early->close();
  connected->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}
