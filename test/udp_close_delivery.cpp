// close() delivers the sends its loop turn already issued: a send issued
// from the loop waits for the end of the turn to leave with the turn's
// other sends ("The loop's rules" in the README), and close() in the same
// turn does not take them back. Node v20 drops them (its send waits for a
// lookup on the next tick, which finds the handle gone: no datagram, no
// callback); this library sends them, and each callback runs without an
// error, before 'close'.
#include "support/catch.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using namespace std::chrono_literals;

constexpr int kSends = 10;

/// What the sender's send callbacks and 'close' saw, in order.
struct SenderLog {
  std::vector<std::string> events;
  int ok = 0;
  int failed = 0;

  dgram::SendCallback callback(int i) {
    return [this, i](const std::optional<dgram::Error>& err, std::size_t) {
      events.push_back("sent " + std::to_string(i));
      if (err)
        ++failed;
      else
        ++ok;
    };
  }
};

/// Issues kSends sends to `port`, then close(), all in the caller's turn.
void sendThenClose(dgram::Socket& sender, int port, SenderLog& log) {
  for (int i = 0; i < kSends; ++i)
    sender.send("datagram " + std::to_string(i), port, "127.0.0.1",
                log.callback(i));
  sender.close([&log] { log.events.push_back("close"); });
}

std::vector<std::string> expectedDatagrams() {
  std::vector<std::string> expected;
  for (int i = 0; i < kSends; ++i)
    expected.push_back("datagram " + std::to_string(i));
  return expected;
}

std::vector<std::string> expectedEvents() {
  std::vector<std::string> expected;
  for (int i = 0; i < kSends; ++i)
    expected.push_back("sent " + std::to_string(i));
  expected.push_back("close");
  return expected;
}

}  // namespace

TEST_CASE("close() in a timer delivers the sends issued before it in that turn",
          "[close][send]") {
  dgram::Loop loop;
  test::Collector receiver(loop);
  auto sender = test::boundSocket(loop);
  SenderLog log;
  loop.setTimeout(1ms, [&] { sendThenClose(*sender, receiver.port, log); });
  REQUIRE(test::runUntil(loop, [&] {
    return receiver.received.size() == kSends && !log.events.empty() &&
           log.events.back() == "close";
  }));
  CHECK(receiver.received == expectedDatagrams());
  CHECK(log.ok == kSends);
  CHECK(log.failed == 0);
  CHECK(log.events == expectedEvents());
  receiver.socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE(
    "close() in a 'message' listener delivers the replies issued before it",
    "[close][send][message]") {
  dgram::Loop loop;
  test::Collector receiver(loop);
  SenderLog log;
  bool replied = false;
  std::shared_ptr<dgram::Socket> replier;
  replier =
      test::boundSocket(loop, [&](dgram::Bytes, const dgram::RemoteInfo&) {
        if (replied) return;
        replied = true;
        sendThenClose(*replier, receiver.port, log);
      });
  auto trigger = test::boundSocket(loop);
  trigger->send("go", replier->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] {
    return receiver.received.size() == kSends && !log.events.empty() &&
           log.events.back() == "close";
  }));
  CHECK(receiver.received == expectedDatagrams());
  CHECK(log.ok == kSends);
  CHECK(log.events == expectedEvents());
  trigger->close();
  receiver.socket->close();
  REQUIRE(test::runUntilIdle(loop));
}
