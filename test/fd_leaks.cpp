// No file descriptor leaks, even on failures: the open descriptors are counted
// before and after the heaviest things the suite does, with every loop
// destroyed in between: many sockets sending and receiving, bind and
// connect failures, refused bind({fd}), loops destroyed with open sockets.
#include "support/catch.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#ifndef _WIN32
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "support/helpers.hpp"

namespace {

using namespace std::chrono_literals;

// Runs `body` and checks that it leaves as many descriptors open as it
// found. The body runs once first so that anything created once per
// process (the default loop, a resolver's files) is counted in "before".
template <typename F>
void expectNoFdLeak(F&& body) {
  body();
  int before = test::openFdCount();
  if (before < 0) {
    WARN("skipped: this platform cannot count open descriptors");
    return;
  }
  body();
  body();
  CHECK(test::openFdCount() == before);
}

// Counts 'error' events instead of letting the loop throw them.
void countErrors(dgram::Socket& socket, int& errors) {
  socket.on(dgram::error, [&errors](const dgram::Error&) { ++errors; });
}

}  // namespace

TEST_CASE("sockets that bind, send, receive and close leave no descriptor",
          "[close][leak]") {
  expectNoFdLeak([] {
    dgram::Loop loop;
    std::vector<std::shared_ptr<dgram::Socket>> sockets;
    int received = 0;
    int listening = 0;
    for (int i = 0; i < 32; ++i) {
      auto socket = test::makeSocket(
          loop, dgram::Type::udp4,
          [&](dgram::Bytes, const dgram::RemoteInfo&) { ++received; });
      socket->bind(0, "127.0.0.1", [&] { ++listening; });
      sockets.push_back(socket);
    }
    REQUIRE(test::runUntil(loop, [&] { return listening == 32; }));
    for (auto& socket : sockets)
      socket->send("ping", sockets.front()->address().port, "127.0.0.1");
    REQUIRE(test::runUntil(loop, [&] { return received == 32; }));
    for (auto& socket : sockets)
      socket->close();
    REQUIRE(test::runUntilIdle(loop));
  });
}

TEST_CASE("bind failures leave no descriptor", "[bind][error][leak]") {
  expectNoFdLeak([] {
    dgram::Loop loop;
    auto holder = test::makeSocket(loop);
    bool bound = false;
    holder->bind(0, "127.0.0.1", [&] { bound = true; });
    REQUIRE(test::runUntil(loop, [&] { return bound; }));
    int port = holder->address().port;

    int errors = 0;
    std::vector<std::shared_ptr<dgram::Socket>> failing;
    for (int i = 0; i < 16; ++i) {
      auto inUse = test::makeSocket(loop);  // EADDRINUSE
      countErrors(*inUse, errors);
      inUse->bind(port, "127.0.0.1");
      auto foreign = test::makeSocket(loop);  // EADDRNOTAVAIL
      countErrors(*foreign, errors);
      foreign->bind(0, "111.111.111.111");
      auto family = test::makeSocket(loop);  // EINVAL: the other family
      countErrors(*family, errors);
      family->bind(0, "::1");
      // A send queued behind a failing bind is cancelled with the bind.
      inUse->send("x", port, "127.0.0.1", [](auto&&...) {});
      failing.insert(failing.end(), {inUse, foreign, family});
    }
    REQUIRE(test::runUntil(loop, [&] { return errors == 48; }));
    for (auto& socket : failing)
      socket->close();
    holder->close();
    REQUIRE(test::runUntilIdle(loop));
  });
}

TEST_CASE("connect failures leave no descriptor", "[connect][error][leak]") {
  expectNoFdLeak([] {
    dgram::Loop loop;
    dgram::SocketOptions options;
    options.lookup = [](std::string_view host, dgram::Family family,
                        dgram::LookupCallback done) {
      done(dgram::Error("ENOTFOUND",
                        "getaddrinfo ENOTFOUND " + std::string(host)),
           {}, family);
    };
    int failures = 0;
    std::vector<std::shared_ptr<dgram::Socket>> sockets;
    for (int i = 0; i < 16; ++i) {
      auto lookupFails = test::makeSocket(loop, options);
      lookupFails->connect(9, "nowhere.invalid",
                           [&](const auto& err) { failures += err ? 1 : 0; });
      auto wrongFamily = test::makeSocket(loop);
      wrongFamily->connect(9, "::1",
                           [&](const auto& err) { failures += err ? 1 : 0; });
      // Closed while the implicit bind is still pending: ECANCELED.
      auto cancelled = test::makeSocket(loop);
      cancelled->connect(9, "127.0.0.1",
                         [&](const auto& err) { failures += err ? 1 : 0; });
      cancelled->close();
      sockets.insert(sockets.end(), {lookupFails, wrongFamily});
    }
    REQUIRE(test::runUntil(loop, [&] { return failures == 48; }));
    for (auto& socket : sockets)
      socket->close();
    REQUIRE(test::runUntilIdle(loop));
  });
}

#ifndef _WIN32
TEST_CASE("a refused bind({fd}) neither leaks nor closes the caller's fd",
          "[bind][fd][leak]") {
  expectNoFdLeak([] {
    dgram::Loop loop;
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
    auto socket = test::makeSocket(loop);
    dgram::BindOptions options;
    options.fd = pair[0];
    CHECK_THROWS_AS(socket->bind(options), dgram::Error);
    // Still the caller's: closing it must work.
    CHECK(::close(pair[0]) == 0);
    CHECK(::close(pair[1]) == 0);
    socket->close();
    REQUIRE(test::runUntilIdle(loop));
  });
}
#endif

TEST_CASE("destroying a loop with open and binding sockets closes them all",
          "[loop][lifetime][leak]") {
  expectNoFdLeak([] {
    // Declared first, so the sockets outlive the loop: it must close them.
    std::vector<std::shared_ptr<dgram::Socket>> sockets;
    dgram::Loop loop;
    for (int i = 0; i < 8; ++i) {
      auto bound = test::makeSocket(loop);
      bound->bind(0, "127.0.0.1");
      sockets.push_back(bound);
    }
    REQUIRE(test::runUntil(loop, [&] {
      try {
        for (auto& s : sockets)
          s->address();
        return true;
      } catch (const dgram::Error&) {
        return false;
      }
    }));
    auto binding = test::makeSocket(loop);
    binding->send("queued", 9, "127.0.0.1");  // still binding at the end
    sockets.push_back(binding);
  });
}

TEST_CASE("a createSocket that throws leaves no descriptor", "[create][leak]") {
  expectNoFdLeak([] {
    dgram::Loop loop;
    dgram::SocketOptions options;
    options.recvBufferSize = -1;
    CHECK_THROWS_AS(test::makeSocket(loop, options), dgram::Error);
    CHECK_THROWS_AS(dgram::createSocket("udp5"), dgram::Error);
  });
}
