// The AbortSignal option (reference X3).
#include "support/catch.hpp"

#include <optional>
#include <string>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using test::thrownBy;

using namespace std::chrono_literals;

}  // namespace

TEST_CASE("aborting the signal closes a bound socket", "[abort][close]") {
  dgram::Loop loop;
  dgram::AbortController controller;
  dgram::SocketOptions options;
  options.signal = controller.signal();
  auto socket = test::makeSocket(loop, options);
  int listening = 0, closes = 0;
  socket->on(dgram::close, [&] { ++closes; });
  socket->bind(0, "127.0.0.1", [&] { ++listening; });
  REQUIRE(test::runUntil(loop, [&] { return listening == 1; }));
  CHECK(closes == 0);
  controller.abort();
  CHECK(closes == 0);  // 'close' comes on a later turn
  REQUIRE(test::runUntilIdle(loop));
  CHECK(closes == 1);
  auto e = thrownBy([&] { socket->send("x", 1234, "127.0.0.1"); });
  CHECK(e.code() == "ERR_SOCKET_DGRAM_NOT_RUNNING");
  // Aborting again, or closing by hand, changes nothing.
  controller.abort();
  CHECK_THROWS_AS(socket->close(), dgram::Error);
  REQUIRE(test::runUntilIdle(loop));
  CHECK(closes == 1);
}

TEST_CASE("aborting the signal closes an unbound socket", "[abort][close]") {
  dgram::Loop loop;
  dgram::AbortController controller;
  dgram::SocketOptions options;
  options.signal = controller.signal();
  auto socket = test::makeSocket(loop, options);
  int closes = 0;
  socket->on(dgram::close, [&] { ++closes; });
  controller.abort();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(closes == 1);
  CHECK(thrownBy([&] { socket->bind(); }).code() ==
        "ERR_SOCKET_DGRAM_NOT_RUNNING");
}

TEST_CASE(
    "a socket created with an already aborted signal is closed at creation",
    "[abort][close]") {
  dgram::Loop loop;
  dgram::AbortController controller;
  controller.abort();
  dgram::SocketOptions options;
  options.signal = controller.signal();
  auto socket = test::makeSocket(loop, options);
  // Closed already, but 'close' comes on a later turn, so a listener added
  // right after createSocket still hears it.
  int closes = 0;
  socket->on(dgram::close, [&] { ++closes; });
  auto e = thrownBy([&] { socket->bind(0, "127.0.0.1"); });
  CHECK(e.code() == "ERR_SOCKET_DGRAM_NOT_RUNNING");
  CHECK(std::string(e.what()) == "Not running");
  CHECK(closes == 0);
  REQUIRE(test::runUntilIdle(loop));
  CHECK(closes == 1);
}

TEST_CASE("abort after the socket was closed by hand is harmless",
          "[abort][close]") {
  dgram::Loop loop;
  dgram::AbortController controller;
  dgram::SocketOptions options;
  options.signal = controller.signal();
  auto socket = test::makeSocket(loop, options);
  int closes = 0;
  socket->bind(0, "127.0.0.1");
  socket->close([&] { ++closes; });
  REQUIRE(test::runUntilIdle(loop));
  controller.abort();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(closes == 1);
}

TEST_CASE("abort with sends in flight: each callback once, 'close' once",
          "[abort][close][send]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver = test::makeSocket(
      loop, dgram::Type::udp4,
      [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  bool listening = false;
  receiver->bind(0, "127.0.0.1", [&] { listening = true; });
  REQUIRE(test::runUntil(loop, [&] { return listening; }));

  dgram::AbortController controller;
  dgram::SocketOptions options;
  options.signal = controller.signal();
  auto socket = test::makeSocket(loop, options);
  int callbacks = 0, ok = 0, closes = 0;
  socket->on(dgram::close, [&] { ++closes; });
  for (int i = 0; i < 3; ++i) {
    socket->send("x", receiver->address().port, "127.0.0.1",
                 [&](const std::optional<dgram::Error>& err, std::size_t) {
                   ++callbacks;
                   if (!err)
                     ++ok;
                   else
                     CHECK(err->code() == "ECANCELED");
                 });
  }
  controller.abort();
  REQUIRE(test::runUntil(loop, [&] { return callbacks == 3 && closes == 1; }));
  auto until = std::chrono::steady_clock::now() + 100ms;
  test::runUntil(loop,
                 [&] { return std::chrono::steady_clock::now() > until; });
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 3);
  CHECK(closes == 1);
  CHECK(messages == ok);
}

TEST_CASE("a default AbortSignal is none and never aborts", "[abort]") {
  dgram::AbortSignal none;
  CHECK_FALSE(static_cast<bool>(none));
  CHECK_FALSE(none.aborted());
  dgram::AbortController controller;
  CHECK(static_cast<bool>(controller.signal()));
  CHECK_FALSE(controller.signal().aborted());
  int fired = 0;
  controller.signal().addListener([&] { ++fired; });
  controller.abort();
  controller.abort();
  CHECK(controller.signal().aborted());
  CHECK(fired == 1);
}
