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

#include "support/dns_server.hpp"
#include "support/socket_helpers.hpp"

namespace {

using namespace std::chrono_literals;

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

// Issue 21, item 9: host text is read as Node v20 reads it
// (src/common/host_text.hpp; the whole table: test/node_address_table.cpp).
TEST_CASE("a send goes where Node sends it", "[send][lookup]") {
  dgram::Loop loop;
  struct Case {
    dgram::Type type;
    const char* host;
    const char* reaches;
  };
  const Case cases[] = {
      {dgram::Type::udp4, "127.0.0.010", "127.0.0.8"},  // octal, as inet_aton
      {dgram::Type::udp4, "127.1", "127.0.0.1"},
      {dgram::Type::udp4, "0x7f.0.0.9", "127.0.0.9"},
      {dgram::Type::udp4, "2130706442", "127.0.0.10"},
      {dgram::Type::udp4, "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.0.0.11",
       "127.0.0.11"},                               // fullwidth digits
      {dgram::Type::udp6, "::1%nosuchif0", "::1"},  // an unknown zone is none
#ifndef _WIN32
      {dgram::Type::udp6, "::1%99999", "::1"},  // digits name no interface
#endif  // _WIN32: digits are an index there, as in libuv
  };
  for (const Case& c : cases) {
    INFO(c.host);
    if (c.type == dgram::Type::udp6 && !test::haveIPv6()) {
      WARN("SKIPPED (no IPv6 loopback): " << c.host);
      continue;
    }
    std::vector<std::string> received;
    auto receiver = test::makeSocket(
        loop, c.type, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
          received.push_back(msg.str());
        });
    test::bindAndWait(loop, *receiver, c.reaches);
    auto sender = test::makeSocket(loop, c.type);
    std::optional<dgram::Error> error;
    bool sent = false;
    sender->send(c.host, receiver->address().port, c.host,
                 [&](const std::optional<dgram::Error>& err, std::size_t) {
                   error = err;
                   sent = true;
                 });
    CHECK(test::runUntil(
        loop, [&] { return !received.empty(); }, 2s));
    CHECK(test::runUntil(loop, [&] { return sent; }));
    CHECK_FALSE(error);
    CHECK(received == std::vector<std::string>{c.host});
    sender->close();
    receiver->close();
    CHECK(test::runUntilIdle(loop));
  }
}

TEST_CASE("host text Node refuses never reaches a DNS server",
          "[send][lookup][dns]") {
  test::SilentServer silent;  // counts queries, answers none
  dgram::Loop loop;
  dgram::ResolverOptions options;
  options.servers = {silent.address()};
  options.timeout = 300ms;
  options.tries = 1;
  loop.setResolverOptions(options);
  struct Case {
    dgram::Type type;
    const char* host;
    const char* code;
  };
  const Case cases[] = {
      {dgram::Type::udp4, "127.0.0.08", "ENOTFOUND"},
      {dgram::Type::udp4, "1.2.3.4.5", "ENOTFOUND"},
      {dgram::Type::udp4, "127.0.0.1/8", "ENOTFOUND"},
      {dgram::Type::udp4, "1.2.3.4:80", "ENOTFOUND"},
      {dgram::Type::udp4, "[127.0.0.1]", "ENOTFOUND"},
      {dgram::Type::udp4, "127.0.0.1%lo", "ENOTFOUND"},
      {dgram::Type::udp4, "::1%", "EAI_ADDRFAMILY"},
      {dgram::Type::udp4, "xn--zz", "EINVAL"},
      {dgram::Type::udp6, "[::1]", "ENOTFOUND"},
      {dgram::Type::udp6, "[::1]:80", "ENOTFOUND"},
      {dgram::Type::udp6, "::1/64", "ENOTFOUND"},
      {dgram::Type::udp6, "::1%", "ENOTFOUND"},
      {dgram::Type::udp6, "fe80::1%", "ENOTFOUND"},
      {dgram::Type::udp6, "127.1", "EAI_ADDRFAMILY"},
      {dgram::Type::udp6, "example.onion", "ENOTFOUND"},
  };
  auto start = std::chrono::steady_clock::now();
  for (const Case& c : cases) {
    INFO(c.host);
    auto error = sendError(loop, c.type, c.host);
    REQUIRE(error);
    CHECK(error->code() == c.code);
    CHECK(error->syscall() == "getaddrinfo");
    CHECK(error->hostname() == c.host);
    CHECK(std::string(error->what()) ==
          std::string("getaddrinfo ") + c.code + " " + c.host);
  }
  // Each would have waited for the server's timeout.
  CHECK(std::chrono::steady_clock::now() - start < 300ms);
  CHECK(silent.takeQueries() == 0);
#ifdef DGRAM_TEST_WITH_CARES
  // The control: a name does reach it (and times out).
  auto error = sendError(loop, dgram::Type::udp4, "name.dgram.test");
  REQUIRE(error);
  CHECK(error->code() == "ETIMEOUT");
  CHECK(silent.takeQueries() > 0);
#endif  // DGRAM_TEST_WITH_CARES
}
