// address(), createSocket types, and the socket option setters (reference
// A1, A2, O1-O3, O8). Multicast membership, setMulticastInterface and
// source-specific membership (O4-O6) belong to the multicast issue.
#include "support/catch.hpp"

#include <cerrno>
#include <optional>
#include <string>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using test::boundSocket;
using test::thrownBy;

using namespace std::chrono_literals;

void checkEbadf(const dgram::Error& e, const std::string& syscall) {
  INFO(syscall);
  CHECK(e.code() == "EBADF");
  CHECK(e.syscall() == syscall);
  CHECK(std::string(e.what()) == syscall + " EBADF");
#ifdef _WIN32
  CHECK(e.errnum() < 0);
#else
  CHECK(e.errnum() == -EBADF);
  CHECK(e.errnum() == -9);
#endif
}

}  // namespace

TEST_CASE("address() of an unbound socket throws EBADF from getsockname",
          "[address]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  checkEbadf(thrownBy([&] { socket->address(); }), "getsockname");
  // Still unbound while binding.
  socket->bind(0, "127.0.0.1");
  CHECK_THROWS_AS(socket->address(), dgram::Error);
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("address() gives {address, family, port} after bind", "[address]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  auto info = socket->address();
  CHECK(info.address.str() == "127.0.0.1");
  CHECK(info.family == dgram::Family::IPv4);
  CHECK(dgram::to_string(info.family) == "IPv4");
  CHECK(info.port > 0);
  CHECK(info.port <= 65535);
  // address() is stable.
  auto again = socket->address();
  CHECK(again.port == info.port);
  CHECK(again.address == info.address);
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE(
    "createSocket with a type other than udp4/udp6 throws ERR_SOCKET_BAD_TYPE",
    "[options][create]") {
  for (const char* bad : {"", "udp", "udp5", "UDP4", "udp4 ", "tcp", "udp66"}) {
    INFO("type '" << bad << "'");
    auto e = thrownBy([&] { dgram::createSocket(std::string_view(bad)); });
    CHECK(e.code() == "ERR_SOCKET_BAD_TYPE");
    CHECK(std::string(e.what()) ==
          "Bad socket type specified. Valid types are: udp4, udp6");
  }
}

TEST_CASE("createSocket accepts udp4 and udp6 by name, by enum and by options",
          "[options][create]") {
  dgram::Loop loop;
  // By name, on the default loop: created and closed without running it.
  {
    auto a = dgram::createSocket("udp4");
    auto b = dgram::createSocket(std::string_view("udp6"));
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->type() == dgram::Type::udp4);
    CHECK(b->type() == dgram::Type::udp6);
    CHECK(&a->loop() == &dgram::Loop::defaultLoop());
    a->close();
    b->close();
    REQUIRE(test::runUntilIdle(dgram::Loop::defaultLoop()));
  }
  auto c = test::makeSocket(loop, dgram::Type::udp4);
  auto d = test::makeSocket(loop, dgram::Type::udp6);
  CHECK(c->type() == dgram::Type::udp4);
  CHECK(d->type() == dgram::Type::udp6);
  CHECK(&c->loop() == &loop);
  c->close();
  d->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE(
    "option setters on an unbound socket throw EBADF with their own syscall",
    "[options]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  checkEbadf(thrownBy([&] { socket->setBroadcast(true); }), "setBroadcast");
  checkEbadf(thrownBy([&] { socket->setTTL(16); }), "setTTL");
  checkEbadf(thrownBy([&] { socket->setMulticastTTL(16); }), "setMulticastTTL");
  checkEbadf(thrownBy([&] { socket->setMulticastLoopback(true); }),
             "setMulticastLoopback");
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("setBroadcast on a bound socket succeeds both ways", "[options]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  CHECK_NOTHROW(socket->setBroadcast(true));
  CHECK_NOTHROW(socket->setBroadcast(false));
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("setTTL accepts 1..255 and returns it, outside throws EINVAL",
          "[options]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  CHECK(socket->setTTL(1) == 1);
  CHECK(socket->setTTL(16) == 16);
  CHECK(socket->setTTL(255) == 255);
  for (int bad : {0, -1, 256, 1000}) {
    INFO("ttl " << bad);
    auto e = thrownBy([&] { socket->setTTL(bad); });
    CHECK(e.code() == "EINVAL");
    CHECK(e.syscall() == "setTTL");
    CHECK(std::string(e.what()) == "setTTL EINVAL");
#ifndef _WIN32
    CHECK(e.errnum() == -EINVAL);
#endif
  }
  // Still usable.
  CHECK(socket->setTTL(64) == 64);
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE(
    "setMulticastTTL accepts 0..255 and returns it, outside throws EINVAL",
    "[options]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  CHECK(socket->setMulticastTTL(0) == 0);
  CHECK(socket->setMulticastTTL(16) == 16);
  CHECK(socket->setMulticastTTL(255) == 255);
  for (int bad : {-1, 256, 1000}) {
    INFO("ttl " << bad);
    auto e = thrownBy([&] { socket->setMulticastTTL(bad); });
    CHECK(e.code() == "EINVAL");
    CHECK(e.syscall() == "setMulticastTTL");
    CHECK(std::string(e.what()) == "setMulticastTTL EINVAL");
#ifndef _WIN32
    CHECK(e.errnum() == -EINVAL);
#endif
  }
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("setMulticastLoopback returns the flag it set", "[options]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  CHECK(socket->setMulticastLoopback(true) == true);
  CHECK(socket->setMulticastLoopback(false) == false);
  CHECK(socket->setMulticastLoopback(true) == true);
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("option setters work on a socket bound implicitly by send",
          "[options][send]") {
  dgram::Loop loop;
  auto receiver = boundSocket(loop);
  auto socket = test::makeSocket(loop);
  int sent = 0;
  socket->send("x", receiver->address().port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK_FALSE(err);
                 ++sent;
               });
  REQUIRE(test::runUntil(loop, [&] { return sent == 1; }));
  CHECK(socket->setTTL(32) == 32);
  CHECK(socket->setMulticastTTL(2) == 2);
  CHECK_NOTHROW(socket->setBroadcast(true));
  socket->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sent == 1);
}
