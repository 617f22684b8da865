// IPv6 link-local unicast between two hosts (network namespaces on a
// bridged LAN): the zone in rinfo (`fe80::1%lan0`), sending to and binding
// to `fe80::...%<ifname>` (test-dgram-udp6-link-local-address.js, reference
// M1, M2; what a link-local address without its scope does).
#include "support/catch.hpp"

#ifdef __linux__
#include <net/if.h>
#endif  // __linux__

#include <string>

#include "support/netns.hpp"

namespace {

using test::net::Inbox;
using test::net::Lab;
using test::net::NsLoop;

constexpr int kPort = 41236;

// Runs `fn` on the loop thread; returns "code|syscall|message" of the
// dgram::Error it throws, or "no error".
template <typename F>
std::string thrownOn(NsLoop& loop, F fn) {
  return loop.call([&]() -> std::string {
    try {
      fn();
    } catch (const dgram::Error& e) {
      return e.code() + "|" + e.syscall() + "|" + e.what();
    }
    return "no error";
  });
}

// Binds and returns the 'error' it emits as "code|syscall|message".
std::string bindError(NsLoop& loop, dgram::Socket* socket, int port,
                      const std::string& address) {
  auto done = std::make_shared<std::promise<std::string>>();
  auto result = done->get_future();
  loop.call([&] {
    socket->once(dgram::error, [done](const dgram::Error& e) {
      done->set_value(e.code() + "|" + e.syscall() + "|" + e.what());
    });
    socket->bind(port, address, [done] { done->set_value("listening"); });
  });
  if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    return "timeout";
  return result.get();
}

}  // namespace

TEST_CASE("link-local unicast both ways carries the zone in rinfo",
          "[ipv6][link-local][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("h1", 0, "lan0", 1);
  lab.attach("h2", 0, "lan0", 2);
  NsLoop h1(lab.host("h1"));
  NsLoop h2(lab.host("h2"));
  Inbox inbox;

  // h1 binds its link-local address with the zone; h2 binds ::.
  auto* one = h1.open(inbox, "one", dgram::Type::udp6);
  auto oneAddress = h1.bind(one, 0, "fe80::1%lan0");
  CHECK(oneAddress.address == "fe80::1%lan0");
  CHECK(oneAddress.family == dgram::Family::IPv6);
  auto* two = h2.open(inbox, "two", dgram::Type::udp6);
  auto twoAddress = h2.bind(two, kPort);
  CHECK(twoAddress.address == "::");

  REQUIRE(h1.send(one, "ping", kPort, "fe80::2%lan0").empty());
  REQUIRE(inbox.waitFor("two", "ping"));
  auto ping = inbox.get("two", "ping");
  CHECK(ping.rinfo.address == "fe80::1%lan0");
  CHECK(ping.rinfo.family == dgram::Family::IPv6);
  CHECK(ping.rinfo.port == oneAddress.port);
  CHECK(ping.rinfo.size == 4);

  // The reply goes to rinfo.address exactly as received.
  REQUIRE(
      h2.send(two, "pong", ping.rinfo.port, ping.rinfo.address.str()).empty());
  REQUIRE(inbox.waitFor("one", "pong"));
  auto pong = inbox.get("one", "pong");
  CHECK(pong.rinfo.address == "fe80::2%lan0");
  CHECK(pong.rinfo.port == kPort);

#ifdef __linux__
  // A numeric zone (the interface index) works too; rinfo still names
  // the interface.
  unsigned index = h1.call([] { return ::if_nametoindex("lan0"); });
  REQUIRE(index != 0);
  REQUIRE(h1.send(one, "by-index", kPort, "fe80::2%" + std::to_string(index))
              .empty());
  REQUIRE(inbox.waitFor("two", "by-index"));
  CHECK(inbox.get("two", "by-index").rinfo.address == "fe80::1%lan0");

#endif  // __linux__

  // connect() to a zoned address; remoteAddress() keeps the zone.
  auto* connected = h2.open(inbox, "connected", dgram::Type::udp6);
  h2.bind(connected, kPort + 1, "fe80::2%lan0");
  auto onConnect = std::make_shared<std::promise<std::string>>();
  auto connectResult = onConnect->get_future();
  h2.call([&] {
    connected->connect(oneAddress.port, "fe80::1%lan0",
                       [onConnect](const std::optional<dgram::Error>& err) {
                         onConnect->set_value(err ? err->code() : "");
                       });
  });
  REQUIRE(connectResult.wait_for(std::chrono::seconds(5)) ==
          std::future_status::ready);
  REQUIRE(connectResult.get().empty());
  auto peer = h2.call([&] { return connected->remoteAddress(); });
  CHECK(peer.address == "fe80::1%lan0");
  CHECK(peer.port == oneAddress.port);
  CHECK(h2.call([&] { return connected->address(); }).address ==
        "fe80::2%lan0");
  auto done = std::make_shared<std::promise<std::string>>();
  auto sent = done->get_future();
  h2.call([&] {
    connected->send("connected", [done](const std::optional<dgram::Error>& err,
                                        std::size_t) {
      done->set_value(err ? err->code() : "");
    });
  });
  REQUIRE(sent.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(sent.get().empty());
  REQUIRE(inbox.waitFor("one", "connected"));
  auto fromConnected = inbox.get("one", "connected");
  CHECK(fromConnected.rinfo.address == "fe80::2%lan0");
  CHECK(fromConnected.rinfo.port == kPort + 1);
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}

TEST_CASE("link-local addresses without a usable zone fail as Node's do",
          "[ipv6][link-local][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("h1", 0, "lan0", 1);
  lab.attach("h2", 0, "lan0", 2);
  NsLoop h1(lab.host("h1"));
  Inbox inbox;

  auto* socket = h1.open(inbox, "s", dgram::Type::udp6);
  h1.bind(socket, 0);
  // An interface that does not exist: as in Node (libuv reads an unknown
  // zone as none, test/node_address_table.cpp), the address goes to the
  // kernel with scope 0 and whatever it answers comes from 'send', never
  // from a lookup (Linux refuses; gVisor picks the only interface).
  auto badZone = h1.sendResult(socket, "x", kPort, "fe80::2%nosuch0");
  if (badZone) CHECK(badZone->syscall() == "send");

  // bind() without a zone, or with an unknown one: 'error' EINVAL.
  auto* unbound = h1.open(inbox, "u1", dgram::Type::udp6);
  CHECK(bindError(h1, unbound, 0, "fe80::1") ==
        "EINVAL|bind|bind EINVAL fe80::1");
  auto* unbound2 = h1.open(inbox, "u2", dgram::Type::udp6);
  // As Node: scope 0, which the kernel refuses for a link-local bind.
  CHECK(
      bindError(h1, unbound2, 0, "fe80::1%nosuch0").rfind("EINVAL|bind|", 0) ==
      0);
  // And the socket is unbound again: a good bind works.
  CHECK(bindError(h1, unbound2, 0, "fe80::1%lan0") == "listening");
  CHECK(thrownOn(h1, [&] { unbound2->address(); }) == "no error");
}
