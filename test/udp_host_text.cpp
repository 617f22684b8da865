// Host strings the library refuses or reports as Node does:
// - a byte no host name can contain (NUL, other control characters,
//   whitespace) fails with ENOTFOUND from 'getaddrinfo' and reaches no
//   resolver (a deliberate difference: Node truncates at a NUL, so
//   "127.0.0.1\0.evil.example" would go to 127.0.0.1);
// - a literal of the other family fails on its syscall with EINVAL and
//   the address and port set ("send EINVAL ::1:9000"), as in Node v20.
#include "support/catch.hpp"

#include <optional>
#include <string>
#include <vector>

#include "support/socket_helpers.hpp"

namespace {

std::optional<dgram::Error> sendError(dgram::Loop& loop, dgram::Type type,
                                      const std::string& host,
                                      dgram::LookupFunction lookup = {}) {
  dgram::SocketOptions options;
  options.type = type;
  options.lookup = std::move(lookup);
  auto s = test::makeSocket(loop, options);
  std::optional<dgram::Error> error;
  bool done = false;
  s->send("x", 9000, host,
          [&](const std::optional<dgram::Error>& err, std::size_t) {
            error = err;
            done = true;
          });
  REQUIRE(test::runUntil(loop, [&] { return done; }));
  s->close();
  test::runUntilIdle(loop);
  return error;
}

const std::vector<std::string>& badHosts() {
  static const std::vector<std::string> hosts = {
      std::string("127.0.0.1\0.evil.example", 23),
      std::string("localhost\0", 10),
      std::string("::1\0x", 5),
      "a b",
      "example.com ",
      " 127.0.0.1",
      "tab\there",
      "line\nfeed",
      "del\x7f",
      "bell\x07",
  };
  return hosts;
}

}  // namespace

TEST_CASE("a host with a byte no name can hold fails with ENOTFOUND",
          "[send][lookup][security]") {
  dgram::Loop loop;
  int lookups = 0;
  dgram::LookupFunction counting = [&](std::string_view, dgram::Family family,
                                       dgram::LookupCallback done) {
    ++lookups;
    done(std::nullopt, family == dgram::Family::IPv4 ? "127.0.0.1" : "::1",
         family);
  };
  for (dgram::Type type : {dgram::Type::udp4, dgram::Type::udp6}) {
    for (const std::string& host : badHosts()) {
      for (bool custom : {false, true}) {
        INFO("host bytes " << host.size() << " custom " << custom);
        auto error = sendError(loop, type, host,
                               custom ? counting : dgram::LookupFunction{});
        REQUIRE(error);
        CHECK(error->code() == "ENOTFOUND");
        CHECK(error->syscall() == "getaddrinfo");
        CHECK(error->errnum() == -3008);
        CHECK(error->hostname() == host);
        // what() is a C string: it ends at a NUL (hostname() does not).
        CHECK(std::string(error->what()) ==
              "getaddrinfo ENOTFOUND " + std::string(host.c_str()));
      }
    }
  }
  CHECK(lookups == 0);
}

TEST_CASE("bind and connect refuse such a host the same way",
          "[bind][connect][lookup][security]") {
  dgram::Loop loop;
  const std::string host("127.0.0.1\0.evil.example", 23);
  auto s = test::makeSocket(loop);
  std::optional<dgram::Error> error;
  s->on(dgram::error, [&](const dgram::Error& e) { error = e; });
  s->bind(0, host);
  REQUIRE(test::runUntil(loop, [&] { return error.has_value(); }));
  CHECK(error->code() == "ENOTFOUND");
  CHECK(error->hostname() == host);
  std::optional<dgram::Error> connectError;
  bool connected = false;
  s->connect(9000, host, [&](const std::optional<dgram::Error>& err) {
    connectError = err;
    connected = true;
  });
  REQUIRE(test::runUntil(loop, [&] { return connected; }));
  REQUIRE(connectError);
  CHECK(connectError->code() == "ENOTFOUND");
  CHECK(connectError->syscall() == "getaddrinfo");
  s->close();
  CHECK(test::runUntilIdle(loop));
}

// Issue 10, item 9 (Node v20: `send EINVAL ::1:9000`).
TEST_CASE("a literal of the other family fails on send with EINVAL",
          "[send][ipv6]") {
  dgram::Loop loop;
  struct Case {
    dgram::Type type;
    const char* host;
  };
  for (Case c :
       {Case{dgram::Type::udp4, "::1"}, Case{dgram::Type::udp4, "fe80::1%lo"},
        Case{dgram::Type::udp6, "127.0.0.1"}}) {
    INFO(c.host);
    auto error = sendError(loop, c.type, c.host);
    REQUIRE(error);
    CHECK(error->code() == "EINVAL");
    CHECK(error->syscall() == "send");
    CHECK(error->address() == c.host);
    CHECK(error->port() == 9000);
    CHECK(std::string(error->what()) ==
          std::string("send EINVAL ") + c.host + ":9000");
  }
}

TEST_CASE("a literal of the other family fails bind and connect with EINVAL",
          "[bind][connect][ipv6]") {
  dgram::Loop loop;
  auto s = test::makeSocket(loop);
  std::optional<dgram::Error> error;
  s->on(dgram::error, [&](const dgram::Error& e) { error = e; });
  s->bind(0, "::1");
  REQUIRE(test::runUntil(loop, [&] { return error.has_value(); }));
  CHECK(std::string(error->what()) == "bind EINVAL ::1");
  CHECK(error->syscall() == "bind");
  std::optional<dgram::Error> connectError;
  bool connected = false;
  s->connect(9000, "::1", [&](const std::optional<dgram::Error>& err) {
    connectError = err;
    connected = true;
  });
  REQUIRE(test::runUntil(loop, [&] { return connected; }));
  REQUIRE(connectError);
  CHECK(std::string(connectError->what()) == "connect EINVAL ::1:9000");
  s->close();
  CHECK(test::runUntilIdle(loop));
}
