// udp6 over ::1: the any address, rinfo, the default host, ipv6Only and
// dual stack (reference B3, B8, S7, C4, M1 for IPv6). Skipped visibly when
// the machine has no IPv6 loopback.
#include "support/catch.hpp"

#include <optional>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using namespace std::chrono_literals;

#define REQUIRE_IPV6()                                   \
  do {                                                   \
    if (!test::haveIPv6()) {                             \
      WARN("skipped: no IPv6 loopback on this machine"); \
      return;                                            \
    }                                                    \
  } while (0)

std::shared_ptr<dgram::Socket> boundSocket6(dgram::Loop& loop,
                                            dgram::MessageListener fn = {},
                                            const char* address = "::1") {
  auto socket = test::makeSocket(loop, dgram::Type::udp6, std::move(fn));
  test::bindAndWait(loop, *socket, address);
  return socket;
}

struct Received {
  std::string data;
  dgram::RemoteInfo rinfo;
};

}  // namespace

TEST_CASE("udp6 bind without an address binds :: and a random port",
          "[ipv6][bind]") {
  REQUIRE_IPV6();
  dgram::Loop loop;
  auto socket = test::makeSocket(loop, dgram::Type::udp6);
  int listening = 0;
  socket->bind([&] { ++listening; });
  REQUIRE(test::runUntil(loop, [&] { return listening == 1; }));
  auto info = socket->address();
  CHECK(info.address.str() == "::");
  CHECK(info.family == dgram::Family::IPv6);
  CHECK(dgram::to_string(info.family) == "IPv6");
  CHECK(info.port > 0);
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 1);
}

TEST_CASE("udp6 send and receive over ::1 with rinfo family IPv6",
          "[ipv6][message]") {
  REQUIRE_IPV6();
  dgram::Loop loop;
  std::vector<Received> received;
  auto receiver =
      boundSocket6(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
        received.push_back({msg.str(), r});
      });
  auto sender = boundSocket6(loop);
  CHECK(receiver->address().address.str() == "::1");
  CHECK(receiver->address().family == dgram::Family::IPv6);
  int sent = 0;
  sender->send("over six", receiver->address().port, "::1",
               [&](const std::optional<dgram::Error>& err, std::size_t n) {
                 CHECK_FALSE(err);
                 CHECK(n == 8);
                 ++sent;
               });
  REQUIRE(
      test::runUntil(loop, [&] { return received.size() == 1 && sent == 1; }));
  CHECK(received[0].data == "over six");
  CHECK(received[0].rinfo.address.str() == "::1");
  CHECK(received[0].rinfo.family == dgram::Family::IPv6);
  CHECK(received[0].rinfo.port == sender->address().port);
  CHECK(received[0].rinfo.size == 8);
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sent == 1);
}

TEST_CASE("udp6 send without an address goes to ::1", "[ipv6][send]") {
  REQUIRE_IPV6();
  dgram::Loop loop;
  std::vector<Received> received;
  auto receiver =
      boundSocket6(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
        received.push_back({msg.str(), r});
      });
  const int port = receiver->address().port;
  auto sender = test::makeSocket(loop, dgram::Type::udp6);
  int sent = 0;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t) {
    CHECK_FALSE(err);
    ++sent;
  };
  sender->send("no address", port, cb);
  sender->send("empty address", port, "", cb);
  sender->send({"li", "st"}, port, cb);
  REQUIRE(
      test::runUntil(loop, [&] { return received.size() == 3 && sent == 3; }));
  CHECK(received[0].data == "no address");
  CHECK(received[1].data == "empty address");
  CHECK(received[2].data == "list");
  for (auto& r : received)
    CHECK(r.rinfo.family == dgram::Family::IPv6);
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sent == 3);
}

TEST_CASE("udp6 connect without an address connects to ::1",
          "[ipv6][connect]") {
  REQUIRE_IPV6();
  dgram::Loop loop;
  std::vector<std::string> received;
  auto peer =
      boundSocket6(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.push_back(msg.str());
      });
  auto socket = test::makeSocket(loop, dgram::Type::udp6);
  int connects = 0;
  socket->connect(peer->address().port,
                  [&](const std::optional<dgram::Error>& err) {
                    CHECK_FALSE(err);
                    ++connects;
                  });
  REQUIRE(test::runUntil(loop, [&] { return connects == 1; }));
  auto remote = socket->remoteAddress();
  CHECK(remote.address.str() == "::1");
  CHECK(remote.family == dgram::Family::IPv6);
  CHECK(remote.port == peer->address().port);
  int sent = 0;
  socket->send("connected six",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK_FALSE(err);
                 ++sent;
               });
  REQUIRE(
      test::runUntil(loop, [&] { return received.size() == 1 && sent == 1; }));
  CHECK(received[0] == "connected six");
  socket->close();
  peer->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(connects == 1);
}

TEST_CASE("udp6 empty datagram", "[ipv6][empty]") {
  REQUIRE_IPV6();
  dgram::Loop loop;
  std::vector<std::size_t> sizes;
  auto receiver =
      boundSocket6(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
        CHECK(msg.empty());
        sizes.push_back(r.size);
      });
  auto sender = test::makeSocket(loop, dgram::Type::udp6);
  int sent = 0;
  sender->send(std::string(), receiver->address().port, "::1",
               [&](const std::optional<dgram::Error>& err, std::size_t n) {
                 CHECK_FALSE(err);
                 CHECK(n == 0);
                 ++sent;
               });
  REQUIRE(test::runUntil(loop, [&] { return sizes.size() == 1 && sent == 1; }));
  CHECK(sizes[0] == 0);
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("ipv6Only: a udp4 socket can bind the port of a :: socket",
          "[ipv6][bind][options]") {
  REQUIRE_IPV6();
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.type = dgram::Type::udp6;
  options.ipv6Only = true;
  auto six = test::makeSocket(loop, options);
  int listening6 = 0;
  six->bind(0, "::", [&] { ++listening6; });
  REQUIRE(test::runUntil(loop, [&] { return listening6 == 1; }));
  const int port = six->address().port;

  auto four = test::makeSocket(loop, dgram::Type::udp4);
  int listening4 = 0, errors = 0;
  four->on(dgram::error, [&](const dgram::Error& e) {
    INFO(e.what());
    ++errors;
  });
  four->bind(port, "0.0.0.0", [&] { ++listening4; });
  REQUIRE(test::runUntil(loop, [&] { return listening4 + errors == 1; }));
  CHECK(listening4 == 1);
  CHECK(errors == 0);
  CHECK(four->address().port == port);
  four->close();
  six->close();
  REQUIRE(test::runUntilIdle(loop));
}

#ifdef __linux__
TEST_CASE("dual stack: a :: socket receives IPv4 datagrams as ::ffff:127.0.0.1",
          "[ipv6][message]") {
  REQUIRE_IPV6();
  dgram::Loop loop;
  std::vector<Received> received;
  auto receiver = boundSocket6(
      loop,
      [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
        received.push_back({msg.str(), r});
      },
      "::");
  auto sender = test::makeSocket(loop, dgram::Type::udp4);
  int sent = 0;
  sender->send("mapped", receiver->address().port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK_FALSE(err);
                 ++sent;
               });
  REQUIRE(
      test::runUntil(loop, [&] { return received.size() == 1 && sent == 1; }));
  CHECK(received[0].data == "mapped");
  CHECK(received[0].rinfo.address.str() == "::ffff:127.0.0.1");
  CHECK(received[0].rinfo.family == dgram::Family::IPv6);
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
}
#endif

TEST_CASE("udp6 lookup option is asked for IPv6", "[ipv6][lookup]") {
  REQUIRE_IPV6();
  dgram::Loop loop;
  std::vector<std::string> received;
  auto receiver =
      boundSocket6(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.push_back(msg.str());
      });
  dgram::SocketOptions options;
  options.type = dgram::Type::udp6;
  std::vector<std::pair<std::string, dgram::Family>> calls;
  options.lookup = [&](std::string_view host, dgram::Family family,
                       dgram::LookupCallback done) {
    calls.emplace_back(std::string(host), family);
    done(std::nullopt, host == "six.test" ? "::1" : host, dgram::Family::IPv6);
  };
  auto socket = test::makeSocket(loop, options);
  int sent = 0;
  socket->send("named six", receiver->address().port, "six.test",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK_FALSE(err);
                 ++sent;
               });
  REQUIRE(
      test::runUntil(loop, [&] { return sent == 1 && received.size() == 1; }));
  bool askedByName = false;
  for (auto& c : calls) {
    CHECK(c.second == dgram::Family::IPv6);
    if (c.first == "six.test") askedByName = true;
  }
  CHECK(askedByName);
  socket->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("udp6 a datagram too big fails with EMSGSIZE in the callback",
          "[ipv6][send][error]") {
  REQUIRE_IPV6();
  dgram::Loop loop;
  auto receiver = boundSocket6(loop);
  auto sender = boundSocket6(loop);
  std::optional<dgram::Error> seen;
  int callbacks = 0;
  sender->send(std::string(70000, 'x'), receiver->address().port, "::1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 ++callbacks;
                 seen = err;
               });
  REQUIRE(test::runUntil(loop, [&] { return callbacks == 1; }));
  REQUIRE(seen);
  CHECK(seen->code() == "EMSGSIZE");
  CHECK(seen->syscall() == "send");
  CHECK(seen->address() == "::1");
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
}
