// Multicast across real hosts (network namespaces on a bridged LAN):
// delivery to members only, dropMembership, source-specific membership,
// multicast loopback, multicast TTL 0, IPv6 groups with the interface
// chosen by scope (reference O2-O6, M1, M2).
//
// "Not delivered" is checked with a fence: after the datagram that must
// not arrive, the same sender sends a unicast datagram to the same socket
// over the same path; once the fence is there, the other would have been.
#include "support/catch.hpp"

#include <string>

#include "support/netns.hpp"

namespace {

using namespace std::chrono_literals;
using test::net::Inbox;
using test::net::Lab;
using test::net::NsLoop;

constexpr int kPort = 41234;  // each host is its own namespace: no clash
const std::string kGroup = "239.1.2.3";

}  // namespace

TEST_CASE(
    "IPv4 multicast reaches both members and no non-member, "
    "dropMembership stops delivery",
    "[multicast][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("sender", 0, "lan0", 1);
  lab.attach("member1", 0, "lan0", 2);
  lab.attach("member2", 0, "lan0", 3);
  lab.attach("outsider", 0, "lan0", 4);
  NsLoop sender(lab.host("sender"));
  NsLoop member1(lab.host("member1"));
  NsLoop member2(lab.host("member2"));
  NsLoop outsider(lab.host("outsider"));
  Inbox inbox;

  auto* tx = sender.open(inbox, "tx", dgram::Type::udp4);
  auto txAddress = sender.bind(tx, 0);
  auto* r1 = member1.open(inbox, "r1", dgram::Type::udp4);
  member1.bind(r1, kPort);
  auto* r2 = member2.open(inbox, "r2", dgram::Type::udp4);
  member2.bind(r2, kPort);
  auto* r3 = outsider.open(inbox, "r3", dgram::Type::udp4);
  outsider.bind(r3, kPort);

  // One joins on the default interface, one names its interface.
  member1.call([&] { r1->addMembership(kGroup); });
  member2.call([&] { r2->addMembership(kGroup, "198.18.0.3"); });

  REQUIRE(sender.send(tx, "hello", kPort, kGroup).empty());
  REQUIRE(inbox.waitFor("r1", "hello"));
  REQUIRE(inbox.waitFor("r2", "hello"));
  for (const char* name : {"r1", "r2"}) {
    INFO(name);
    auto got = inbox.get(name, "hello");
    CHECK(got.rinfo.address == "198.18.0.1");
    CHECK(got.rinfo.family == dgram::Family::IPv4);
    CHECK(got.rinfo.port == txAddress.port);
    CHECK(got.rinfo.size == 5);
  }
  REQUIRE(sender.send(tx, "fence3", kPort, "198.18.0.4").empty());
  REQUIRE(inbox.waitFor("r3", "fence3"));
  CHECK_FALSE(inbox.has("r3", "hello"));

  SECTION("dropMembership stops delivery to that member only") {
    member1.call([&] { r1->dropMembership(kGroup); });
    REQUIRE(sender.send(tx, "after-drop", kPort, kGroup).empty());
    REQUIRE(inbox.waitFor("r2", "after-drop"));
    REQUIRE(sender.send(tx, "fence1", kPort, "198.18.0.2").empty());
    REQUIRE(inbox.waitFor("r1", "fence1"));
    CHECK_FALSE(inbox.has("r1", "after-drop"));
    // Dropping again: not a member any more.
    auto error = member1.call([&]() -> std::string {
      try {
        r1->dropMembership(kGroup);
      } catch (const dgram::Error& e) {
        return e.code() + "|" + e.syscall() + "|" + e.what();
      }
      return "no error";
    });
    CHECK(error == "EADDRNOTAVAIL|dropMembership|dropMembership EADDRNOTAVAIL");
  }

  SECTION("joining again after a drop delivers again") {
    member1.call([&] { r1->dropMembership(kGroup, "198.18.0.2"); });
    member1.call([&] { r1->addMembership(kGroup, "198.18.0.2"); });
    REQUIRE(sender.send(tx, "rejoined", kPort, kGroup).empty());
    CHECK(inbox.waitFor("r1", "rejoined"));
  }
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}

TEST_CASE("source-specific membership accepts the chosen source only",
          "[multicast][ssm][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("good", 0, "lan0", 1);
  lab.attach("member", 0, "lan0", 2);
  lab.attach("bad", 0, "lan0", 3);
  NsLoop good(lab.host("good"));
  NsLoop member(lab.host("member"));
  NsLoop bad(lab.host("bad"));
  Inbox inbox;
  const std::string group = "239.5.6.7";

  auto* fromGood = good.open(inbox, "good", dgram::Type::udp4);
  good.bind(fromGood, 0);
  auto* fromBad = bad.open(inbox, "bad", dgram::Type::udp4);
  bad.bind(fromBad, 0);
  auto* rx = member.open(inbox, "rx", dgram::Type::udp4);
  member.bind(rx, kPort);
  member.call([&] {
    rx->addSourceSpecificMembership("198.18.0.1", group, "198.18.0.2");
  });

  REQUIRE(good.send(fromGood, "from-good", kPort, group).empty());
  REQUIRE(bad.send(fromBad, "from-bad", kPort, group).empty());
  REQUIRE(bad.send(fromBad, "fence-bad", kPort, "198.18.0.2").empty());
  REQUIRE(inbox.waitFor("rx", "from-good"));
  REQUIRE(inbox.waitFor("rx", "fence-bad"));
  CHECK_FALSE(inbox.has("rx", "from-bad"));
  CHECK(inbox.get("rx", "from-good").rinfo.address == "198.18.0.1");

  // Dropped: the good source is not delivered either.
  member.call([&] {
    rx->dropSourceSpecificMembership("198.18.0.1", group, "198.18.0.2");
  });
  REQUIRE(good.send(fromGood, "after-drop", kPort, group).empty());
  REQUIRE(good.send(fromGood, "fence-good", kPort, "198.18.0.2").empty());
  REQUIRE(inbox.waitFor("rx", "fence-good"));
  CHECK_FALSE(inbox.has("rx", "after-drop"));

  // Dropping a source membership that does not exist: the kernel's EINVAL
  // (Node reports the same).
  auto error = member.call([&]() -> std::string {
    try {
      rx->dropSourceSpecificMembership("198.18.0.1", group);
    } catch (const dgram::Error& e) {
      return e.code() + "|" + e.syscall();
    }
    return "no error";
  });
  CHECK(error == "EINVAL|dropSourceSpecificMembership");
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}

TEST_CASE(
    "setMulticastLoopback decides whether the sending host gets its "
    "own multicast",
    "[multicast][loopback][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("sender", 0, "lan0", 1);
  lab.attach("remote", 0, "lan0", 2);
  NsLoop sender(lab.host("sender"));
  NsLoop remote(lab.host("remote"));
  Inbox inbox;

  auto* tx = sender.open(inbox, "tx", dgram::Type::udp4);
  sender.bind(tx, 0);
  auto* local = sender.open(inbox, "local", dgram::Type::udp4);
  sender.bind(local, kPort);
  sender.call([&] { local->addMembership(kGroup, "198.18.0.1"); });
  auto* far = remote.open(inbox, "far", dgram::Type::udp4);
  remote.bind(far, kPort);
  remote.call([&] { far->addMembership(kGroup); });

  // Off: the LAN gets it, the sending host does not.
  CHECK(sender.call([&] { return tx->setMulticastLoopback(false); }) == false);
  REQUIRE(sender.send(tx, "loop-off", kPort, kGroup).empty());
  REQUIRE(inbox.waitFor("far", "loop-off"));
  // On (the default): both. Local delivery keeps the order, so "loop-on"
  // arriving alone proves "loop-off" was not looped back.
  CHECK(sender.call([&] { return tx->setMulticastLoopback(true); }) == true);
  REQUIRE(sender.send(tx, "loop-on", kPort, kGroup).empty());
  REQUIRE(inbox.waitFor("local", "loop-on"));
  REQUIRE(inbox.waitFor("far", "loop-on"));
  CHECK_FALSE(inbox.has("local", "loop-off"));
  CHECK(inbox.get("local", "loop-on").rinfo.address == "198.18.0.1");
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}

TEST_CASE("setMulticastTTL(0) keeps a datagram on the sending host",
          "[multicast][ttl][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("sender", 0, "lan0", 1);
  lab.attach("remote", 0, "lan0", 2);
  NsLoop sender(lab.host("sender"));
  NsLoop remote(lab.host("remote"));
  Inbox inbox;

  auto* tx = sender.open(inbox, "tx", dgram::Type::udp4);
  sender.bind(tx, 0);
  auto* local = sender.open(inbox, "local", dgram::Type::udp4);
  sender.bind(local, kPort);
  sender.call([&] { local->addMembership(kGroup); });
  auto* far = remote.open(inbox, "far", dgram::Type::udp4);
  remote.bind(far, kPort);
  remote.call([&] { far->addMembership(kGroup); });

  CHECK(sender.call([&] { return tx->setMulticastTTL(0); }) == 0);
  REQUIRE(sender.send(tx, "ttl0", kPort, kGroup).empty());
  REQUIRE(inbox.waitFor("local", "ttl0"));
  CHECK(sender.call([&] { return tx->setMulticastTTL(1); }) == 1);
  REQUIRE(sender.send(tx, "ttl1", kPort, kGroup).empty());
  REQUIRE(inbox.waitFor("far", "ttl1"));
  REQUIRE(inbox.waitFor("local", "ttl1"));
  CHECK_FALSE(inbox.has("far", "ttl0"));
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}

TEST_CASE(
    "setMulticastInterface picks the IPv4 interface, 0.0.0.0 gives "
    "the choice back to the routing table",
    "[multicast][interface][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  // "router" is on two LANs; its 224.0.0.0/4 route points at LAN 0.
  lab.attach("router", 0, "lanA", 1);
  lab.attach("router", 1, "lanB", 1);
  lab.attach("onA", 0, "lan0", 2);
  lab.attach("onB", 1, "lan0", 2);
  NsLoop router(lab.host("router"));
  NsLoop onA(lab.host("onA"));
  NsLoop onB(lab.host("onB"));
  Inbox inbox;

  auto* tx = router.open(inbox, "tx", dgram::Type::udp4);
  router.bind(tx, 0);
  auto* a = onA.open(inbox, "a", dgram::Type::udp4);
  onA.bind(a, kPort);
  onA.call([&] { a->addMembership(kGroup); });
  auto* b = onB.open(inbox, "b", dgram::Type::udp4);
  onB.bind(b, kPort);
  onB.call([&] { b->addMembership(kGroup); });

  router.call([&] { tx->setMulticastInterface("198.18.1.1"); });
  REQUIRE(router.send(tx, "via-B", kPort, kGroup).empty());
  REQUIRE(inbox.waitFor("b", "via-B"));
  CHECK(inbox.get("b", "via-B").rinfo.address == "198.18.1.1");

  router.call([&] { tx->setMulticastInterface("0.0.0.0"); });
  REQUIRE(router.send(tx, "via-route", kPort, kGroup).empty());
  REQUIRE(inbox.waitFor("a", "via-route"));
  CHECK(inbox.get("a", "via-route").rinfo.address == "198.18.0.1");

  REQUIRE(router.send(tx, "fence-a", kPort, "198.18.0.2").empty());
  REQUIRE(router.send(tx, "fence-b", kPort, "198.18.1.2").empty());
  REQUIRE(inbox.waitFor("a", "fence-a"));
  REQUIRE(inbox.waitFor("b", "fence-b"));
  CHECK_FALSE(inbox.has("a", "via-B"));
  CHECK_FALSE(inbox.has("b", "via-route"));

  // An address that is no interface of this host.
  auto error = router.call([&]() -> std::string {
    try {
      tx->setMulticastInterface("198.18.0.99");
    } catch (const dgram::Error& e) {
      return e.code() + "|" + e.syscall() + "|" + e.what();
    }
    return "no error";
  });
  CHECK(error ==
        "EADDRNOTAVAIL|setMulticastInterface|setMulticastInterface "
        "EADDRNOTAVAIL");
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}

TEST_CASE(
    "IPv6 multicast (ff02::, ff12::) goes out of the interface the "
    "scope names",
    "[multicast][ipv6][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("router", 0, "lanA", 1);
  lab.attach("router", 1, "lanB", 1);
  lab.attach("onA", 0, "lan0", 2);
  lab.attach("onB", 1, "lan0", 2);
  NsLoop router(lab.host("router"));
  NsLoop onA(lab.host("onA"));
  NsLoop onB(lab.host("onB"));
  Inbox inbox;

  auto* tx = router.open(inbox, "tx", dgram::Type::udp6);
  auto txAddress = router.bind(tx, 0);
  auto* a = onA.open(inbox, "a", dgram::Type::udp6);
  onA.bind(a, kPort);
  auto* b = onB.open(inbox, "b", dgram::Type::udp6);
  onB.bind(b, kPort);
  for (const char* group : {"ff12::1:5", "ff02::1:6"}) {
    onA.call([&] { a->addMembership(group, "::%lan0"); });
    onB.call([&] { b->addMembership(group); });  // the only interface
  }

  // The destination's zone picks the interface.
  REQUIRE(router.send(tx, "ff12-B", kPort, "ff12::1:5%lanB").empty());
  REQUIRE(router.send(tx, "ff02-A", kPort, "ff02::1:6%lanA").empty());
  REQUIRE(inbox.waitFor("b", "ff12-B"));
  REQUIRE(inbox.waitFor("a", "ff02-A"));
  auto got = inbox.get("b", "ff12-B");
  CHECK(got.rinfo.address == "fe80::1%lan0");
  CHECK(got.rinfo.family == dgram::Family::IPv6);
  CHECK(got.rinfo.port == txAddress.port);
  CHECK(got.rinfo.size == 6);
  CHECK(inbox.get("a", "ff02-A").rinfo.address == "fe80::1%lan0");

  // Without a zone, setMulticastInterface("::%lanB") decides; both forms
  // of the interface argument work.
  router.call([&] { tx->setMulticastInterface("::%lanB"); });
  REQUIRE(router.send(tx, "if-B", kPort, "ff12::1:5").empty());
  REQUIRE(inbox.waitFor("b", "if-B"));
  router.call([&] { tx->setMulticastInterface("%lanA"); });
  REQUIRE(router.send(tx, "if-A", kPort, "ff02::1:6").empty());
  REQUIRE(inbox.waitFor("a", "if-A"));

  REQUIRE(router.send(tx, "fence-a", kPort, "fe80::2%lanA").empty());
  REQUIRE(router.send(tx, "fence-b", kPort, "fe80::2%lanB").empty());
  REQUIRE(inbox.waitFor("a", "fence-a"));
  REQUIRE(inbox.waitFor("b", "fence-b"));
  CHECK_FALSE(inbox.has("a", "ff12-B"));
  CHECK_FALSE(inbox.has("a", "if-B"));
  CHECK_FALSE(inbox.has("b", "ff02-A"));
  CHECK_FALSE(inbox.has("b", "if-A"));

  // Dropping with the same scope, and a global-scope group on 2001:db8::.
  onA.call([&] { a->dropMembership("ff12::1:5", "::%lan0"); });
  REQUIRE(router.send(tx, "dropped", kPort, "ff12::1:5%lanA").empty());
  REQUIRE(router.send(tx, "fence-a2", kPort, "fe80::2%lanA").empty());
  REQUIRE(inbox.waitFor("a", "fence-a2"));
  CHECK_FALSE(inbox.has("a", "dropped"));

  // An unknown zone is refused rather than silently replaced by the
  // default interface.
  auto error = router.call([&]() -> std::string {
    try {
      tx->setMulticastInterface("::%nosuchif0");
    } catch (const dgram::Error& e) {
      return e.code() + "|" + e.syscall();
    }
    return "no error";
  });
  CHECK(error == "EADDRNOTAVAIL|setMulticastInterface");
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}

TEST_CASE("IPv6 source-specific membership accepts the chosen source only",
          "[multicast][ssm][ipv6][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("good", 0, "lan0", 1);
  lab.attach("member", 0, "lan0", 2);
  lab.attach("bad", 0, "lan0", 3);
  NsLoop good(lab.host("good"));
  NsLoop member(lab.host("member"));
  NsLoop bad(lab.host("bad"));
  Inbox inbox;
  const std::string group = "ff12::8000:1";

  auto* fromGood = good.open(inbox, "good", dgram::Type::udp6);
  good.bind(fromGood, 0, "2001:db8::1");
  auto* fromBad = bad.open(inbox, "bad", dgram::Type::udp6);
  bad.bind(fromBad, 0, "2001:db8::3");
  auto* rx = member.open(inbox, "rx", dgram::Type::udp6);
  member.bind(rx, kPort);
  member.call([&] {
    rx->addSourceSpecificMembership("2001:db8::1", group, "::%lan0");
  });

  REQUIRE(good.send(fromGood, "from-good", kPort, group + "%lan0").empty());
  REQUIRE(bad.send(fromBad, "from-bad", kPort, group + "%lan0").empty());
  REQUIRE(bad.send(fromBad, "fence", kPort, "2001:db8::2").empty());
  REQUIRE(inbox.waitFor("rx", "from-good"));
  REQUIRE(inbox.waitFor("rx", "fence"));
  CHECK_FALSE(inbox.has("rx", "from-bad"));
  CHECK(inbox.get("rx", "from-good").rinfo.address == "2001:db8::1");
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}
