// bind(): states, 'listening', the any address, bind errors, bind({fd}),
// bind options and reuseAddr (reference B1-B8, S8's implicit bind).
#include "support/catch.hpp"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#ifndef _WIN32
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using test::boundSocket;
using test::thrownBy;

using namespace std::chrono_literals;

// Binds a fresh socket of `loop` to `host` on a random port, waits for it,
// closes it again and says which address it was bound to.
std::string boundAddressOf(dgram::Loop& loop, const char* host) {
  auto socket = test::makeSocket(loop);
  int listening = 0;
  socket->bind(0, host, [&] { ++listening; });
  REQUIRE(test::runUntil(loop, [&] { return listening == 1; }));
  std::string bound = socket->address().address.str();
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  return bound;
}

}  // namespace

TEST_CASE("bind twice throws ERR_SOCKET_ALREADY_BOUND, while binding and bound",
          "[bind]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int listening = 0;
  socket->bind(0, "127.0.0.1", [&] { ++listening; });

  auto whileBinding = thrownBy([&] { socket->bind(0, "127.0.0.1"); });
  CHECK(whileBinding.code() == "ERR_SOCKET_ALREADY_BOUND");
  CHECK(std::string(whileBinding.what()) == "Socket is already bound");

  REQUIRE(test::runUntil(loop, [&] { return listening == 1; }));
  auto whenBound = thrownBy([&] { socket->bind(); });
  CHECK(whenBound.code() == "ERR_SOCKET_ALREADY_BOUND");
  CHECK(std::string(whenBound.what()) == "Socket is already bound");
  auto withOptions = thrownBy([&] { socket->bind(dgram::BindOptions{}); });
  CHECK(withOptions.code() == "ERR_SOCKET_ALREADY_BOUND");

  // The failed calls changed nothing: still bound to the first address.
  CHECK(socket->address().address.str() == "127.0.0.1");
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 1);
}

TEST_CASE("bind after an implicit bind by send throws ERR_SOCKET_ALREADY_BOUND",
          "[bind][send]") {
  dgram::Loop loop;
  auto receiver = boundSocket(loop);
  auto socket = test::makeSocket(loop);
  int sent = 0;
  int listening = 0;
  socket->on(dgram::listening, [&] { ++listening; });
  socket->send("x", receiver->address().port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK_FALSE(err);
                 ++sent;
               });
  auto e = thrownBy([&] { socket->bind(0, "127.0.0.1"); });
  CHECK(e.code() == "ERR_SOCKET_ALREADY_BOUND");
  CHECK(std::string(e.what()) == "Socket is already bound");

  REQUIRE(test::runUntil(loop, [&] { return sent == 1; }));
  auto after = thrownBy([&] { socket->bind(); });
  CHECK(after.code() == "ERR_SOCKET_ALREADY_BOUND");

  socket->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sent == 1);
  CHECK(listening == 1);
}

TEST_CASE(
    "bind after an implicit bind by connect throws ERR_SOCKET_ALREADY_BOUND",
    "[bind][connect]") {
  dgram::Loop loop;
  auto peer = boundSocket(loop);
  auto socket = test::makeSocket(loop);
  int connected = 0;
  socket->connect(peer->address().port, "127.0.0.1",
                  [&](const std::optional<dgram::Error>& err) {
                    CHECK_FALSE(err);
                    ++connected;
                  });
  auto e = thrownBy([&] { socket->bind(); });
  CHECK(e.code() == "ERR_SOCKET_ALREADY_BOUND");
  REQUIRE(test::runUntil(loop, [&] { return connected == 1; }));
  socket->close();
  peer->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(connected == 1);
}

TEST_CASE(
    "'listening' and the bind callback come on a later turn, never inside bind",
    "[bind]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  bool returned = false;
  int listeningEvents = 0;
  int bindCallbacks = 0;
  socket->on(dgram::listening, [&] {
    CHECK(returned);
    ++listeningEvents;
  });
  socket->bind(0, "127.0.0.1", [&] {
    CHECK(returned);
    ++bindCallbacks;
  });
  returned = true;
  REQUIRE(test::runUntil(loop, [&] { return bindCallbacks == 1; }));
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listeningEvents == 1);
  CHECK(bindCallbacks == 1);
}

TEST_CASE("a 'listening' listener added after bind() returned still hears it",
          "[bind]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int listening = 0;
  socket->bind();
  socket->on(dgram::listening, [&] {
    ++listening;
    CHECK(socket->address().port > 0);
  });
  REQUIRE(test::runUntil(loop, [&] { return listening == 1; }));
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 1);
}

TEST_CASE("two implicitly bound sockets get distinct random ports",
          "[bind][send]") {
  dgram::Loop loop;
  auto receiver = boundSocket(loop);
  const int port = receiver->address().port;
  std::vector<int> fromPorts;
  receiver->on(dgram::message, [&](dgram::Bytes, const dgram::RemoteInfo& r) {
    fromPorts.push_back(r.port);
  });
  auto a = test::makeSocket(loop);
  auto b = test::makeSocket(loop);
  int sent = 0;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t) {
    CHECK_FALSE(err);
    ++sent;
  };
  a->send("a", port, "127.0.0.1", cb);
  b->send("b", port, "127.0.0.1", cb);
  REQUIRE(
      test::runUntil(loop, [&] { return sent == 2 && fromPorts.size() == 2; }));
  CHECK(a->address().port > 0);
  CHECK(b->address().port > 0);
  CHECK(a->address().port != b->address().port);
  std::sort(fromPorts.begin(), fromPorts.end());
  std::vector<int> expected = {a->address().port, b->address().port};
  std::sort(expected.begin(), expected.end());
  CHECK(fromPorts == expected);
  a->close();
  b->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sent == 2);
}

TEST_CASE("every bind overload binds and calls back once", "[bind]") {
  dgram::Loop loop;
  int callbacks = 0;
  int listening = 0;
  std::vector<std::shared_ptr<dgram::Socket>> sockets;
  auto add = [&] {
    auto s = test::makeSocket(loop);
    s->on(dgram::listening, [&] { ++listening; });
    sockets.push_back(s);
    return s;
  };
  add()->bind();
  add()->bind(0);
  add()->bind(0, "127.0.0.1");
  add()->bind(0, "127.0.0.1", [&] { ++callbacks; });
  add()->bind(0, [&] { ++callbacks; });
  add()->bind([&] { ++callbacks; });
  add()->bind(dgram::BindOptions{0, "127.0.0.1", false, -1},
              [&] { ++callbacks; });
  add()->bind(dgram::BindOptions{});
  REQUIRE(test::runUntil(loop, [&] { return listening == 8; }));
  for (auto& s : sockets) {
    CHECK(s->address().port > 0);
    CHECK(s->address().family == dgram::Family::IPv4);
    s->close();
  }
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 4);
  CHECK(listening == 8);
}

TEST_CASE("bind returns the socket for chaining", "[bind]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  dgram::Socket& same = socket->bind(0, "127.0.0.1");
  CHECK(&same == socket.get());
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("bind without an address binds 0.0.0.0 and a random port", "[bind]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int listening = 0;
  socket->bind([&] { ++listening; });
  REQUIRE(test::runUntil(loop, [&] { return listening == 1; }));
  auto info = socket->address();
  CHECK(info.address.str() == "0.0.0.0");
  CHECK(info.family == dgram::Family::IPv4);
  CHECK(info.port > 0);
  CHECK(info.port < 65536);
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 1);
}

// bind() reads its address through the loop's host cache, which also
// remembers a text that is not numeric: each bind to it, whether the
// cache knew it or not, looks the name up; each numeric one binds there.
TEST_CASE(
    "binds to one host name or one numeric address in a row each bind there",
    "[bind]") {
  dgram::Loop loop;
  for (const char* host :
       {"localhost", "localhost", "127.0.0.1", "127.0.0.1", "localhost"}) {
    CAPTURE(host);
    CHECK(boundAddressOf(loop, host) == "127.0.0.1");
  }
}

// The host cache compares a bind's text with the last one parsed (inline,
// a word at a time, for texts of 8 to 16 characters): texts in a row that
// differ in one character, in either word or in length, or that are read
// as another address (inet_aton's forms), each bind where they say.
TEST_CASE(
    "binds in a row to numeric texts that differ a little each bind there",
    "[bind]") {
  dgram::Loop loop;
  struct Case {
    const char* host;
    const char* bound;
  };
  for (Case c :
       {Case{"127.0.0.1", "127.0.0.1"}, Case{"127.0.0.2", "127.0.0.2"},
        Case{"127.0.0.2", "127.0.0.2"}, Case{"127.0.1.2", "127.0.1.2"},
        Case{"127.0.0.12", "127.0.0.12"}, Case{"127.0.0.13", "127.0.0.13"},
        Case{"127.0.0.013", "127.0.0.11"},
        Case{"127.100.100.100", "127.100.100.100"},
        Case{"127.100.100.101", "127.100.100.101"},
        Case{"127.101.100.101", "127.101.100.101"},
        Case{"127.0.000000003", "127.0.0.3"},
        Case{"127.0.0000000004", "127.0.0.4"},
        Case{"127.0.00000000005", "127.0.0.5"},
        Case{"127.0.00000000006", "127.0.0.6"}, Case{"127.1", "127.0.0.1"},
        Case{"127.2", "127.0.0.2"}, Case{"127.0.0.1", "127.0.0.1"}}) {
    CAPTURE(c.host);
    CHECK(boundAddressOf(loop, c.host) == c.bound);
  }
}

// The cache remembers the family a text was read for: an IPv4 text that
// a udp4 socket bound to is still not an address of a udp6 socket.
TEST_CASE("a udp6 bind to the IPv4 text a udp4 socket bound to fails",
          "[bind][ipv6]") {
  if (!test::haveIPv6()) {
    WARN("skipped: no IPv6 loopback on this machine");
    return;
  }
  dgram::Loop loop;
  auto socket4 = test::makeSocket(loop);
  test::bindAndWait(loop, *socket4, "127.0.0.1");
  auto socket6 = test::makeSocket(loop, dgram::Type::udp6);
  std::optional<dgram::Error> error;
  socket6->on(dgram::error, [&](const dgram::Error& e) { error = e; });
  bool listening = false;
  socket6->bind(0, "127.0.0.1", [&] { listening = true; });
  REQUIRE(test::runUntil(loop, [&] { return error.has_value(); }));
  CHECK_FALSE(listening);
  CHECK(std::string(error->what()) == "bind EINVAL 127.0.0.1");
  socket4->close();
  socket6->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("bind object form with port, address and exclusive", "[bind]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int listening = 0;
  dgram::BindOptions options;
  options.port = 0;
  options.address = "127.0.0.1";
  options.exclusive = true;
  socket->bind(options, [&] { ++listening; });
  REQUIRE(test::runUntil(loop, [&] { return listening == 1; }));
  CHECK(socket->address().address.str() == "127.0.0.1");
  CHECK(socket->address().port > 0);

  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 1);
}

TEST_CASE(
    "bind to a port in use emits EADDRINUSE with syscall, address and port",
    "[bind][error]") {
  dgram::Loop loop;
  auto first = boundSocket(loop);
  const int port = first->address().port;
  auto second = test::makeSocket(loop);
  int errors = 0;
  int bindCallbacks = 0;
  int listeningEvents = 0;
  std::optional<dgram::Error> seen;
  second->on(dgram::error, [&](const dgram::Error& e) {
    ++errors;
    seen = e;
  });
  second->on(dgram::listening, [&] { ++listeningEvents; });
  second->bind(port, "127.0.0.1", [&] { ++bindCallbacks; });
  REQUIRE(test::runUntil(loop, [&] { return errors == 1; }));
  REQUIRE(seen);
  CHECK(seen->code() == "EADDRINUSE");
  CHECK(seen->syscall() == "bind");
  CHECK(seen->address() == "127.0.0.1");
  CHECK(seen->port() == port);
  CHECK(std::string(seen->what()) ==
        "bind EADDRINUSE 127.0.0.1:" + std::to_string(port));
#ifdef __linux__
  CHECK(seen->errnum() == -EADDRINUSE);
#endif
  CHECK(seen->errnum() < 0);

  // The socket went back to unbound: address() fails, and a bind can be
  // retried; the failed bind's callback was removed and never runs.
  auto unbound = thrownBy([&] { second->address(); });
  CHECK(unbound.code() == "EBADF");
  int retried = 0;
  second->bind(0, "127.0.0.1", [&] { ++retried; });
  REQUIRE(test::runUntil(loop, [&] { return retried == 1; }));
  CHECK(second->address().port != port);

  first->close();
  second->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(errors == 1);
  CHECK(bindCallbacks == 0);
  CHECK(listeningEvents == 1);  // from the retry only
  CHECK(retried == 1);
}

TEST_CASE("repeated bind failures on the same port each emit one error",
          "[bind][error]") {
  dgram::Loop loop;
  auto holder = boundSocket(loop);
  const int port = holder->address().port;
  constexpr int kSockets = 4;
  int errors = 0;
  int closes = 0;
  int unexpected = 0;
  std::vector<std::shared_ptr<dgram::Socket>> sockets;
  for (int i = 0; i < kSockets; ++i) {
    auto s = test::makeSocket(loop);
    s->on(dgram::error, [&, raw = s.get()](const dgram::Error& e) {
      CHECK(e.code() == "EADDRINUSE");
      CHECK(e.port() == port);
      ++errors;
      raw->close([&] { ++closes; });
    });
    s->on(dgram::listening, [&] { ++unexpected; });
    s->bind(port, "127.0.0.1");
    sockets.push_back(s);
  }
  REQUIRE(test::runUntil(loop, [&] { return closes == kSockets; }));
  holder->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(errors == kSockets);
  CHECK(closes == kSockets);
  CHECK(unexpected == 0);
}

TEST_CASE("bind to an address of no interface emits EADDRNOTAVAIL",
          "[bind][error]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int errors = 0;
  std::optional<dgram::Error> seen;
  socket->on(dgram::error, [&](const dgram::Error& e) {
    ++errors;
    seen = e;
  });
  int listening = 0;
  socket->on(dgram::listening, [&] { ++listening; });
  socket->bind(0, "111.111.111.111");
  REQUIRE(test::runUntil(loop, [&] { return errors == 1; }));
  REQUIRE(seen);
  CHECK(seen->code() == "EADDRNOTAVAIL");
  CHECK(seen->syscall() == "bind");
  CHECK(seen->address() == "111.111.111.111");
  CHECK(seen->port() == 0);
  // Node leaves out ":0" when the port is 0.
  CHECK(std::string(seen->what()) == "bind EADDRNOTAVAIL 111.111.111.111");
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(errors == 1);
  CHECK(listening == 0);
}

TEST_CASE("a bind error with no 'error' listener is thrown from the loop",
          "[bind][error]") {
  dgram::Loop loop;
  auto first = boundSocket(loop);
  const int port = first->address().port;
  auto second = test::makeSocket(loop);
  second->bind(port, "127.0.0.1");
  std::optional<dgram::Error> thrown = test::runUntilThrown(loop);
  REQUIRE(thrown);
  CHECK(thrown->code() == "EADDRINUSE");
  CHECK(thrown->syscall() == "bind");
  CHECK(thrown->port() == port);
  second->close();
  first->close();
  REQUIRE(test::runUntilIdle(loop));
}

// The usual bind (a callback, no listener) runs in a step of its own
// (SocketImpl::bindStep): refused, it is thrown from the loop without
// calling back, and leaves the socket unbound, free to bind again.
TEST_CASE("a refused bind with a callback and no listener can be retried",
          "[bind][error]") {
  dgram::Loop loop;
  auto first = boundSocket(loop);
  const int port = first->address().port;
  auto second = test::makeSocket(loop);
  int called = 0;
  second->bind(port, "127.0.0.1", [&] { ++called; });
  std::optional<dgram::Error> thrown = test::runUntilThrown(loop);
  REQUIRE(thrown);
  CHECK(thrown->code() == "EADDRINUSE");
  CHECK(thrown->port() == port);
  bool bound = false;
  second->bind(0, "127.0.0.1", [&] { bound = true; });
  REQUIRE(test::runUntil(loop, [&] { return bound; }));
  CHECK(second->address().port != 0);
  CHECK(called == 0);
  second->close();
  first->close();
  REQUIRE(test::runUntilIdle(loop));
}

// Node's validatePort for bind (0 allowed): the refusal leaves the socket
// unbound, free to bind.
TEST_CASE("bind with a port out of range throws ERR_SOCKET_BAD_PORT",
          "[bind][error]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  for (int port : {-1, 65536}) {
    auto e = thrownBy([&] { socket->bind(port, "127.0.0.1"); });
    CHECK(e.code() == "ERR_SOCKET_BAD_PORT");
    CHECK(std::string(e.what()) ==
          "Port should be >= 0 and < 65536. Received " + std::to_string(port) +
              ".");
    std::optional<dgram::Error> error;
    socket->bind(port, "127.0.0.1", {}, error);
    REQUIRE(error);
    CHECK(error->code() == "ERR_SOCKET_BAD_PORT");
  }
  bool bound = false;
  socket->bind(0, "127.0.0.1", [&] { bound = true; });
  REQUIRE(test::runUntil(loop, [&] { return bound; }));
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("bind after close throws ERR_SOCKET_DGRAM_NOT_RUNNING",
          "[bind][close]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  socket->close();
  auto e = thrownBy([&] { socket->bind(0, "127.0.0.1"); });
  CHECK(e.code() == "ERR_SOCKET_DGRAM_NOT_RUNNING");
  CHECK(std::string(e.what()) == "Not running");
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("reuseAddr lets a second socket bind the same port",
          "[bind][options]") {
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.reuseAddr = true;
  auto first = boundSocket(loop, options);
  const int port = first->address().port;
  auto second = test::makeSocket(loop, options);
  int listening = 0;
  int errors = 0;
  second->on(dgram::error, [&](const dgram::Error&) { ++errors; });
  second->bind(port, "127.0.0.1", [&] { ++listening; });
  REQUIRE(test::runUntil(loop, [&] { return listening + errors == 1; }));
  CHECK(listening == 1);
  CHECK(errors == 0);
  CHECK(second->address().port == port);
  first->close();
  second->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("without reuseAddr a second socket cannot bind the same port",
          "[bind][options]") {
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.reuseAddr = true;
  auto first = boundSocket(loop, options);  // only one side asks for reuse
  auto second = test::makeSocket(loop);
  int errors = 0;
  second->on(dgram::error, [&](const dgram::Error& e) {
    CHECK(e.code() == "EADDRINUSE");
    ++errors;
  });
  int listening = 0;
  second->bind(first->address().port, "127.0.0.1", [&] { ++listening; });
  REQUIRE(test::runUntil(loop, [&] { return errors == 1; }));
  first->close();
  second->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(errors == 1);
  CHECK(listening == 0);
}

#if defined(__linux__) || defined(__APPLE__) || defined(__FreeBSD__)
TEST_CASE("reusePort lets two sockets bind the same port and both stay bound",
          "[bind][options]") {
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.reusePort = true;
  auto first = boundSocket(loop, options);
  const int port = first->address().port;
  auto second = test::makeSocket(loop, options);
  int listening = 0;
  int errors = 0;
  second->on(dgram::error, [&](const dgram::Error& e) {
    INFO(e.what());
    ++errors;
  });
  second->bind(port, "127.0.0.1", [&] { ++listening; });
  REQUIRE(test::runUntil(loop, [&] { return listening + errors == 1; }));
  CHECK(listening == 1);
  CHECK(errors == 0);
  CHECK(second->address().port == port);

  // A datagram to the shared port reaches exactly one of them.
  int messages = 0;
  first->on(dgram::message,
            [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  second->on(dgram::message,
             [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  auto sender = test::makeSocket(loop);
  sender->send("shared", port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return messages == 1; }));
  sender->close();
  first->close();
  second->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(messages == 1);
}
#endif

#ifndef _WIN32

TEST_CASE("bind({fd}) adopts an existing UDP socket and is bound at once",
          "[bind][fd]") {
  dgram::Loop loop;
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  socklen_t len = sizeof sa;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  const int port = ntohs(sa.sin_port);

  std::string received;
  int messages = 0;
  auto socket = test::makeSocket(
      loop, dgram::Type::udp4, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received = msg.str();
        ++messages;
      });
  int listening = 0;
  bool returned = false;
  dgram::BindOptions options;
  options.fd = fd;
  socket->bind(options, [&] {
    CHECK(returned);
    ++listening;
  });
  returned = true;
  // Bound at once: address() works before 'listening'.
  CHECK(socket->address().port == port);
  CHECK(socket->address().address.str() == "127.0.0.1");

  REQUIRE(test::runUntil(loop, [&] { return listening == 1; }));
  auto sender = test::makeSocket(loop);
  int sent = 0;
  sender->send("through the fd", port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t n) {
                 CHECK_FALSE(err);
                 CHECK(n == 14);
                 ++sent;
               });
  REQUIRE(test::runUntil(loop, [&] { return messages == 1; }));
  CHECK(received == "through the fd");
  sender->close();
  socket->close();  // closes the adopted fd too
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sent == 1);
  CHECK(listening == 1);
  CHECK(messages == 1);
}

TEST_CASE("bind({fd}) of a TCP socket or a pipe throws ERR_INVALID_FD_TYPE",
          "[bind][fd]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int listening = 0;
  socket->on(dgram::listening, [&] { ++listening; });

  int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(tcp >= 0);
  dgram::BindOptions options;
  options.fd = tcp;
  auto e = thrownBy([&] { socket->bind(options); });
  CHECK(e.code() == "ERR_INVALID_FD_TYPE");
  CHECK(std::string(e.what()) == "Unsupported fd type: TCP");
  ::close(tcp);

  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  options.fd = fds[0];
  auto p = thrownBy([&] { socket->bind(options); });
  CHECK(p.code() == "ERR_INVALID_FD_TYPE");
  CHECK(std::string(p.what()).rfind("Unsupported fd type: ", 0) == 0);
  ::close(fds[0]);
  ::close(fds[1]);

  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 0);
}

TEST_CASE(
    "bind({fd}) of an fd another socket already adopted throws with syscall "
    "open",
    "[bind][fd]") {
  dgram::Loop loop;
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  auto first = test::makeSocket(loop);
  dgram::BindOptions options;
  options.fd = fd;
  first->bind(options);
  // libuv (so Node) refuses to open an fd a handle of the same loop already
  // watches: the failed open throws with syscall 'open' (EEXIST there).
  auto second = test::makeSocket(loop);
  int listening = 0;
  second->on(dgram::listening, [&] { ++listening; });
  std::optional<dgram::Error> e;
  try {
    second->bind(options);
  } catch (const dgram::Error& err) {
    e = err;
  }
  // Checked without aborting the test case, so that the sockets are closed
  // right below either way (both own the fd if the bind was accepted).
  CHECK(e.has_value());
  if (e) {
    CHECK(e->code() == "EEXIST");
    CHECK(e->syscall() == "open");
    CHECK(std::string(e->what()) == "open EEXIST");
#ifdef __linux__
    CHECK(e->errnum() == -EEXIST);
#endif
  }
  second->close();
  first->close();  // closes fd
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 0);
}

TEST_CASE(
    "bind({fd}) adopts a descriptor that reuses the number of a socket the "
    "loop closed in the same turn",
    "[bind][fd][close]") {
  // close() gives its descriptor's number back at once (not at the close
  // step): a new descriptor with that number, adopted before the loop
  // turns, is not refused as one a socket of the loop owns.
  dgram::Loop loop;
  auto first = test::boundSocket(loop);
  const int firstPort = first->address().port;
  int number = -1;  // first's descriptor, found by its address
  for (int fd = 0; fd < 1024 && number < 0; ++fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0 &&
        sa.sin_family == AF_INET && ntohs(sa.sin_port) == firstPort)
      number = fd;
  }
  REQUIRE(number >= 0);
  first->close();
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  if (fd != number) {
    REQUIRE(::dup2(fd, number) == number);
    ::close(fd);
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(number, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);

  int messages = 0;
  auto second = test::makeSocket(
      loop, dgram::Type::udp4,
      [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  dgram::BindOptions options;
  options.fd = number;
  std::optional<dgram::Error> refused;
  try {
    second->bind(options);
  } catch (const dgram::Error& err) {
    refused = err;
  }
  if (refused) {
    // Not adopted: the descriptor is still this test's to close.
    FAIL_CHECK("bind({fd}) threw " << refused->code());
    ::close(number);
  } else {
    auto sender = test::boundSocket(loop);
    sender->send("to the reused number", second->address().port, "127.0.0.1");
    CHECK(test::runUntil(loop, [&] { return messages == 1; }));
    sender->close();
  }
  second->close();  // closes the adopted descriptor
  REQUIRE(test::runUntilIdle(loop));
}

#endif  // _WIN32
