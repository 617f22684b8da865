// The RemoteInfo a 'message' listener gets is the loop's, kept from one
// datagram to the next: a datagram from the sender described last changes
// only its size (posix: the sender's key, Arrival::senderKey). These tests
// change what is to be described under it: other senders and ports,
// another socket of the loop with metadata, a socket with rare state, a
// batch and single reads.
#include "support/catch.hpp"

#include <memory>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

std::shared_ptr<dgram::Socket> boundOn(dgram::Loop& loop,
                                       const std::string& address) {
  auto socket = test::makeSocket(loop);
  test::bindAndWait(loop, *socket, address);
  return socket;
}

// Each payload names its sender ("<index>:<padding>", of varying length):
// every datagram's description must be its own sender's and size.
void checkDescribed(const std::vector<test::Arrived>& seen,
                    const std::vector<std::shared_ptr<dgram::Socket>>& from) {
  for (const test::Arrived& got : seen) {
    INFO(got.data);
    const std::size_t index = std::stoul(got.data.substr(0, 1));
    REQUIRE(index < from.size());
    const dgram::AddressInfo sender = from[index]->address();
    CHECK(got.rinfo.address == sender.address);
    CHECK(got.rinfo.port == sender.port);
    CHECK(got.rinfo.family == dgram::Family::IPv4);
    CHECK(got.rinfo.size == got.data.size());
    CHECK(got.rinfo.localAddress.empty());
    CHECK(got.rinfo.tos == -1);
  }
}

}  // namespace

TEST_CASE(
    "each datagram is described by its own sender as senders and ports "
    "alternate, in batches and in single reads",
    "[receive][rinfo]") {
  dgram::Loop loop;
  test::Recorder receiver(loop, dgram::SocketOptions{});
  // Two ports of one address, and another address where the system has
  // all of 127/8 on loopback (macOS has 127.0.0.1 alone; under wine a
  // socket bound to 127.0.0.2 sends from 127.0.0.1): there, a third port.
#ifdef __linux__
  const char* const other = "127.0.0.2";
#else
  const char* const other = "127.0.0.1";
#endif
  std::vector<std::shared_ptr<dgram::Socket>> from = {
      boundOn(loop, "127.0.0.1"), boundOn(loop, "127.0.0.1"),
      boundOn(loop, other)};
  const std::vector<int> order = {0, 0, 1, 1, 0, 2, 2, 0, 1, 2, 0, 0};
  auto payload = [](int index, std::size_t i) {
    return std::to_string(index) + ":" + std::string(i % 7, 'x');
  };

  SECTION("sent together, read in batches") {
    for (std::size_t i = 0; i < order.size(); ++i)
      from[order[i]]->send(payload(order[i], i), receiver.port, "127.0.0.1");
    REQUIRE(test::runUntil(
        loop, [&] { return receiver.arrived.size() == order.size(); }));
  }
  SECTION("one at a time, read singly") {
    // One datagram per turn: after a few the socket reads one at a time
    // (posix/receive_pace.hpp), each through its own short path.
    for (int round = 0; round < 3; ++round) {
      for (std::size_t i = 0; i < order.size(); ++i) {
        const std::size_t before = receiver.arrived.size();
        from[order[i]]->send(payload(order[i], i), receiver.port, "127.0.0.1");
        REQUIRE(test::runUntil(
            loop, [&] { return receiver.arrived.size() == before + 1; }));
        CHECK(receiver.arrived.back().data == payload(order[i], i));
      }
    }
  }
  checkDescribed(receiver.arrived, from);
  receiver.socket->close();
  for (auto& socket : from)
    socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "a socket with rare state (a receive buffer size) reads a batch of "
    "alternating senders, each datagram described by its own",
    "[receive][rinfo]") {
  // Its runs from one sender go the usual socket's way while no datagram
  // is held (SocketEvents::onDatagramsFromLast).
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.recvBufferSize = 1 << 18;
  test::Recorder receiver(loop, options);
  std::vector<std::shared_ptr<dgram::Socket>> from = {
      boundOn(loop, "127.0.0.1"), boundOn(loop, "127.0.0.1")};
  const std::vector<int> order = {0, 0, 0, 1, 1, 0, 1, 0, 0, 1};
  for (std::size_t i = 0; i < order.size(); ++i)
    from[order[i]]->send(std::to_string(order[i]) + ":" + std::string(i, 'z'),
                         receiver.port, "127.0.0.1");
  REQUIRE(test::runUntil(
      loop, [&] { return receiver.arrived.size() == order.size(); }));
  checkDescribed(receiver.arrived, from);
  for (std::size_t i = 0; i < order.size(); ++i)
    CHECK(receiver.arrived[i].data ==
          std::to_string(order[i]) + ":" + std::string(i, 'z'));
  receiver.socket->close();
  for (auto& socket : from)
    socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "a datagram with metadata on another socket between two of one sender "
    "leaves none in the plain socket's description",
    "[receive][rinfo][metadata]") {
  dgram::Loop loop;
  test::Recorder plain(loop, dgram::SocketOptions{});
  dgram::SocketOptions options;
  options.recvPktInfo = true;
  test::Recorder withMetadata(loop, options);
  if (!withMetadata.socket->kernelFeatures().recvPktInfo) {
    WARN("SKIPPED: no IP_PKTINFO on this platform");
  } else {
    auto sender = boundOn(loop, "127.0.0.1");
    // The sender's datagrams to both, one per turn, alternating.
    for (int i = 0; i < 6; ++i) {
      test::Recorder& to = i % 2 ? withMetadata : plain;
      const std::size_t before = to.arrived.size();
      sender->send("0:" + std::to_string(i), to.port, "127.0.0.1");
      REQUIRE(test::runUntil(loop,
                             [&] { return to.arrived.size() == before + 1; }));
    }
    REQUIRE(plain.arrived.size() == 3);
    checkDescribed(plain.arrived, {sender});
    REQUIRE(withMetadata.arrived.size() == 3);
    for (const test::Arrived& got : withMetadata.arrived) {
      CHECK(got.rinfo.localAddress == "127.0.0.1");
      CHECK(got.rinfo.port == sender->address().port);
    }
    sender->close();
  }
  plain.socket->close();
  withMetadata.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "a socket with rare state (connected, with a callback) is described the "
    "sender another socket of the loop just described",
    "[receive][rinfo]") {
  dgram::Loop loop;
  test::Recorder first(loop, dgram::SocketOptions{});
  test::Recorder connected(loop, dgram::SocketOptions{});
  auto sender = boundOn(loop, "127.0.0.1");
  bool isConnected = false;
  connected.socket->connect(sender->address().port, "127.0.0.1",
                            [&] { isConnected = true; });
  REQUIRE(test::runUntil(loop, [&] { return isConnected; }));
  for (int i = 0; i < 6; ++i) {
    test::Recorder& to = i % 2 ? connected : first;
    const std::size_t before = to.arrived.size();
    sender->send("0:" + std::string(static_cast<std::size_t>(i), 'y'), to.port,
                 "127.0.0.1");
    REQUIRE(
        test::runUntil(loop, [&] { return to.arrived.size() == before + 1; }));
  }
  checkDescribed(first.arrived, {sender});
  checkDescribed(connected.arrived, {sender});
  CHECK(connected.arrived.size() == 3);
  first.socket->close();
  connected.socket->close();
  sender->close();
  CHECK(test::runUntilIdle(loop));
}
