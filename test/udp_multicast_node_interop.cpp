// Interop with Node itself: a Node dgram socket (test/support/node_peer.js)
// on one host, this library on another, multicast and link-local in both
// directions, and each side's rinfo compared exactly with the other
// side's address().
#include "support/catch.hpp"

#include <string>

#include "support/netns.hpp"

namespace {

using test::net::Inbox;
using test::net::Lab;
using test::net::NsLoop;
using test::net::Process;

constexpr int kNodePort = 41240;

// From the build (not __FILE__, which a compiler cache may make relative).
std::string peerScript() {
  return std::string(DGRAM_TEST_SOURCE_DIR) + "/support/node_peer.js";
}

// The Node peer: started with `config` (JSON), read line by line.
class NodePeer {
 public:
  NodePeer(const test::net::Namespace& ns, const std::string& config)
      : process_(ns, {test::net::findProgram("node"), peerScript(), config}) {}

  // The next line that starts with `prefix`; FAILs (with everything Node
  // printed) if none comes within 5 s.
  std::string expect(const std::string& prefix) {
    std::string line;
    while (process_.readLine(line)) {
      if (line.rfind(prefix, 0) == 0) return line;
    }
    FAIL("Node printed no '" << prefix << "' line; it printed:\n"
                             << process_.transcript());
    return {};
  }

  void send(const std::string& data, int port, const std::string& address) {
    process_.writeLine("{\"send\":\"" + data +
                       "\",\"port\":" + std::to_string(port) +
                       ",\"address\":\"" + address + "\"}");
    CHECK(expect("sent ") == "sent error=none");
  }

  void setMulticastInterface(const std::string& iface) {
    process_.writeLine("{\"multicastInterface\":\"" + iface + "\"}");
    CHECK(expect("sent ") == "sent error=none");
  }

  int finish() { return process_.finish(); }

 private:
  Process process_;
};

std::string describe(const std::string& data, const dgram::AddressInfo& from,
                     std::size_t size) {
  return "message data=" + data + " address=" + from.address.str() +
         " family=" + std::string(dgram::to_string(from.family)) +
         " port=" + std::to_string(from.port) + " size=" + std::to_string(size);
}

std::string describe(const test::net::Received& got) {
  return "message data=" + got.data + " address=" + got.rinfo.address.str() +
         " family=" + std::string(dgram::to_string(got.rinfo.family)) +
         " port=" + std::to_string(got.rinfo.port) +
         " size=" + std::to_string(got.rinfo.size);
}

#define NODE_OR_SKIP()                                          \
  do {                                                          \
    if (test::net::findProgram("node").empty()) {               \
      WARN("SKIPPED: no 'node' in PATH for the interop tests"); \
      return;                                                   \
    }                                                           \
  } while (0)

}  // namespace

TEST_CASE("Node interop: IPv4 multicast both ways with identical rinfo",
          "[multicast][interop][node][netns]") {
  NETNS_OR_SKIP();
  NODE_OR_SKIP();
  Lab lab;
  lab.attach("ours", 0, "lan0", 1);
  lab.attach("node", 0, "lan0", 2);
  NsLoop ours(lab.host("ours"));
  Inbox inbox;
  const std::string group = "239.10.20.30";

  NodePeer node(lab.host("node"),
                "{\"type\":\"udp4\",\"port\":" + std::to_string(kNodePort) +
                    ",\"join\":[\"" + group + "\",\"198.18.0.2\"]}");
  REQUIRE(node.expect("listening ") ==
          "listening address=0.0.0.0 family=IPv4 port=" +
              std::to_string(kNodePort));

  // Ours -> Node: Node's rinfo is our socket's address and port.
  auto* tx = ours.open(inbox, "tx", dgram::Type::udp4);
  auto local = ours.bind(tx, 0, "198.18.0.1");
  REQUIRE(ours.send(tx, "from-dgram", kNodePort, group).empty());
  CHECK(node.expect("message ") == describe("from-dgram", local, 10));

  // Node -> ours: our rinfo is Node's address and port.
  auto* rx = ours.open(inbox, "rx", dgram::Type::udp4);
  ours.bind(rx, kNodePort);
  ours.call([&] { rx->addMembership(group, "198.18.0.1"); });
  node.setMulticastInterface("198.18.0.2");
  node.send("from-node", kNodePort, group);
  REQUIRE(inbox.waitFor("rx", "from-node"));
  dgram::AddressInfo nodeAddress;
  nodeAddress.address = "198.18.0.2";
  nodeAddress.family = dgram::Family::IPv4;
  nodeAddress.port = kNodePort;
  CHECK(describe(inbox.get("rx", "from-node")) ==
        describe("from-node", nodeAddress, 9));
  CHECK(node.finish() == 0);
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}

TEST_CASE(
    "Node interop: link-local unicast and ff12:: multicast with the "
    "zone in rinfo on both sides",
    "[ipv6][link-local][interop][node][netns]") {
  NETNS_OR_SKIP();
  NODE_OR_SKIP();
  Lab lab;
  lab.attach("ours", 0, "lan0", 1);
  lab.attach("node", 0, "lan0", 2);
  NsLoop ours(lab.host("ours"));
  Inbox inbox;

  // Node binds its link-local address with the zone, joins ff12::1:7 on
  // that interface and echoes every datagram to its rinfo.
  NodePeer node(lab.host("node"),
                "{\"type\":\"udp6\",\"port\":" + std::to_string(kNodePort) +
                    ",\"address\":\"::\",\"join\":[\"ff12::1:7\","
                    "\"::%lan0\"],\"echo\":true}");
  REQUIRE(node.expect("listening ") ==
          "listening address=:: family=IPv6 port=" + std::to_string(kNodePort));

  auto* socket = ours.open(inbox, "ours", dgram::Type::udp6);
  auto local = ours.bind(socket, 0, "fe80::1%lan0");
  REQUIRE(local.address == "fe80::1%lan0");

  // Unicast to Node's link-local address: Node sees our address() as its
  // rinfo, and its echo (sent to that rinfo) comes back with its zone.
  REQUIRE(ours.send(socket, "ping", kNodePort, "fe80::2%lan0").empty());
  CHECK(node.expect("message ") == describe("ping", local, 4));
  REQUIRE(inbox.waitFor("ours", "echo:ping"));
  dgram::AddressInfo nodeAddress;
  nodeAddress.address = "fe80::2%lan0";
  nodeAddress.family = dgram::Family::IPv6;
  nodeAddress.port = kNodePort;
  CHECK(describe(inbox.get("ours", "echo:ping")) ==
        describe("echo:ping", nodeAddress, 9));

  // Multicast to the group, the interface named by the zone.
  REQUIRE(ours.send(socket, "group", kNodePort, "ff12::1:7%lan0").empty());
  CHECK(node.expect("message ") == describe("group", local, 5));
  REQUIRE(inbox.waitFor("ours", "echo:group"));
  CHECK(describe(inbox.get("ours", "echo:group")) ==
        describe("echo:group", nodeAddress, 10));

  // Node sends to our zoned address by itself.
  node.send("hello", local.port, "fe80::1%lan0");
  REQUIRE(inbox.waitFor("ours", "hello"));
  CHECK(describe(inbox.get("ours", "hello")) ==
        describe("hello", nodeAddress, 5));
  CHECK(node.finish() == 0);
  INFO(inbox.dump());
  CHECK(inbox.events().empty());
}
