// Broadcast across real hosts on a bridged LAN (198.18.0.0/24): refused
// with EACCES until setBroadcast(true), delivered to every host after it
// (test-dgram-setBroadcast.js, reference O1, S12).
#include "support/catch.hpp"

#include <string>

#include "support/netns.hpp"

namespace {

using test::net::Inbox;
using test::net::Lab;
using test::net::NsLoop;

constexpr int kPort = 41235;

void checkEacces(const std::optional<dgram::Error>& error,
                 const std::string& address) {
  INFO("to " << address);
  REQUIRE(error.has_value());
  CHECK(error->code() == "EACCES");
  CHECK(error->errnum() == -13);
  CHECK(error->syscall() == "send");
  CHECK(error->address() == address);
  CHECK(error->port() == kPort);
  CHECK(std::string(error->what()) ==
        "send EACCES " + address + ":" + std::to_string(kPort));
}

}  // namespace

TEST_CASE("broadcast to the subnet's broadcast address needs setBroadcast",
          "[broadcast][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("sender", 0, "lan0", 1);
  lab.attach("rx1", 0, "lan0", 2);
  lab.attach("rx2", 0, "lan0", 3);
  NsLoop sender(lab.host("sender"));
  NsLoop rx1(lab.host("rx1"));
  NsLoop rx2(lab.host("rx2"));
  Inbox inbox;

  auto* tx = sender.open(inbox, "tx", dgram::Type::udp4);
  auto local = sender.bind(tx, 0, "198.18.0.1");
  auto* a = rx1.open(inbox, "a", dgram::Type::udp4);
  rx1.bind(a, kPort);
  auto* b = rx2.open(inbox, "b", dgram::Type::udp4);
  rx2.bind(b, kPort);
  // A socket bound to its unicast address gets no broadcasts (Linux).
  auto* unicastOnly = rx2.open(inbox, "u", dgram::Type::udp4);
  rx2.bind(unicastOnly, kPort + 1, "198.18.0.3");

  // Without SO_BROADCAST the kernel refuses: the send callback gets EACCES
  // and the socket keeps working.
  checkEacces(sender.sendResult(tx, "refused", kPort, "198.18.0.255"),
              "198.18.0.255");
  checkEacces(sender.sendResult(tx, "refused", kPort, "255.255.255.255"),
              "255.255.255.255");

  sender.call([&] { tx->setBroadcast(true); });
  REQUIRE(sender.send(tx, "subnet", kPort, "198.18.0.255").empty());
  REQUIRE(sender.send(tx, "limited", kPort, "255.255.255.255").empty());
  REQUIRE(sender.send(tx, "subnet-u", kPort + 1, "198.18.0.255").empty());
  for (const char* name : {"a", "b"}) {
    INFO(name);
    REQUIRE(inbox.waitFor(name, "subnet"));
    REQUIRE(inbox.waitFor(name, "limited"));
    auto got = inbox.get(name, "subnet");
    CHECK(got.rinfo.address == "198.18.0.1");
    CHECK(got.rinfo.port == local.port);
    CHECK(got.rinfo.family == dgram::Family::IPv4);
    CHECK(got.rinfo.size == 6);
    CHECK_FALSE(inbox.has(name, "refused"));
  }
  REQUIRE(sender.send(tx, "fence-u", kPort + 1, "198.18.0.3").empty());
  REQUIRE(inbox.waitFor("u", "fence-u"));
  CHECK_FALSE(inbox.has("u", "subnet-u"));

  // Off again: refused again.
  sender.call([&] { tx->setBroadcast(false); });
  checkEacces(sender.sendResult(tx, "refused", kPort, "198.18.0.255"),
              "198.18.0.255");
  REQUIRE(sender.send(tx, "unicast", kPort, "198.18.0.2").empty());
  REQUIRE(inbox.waitFor("a", "unicast"));
  CHECK_FALSE(inbox.has("a", "refused"));
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}

TEST_CASE(
    "a connected socket to the broadcast address also needs "
    "setBroadcast",
    "[broadcast][connect][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("sender", 0, "lan0", 1);
  lab.attach("rx", 0, "lan0", 2);
  NsLoop sender(lab.host("sender"));
  NsLoop rx(lab.host("rx"));
  Inbox inbox;

  auto* a = rx.open(inbox, "a", dgram::Type::udp4);
  rx.bind(a, kPort);
  auto* tx = sender.open(inbox, "tx", dgram::Type::udp4);
  sender.bind(tx, 0);
  // connect(2) to a broadcast address without SO_BROADCAST fails with
  // EACCES: the connect callback gets it, syscall 'connect'.
  auto connectError = [&] {
    auto done = std::make_shared<std::promise<std::string>>();
    auto result = done->get_future();
    sender.call([&] {
      tx->connect(kPort, "198.18.0.255",
                  [done](const std::optional<dgram::Error>& err) {
                    done->set_value(err ? err->code() + "|" + err->syscall()
                                        : std::string());
                  });
    });
    REQUIRE(result.wait_for(std::chrono::seconds(5)) ==
            std::future_status::ready);
    return result.get();
  };
  CHECK(connectError() == "EACCES|connect");
  sender.call([&] { tx->setBroadcast(true); });
  CHECK(connectError().empty());
  auto done = std::make_shared<std::promise<std::string>>();
  auto sent = done->get_future();
  sender.call([&] {
    tx->send("connected",
             [done](const std::optional<dgram::Error>& err, std::size_t) {
               done->set_value(err ? err->code() : std::string());
             });
  });
  REQUIRE(sent.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(sent.get().empty());
  CHECK(inbox.waitFor("a", "connected"));
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}
