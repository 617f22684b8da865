// Sharing addresses: reusePort spreads datagrams over the sockets bound to
// one port; ipv6Only decides whether a udp6 socket also carries IPv4
// (IPv4-mapped) traffic, checked between two hosts (reference B8,
// test-dgram-reuseport.js, test-dgram-ipv6only.js).
#include "support/catch.hpp"

#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/netns.hpp"

namespace {

using test::net::Inbox;
using test::net::Lab;
using test::net::NsLoop;

constexpr int kPort = 41237;

}  // namespace

TEST_CASE("reusePort spreads datagrams from many senders over two sockets",
          "[reuse][reusePort]") {
#if !defined(__linux__)
  WARN("SKIPPED: load spreading with SO_REUSEPORT is checked on Linux only");
  return;
#endif
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.reusePort = true;
  int counts[2] = {0, 0};
  std::vector<std::shared_ptr<dgram::Socket>> receivers;
  int port = 0;
  for (int i = 0; i < 2; ++i) {
    auto socket = test::makeSocket(
        loop, options,
        [&counts, i](dgram::Bytes, const dgram::RemoteInfo&) { ++counts[i]; });
    bool listening = false;
    socket->bind(port, "127.0.0.1", [&] { listening = true; });
    REQUIRE(test::runUntil(loop, [&] { return listening; }));
    port = socket->address().port;
    receivers.push_back(socket);
  }

  // A third socket without reusePort cannot join them.
  auto intruder = test::makeSocket(loop);
  std::optional<dgram::Error> intruderError;
  intruder->on(dgram::error, [&](const dgram::Error& e) { intruderError = e; });
  intruder->bind(port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return intruderError.has_value(); }));
  CHECK(intruderError->code() == "EADDRINUSE");
  CHECK(intruderError->syscall() == "bind");

  // The kernel picks a socket by a hash of the 4-tuple: 32 senders (32
  // source ports) all landing on one socket has probability 2^-31.
  constexpr int kSenders = 32;
  std::vector<std::shared_ptr<dgram::Socket>> senders;
  int sent = 0;
  for (int i = 0; i < kSenders; ++i) {
    auto sender = test::makeSocket(loop);
    sender->send("x", port, "127.0.0.1",
                 [&](const std::optional<dgram::Error>& err, std::size_t) {
                   CHECK_FALSE(err);
                   ++sent;
                 });
    senders.push_back(sender);
  }
  REQUIRE(test::runUntil(loop, [&] {
    return sent == kSenders && counts[0] + counts[1] == kSenders;
  }));
  INFO("socket 0 got " << counts[0] << ", socket 1 got " << counts[1]);
  CHECK(counts[0] > 0);
  CHECK(counts[1] > 0);
  for (auto& s : senders)
    s->close();
  for (auto& s : receivers)
    s->close();
  intruder->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE(
    "ipv6Only off: a udp6 socket on :: exchanges IPv4 traffic as "
    "::ffff:a.b.c.d",
    "[reuse][ipv6Only][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("h1", 0, "lan0", 1);
  lab.attach("h2", 0, "lan0", 2);
  NsLoop h1(lab.host("h1"));
  NsLoop h2(lab.host("h2"));
  Inbox inbox;

  auto* dual = h2.open(inbox, "dual", dgram::Type::udp6);
  h2.bind(dual, kPort);
  auto* v4 = h1.open(inbox, "v4", dgram::Type::udp4);
  auto v4Address = h1.bind(v4, 0);

  REQUIRE(h1.send(v4, "over-ipv4", kPort, "198.18.0.2").empty());
  REQUIRE(inbox.waitFor("dual", "over-ipv4"));
  auto got = inbox.get("dual", "over-ipv4");
  CHECK(got.rinfo.address == "::ffff:198.18.0.1");
  CHECK(got.rinfo.family == dgram::Family::IPv6);
  CHECK(got.rinfo.port == v4Address.port);

  // The reply to the mapped address reaches the IPv4 socket as IPv4.
  REQUIRE(
      h2.send(dual, "reply", got.rinfo.port, got.rinfo.address.str()).empty());
  REQUIRE(inbox.waitFor("v4", "reply"));
  auto reply = inbox.get("v4", "reply");
  CHECK(reply.rinfo.address == "198.18.0.2");
  CHECK(reply.rinfo.family == dgram::Family::IPv4);
  CHECK(reply.rinfo.port == kPort);
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}

TEST_CASE("ipv6Only on: a udp6 socket on :: carries no IPv4 traffic",
          "[reuse][ipv6Only][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("h1", 0, "lan0", 1);
  lab.attach("h2", 0, "lan0", 2);
  NsLoop h1(lab.host("h1"));
  NsLoop h2(lab.host("h2"));
  Inbox inbox;

  dgram::SocketOptions v6only;
  v6only.type = dgram::Type::udp6;
  v6only.ipv6Only = true;
  auto* only6 = h2.open(inbox, "only6", v6only);
  h2.bind(only6, kPort);
  // The IPv4 side of the port is free for a udp4 socket.
  auto* only4 = h2.open(inbox, "only4", dgram::Type::udp4);
  h2.bind(only4, kPort);

  auto* v4 = h1.open(inbox, "v4", dgram::Type::udp4);
  h1.bind(v4, 0);
  auto* v6 = h1.open(inbox, "v6", dgram::Type::udp6);
  h1.bind(v6, 0);
  REQUIRE(h1.send(v4, "ipv4", kPort, "198.18.0.2").empty());
  REQUIRE(h1.send(v6, "ipv6", kPort, "2001:db8::2").empty());
  REQUIRE(inbox.waitFor("only4", "ipv4"));
  REQUIRE(inbox.waitFor("only6", "ipv6"));
  CHECK_FALSE(inbox.has("only6", "ipv4"));
  CHECK_FALSE(inbox.has("only4", "ipv6"));
  CHECK(inbox.get("only6", "ipv6").rinfo.address == "2001:db8::1");

  // An ipv6Only socket cannot send to an IPv4-mapped address.
  auto* sender6 = h1.open(inbox, "sender6", v6only);
  h1.bind(sender6, 0);
  auto error = h1.sendResult(sender6, "mapped", kPort, "::ffff:198.18.0.2");
  REQUIRE(error.has_value());
  CHECK(error->code() == "ENETUNREACH");
  CHECK(error->syscall() == "send");
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}
