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

TEST_CASE(
    "an IPv4 and an IPv6 socket of one loop, reading in batches after each "
    "other, each describe every sender in full",
    "[receive][rinfo][ipv6]") {
  // Both read through the loop's one set of batch headers
  // (posix/receive_headers.hpp), in which the kernel leaves each
  // message's address length at its family's size. The IPv6 socket's
  // senders alternate between ::1 and an IPv4-mapped address, which
  // differ in the bytes an IPv4 length would cut off.
  if (!test::haveIPv6()) {
    WARN("SKIPPED: no IPv6 loopback");
    return;
  }
  dgram::Loop loop;
  test::Recorder v4(loop, dgram::SocketOptions{});
  dgram::SocketOptions options6;
  options6.type = dgram::Type::udp6;
  test::Recorder v6(loop, options6, "::");
  auto from4 = boundOn(loop, "127.0.0.1");
  auto sender6 = test::makeSocket(loop, dgram::Type::udp6);
  test::bindAndWait(loop, *sender6, "::1");
  // Who reads next, how many in one batch (two or more: each socket
  // keeps reading batches) and, for the IPv6 socket, whether from the
  // IPv4-mapped sender. A short read after a long one of the same family
  // leaves the long one's messages to be set back, too.
  struct Round {
    test::Recorder* to;
    int count;
    bool mapped;
  };
  const std::vector<Round> rounds = {
      {&v4, 6, false}, {&v4, 2, false}, {&v6, 6, true},  {&v6, 2, false},
      {&v4, 2, false}, {&v6, 2, true},  {&v4, 2, false}, {&v6, 6, false}};
  std::size_t sent4 = 0;
  std::size_t sent6 = 0;
  for (const Round& round : rounds) {
    test::Recorder& to = *round.to;
    const std::size_t before = to.arrived.size();
    for (int i = 0; i < round.count; ++i) {
      if (&to == &v4)
        from4->send("4", v4.port, "127.0.0.1");
      else if (round.mapped)
        from4->send("m", v6.port, "127.0.0.1");
      else
        sender6->send("6", v6.port, "::1");
    }
    (&to == &v4 ? sent4 : sent6) += static_cast<std::size_t>(round.count);
    REQUIRE(test::runUntil(loop, [&] {
      return to.arrived.size() ==
             before + static_cast<std::size_t>(round.count);
    }));
  }
  REQUIRE(v4.arrived.size() == sent4);
  for (const test::Arrived& got : v4.arrived) {
    CHECK(got.rinfo.family == dgram::Family::IPv4);
    CHECK(got.rinfo.address == "127.0.0.1");
    CHECK(got.rinfo.port == from4->address().port);
  }
  REQUIRE(v6.arrived.size() == sent6);
  for (const test::Arrived& got : v6.arrived) {
    INFO(got.data);
    CHECK(got.rinfo.family == dgram::Family::IPv6);
    if (got.data == "m") {
      CHECK(got.rinfo.address == "::ffff:127.0.0.1");
      CHECK(got.rinfo.port == from4->address().port);
    } else {
      CHECK(got.rinfo.address == "::1");
      CHECK(got.rinfo.port == sender6->address().port);
    }
  }
  v4.socket->close();
  v6.socket->close();
  from4->close();
  sender6->close();
  CHECK(test::runUntilIdle(loop));
}
