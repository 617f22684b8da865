// How many datagrams a socket asks for per read (posix/receive_pace.hpp):
// one at a time once its reads keep finding one (a ping-pong), a batch
// again within a bounded number of reads once datagrams queue up (a
// flood). Counted in read system calls (the fault seam counts them).
#include "support/catch.hpp"

#include <string>
#include <vector>

#include "common/fault_injection.hpp"
#include "support/fault_scope.hpp"
#include "support/socket_helpers.hpp"

// The counts below are recvmmsg calls (a batch per call); without
// recvmmsg, send_batching.cpp's "after a ping-pong a burst is still read
// in batches" checks the same rule in recvmsg calls.
#if defined(DGRAM_FAULT_INJECTION) && defined(DGRAM_HAVE_RECVMMSG)

#include "posix/receive_pace.hpp"

namespace fault = dgram::detail::fault;
namespace pace = dgram::detail::receive_pace;

namespace {

// Sends `count` datagrams to `port` outside the loop: each leaves at once
// (a send outside a loop turn is not batched), so all of them wait in the
// receiver's kernel queue before its next read. 100 small datagrams fit
// in the smallest default receive buffer.
void sendBurst(dgram::Socket& sender, int port, int count) {
  for (int i = 0; i < count; ++i)
    sender.send(std::to_string(i), port, "127.0.0.1");
}

}  // namespace

TEST_CASE(
    "after a ping-pong a socket reads singly, and a backlog brings "
    "batches back within a bounded number of reads",
    "[receive][performance]") {
  test::FaultScope scope;
  dgram::Loop loop;
  // kSinglesToSwitch reads that find one datagram switch the pong to
  // single reads; the round trip after them is its first single read, so
  // its next probe is kProbeEvery - 1 reads away.
  constexpr int kRoundTrips = pace::kSinglesToSwitch + 1;
  constexpr int kBurst = 100;
  int received = 0;
  bool echo = true;
  std::vector<std::string> texts;
  std::vector<int> ports;
  auto pong = test::boundSocket(loop);
  pong->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
    ++received;
    if (echo) {
      pong->send(msg, r.port, r.address);
      return;
    }
    texts.push_back(msg.size() < 16 ? msg.str() : std::to_string(msg.size()));
    ports.push_back(r.port);
  });
  auto ping = test::boundSocket(loop);
  int trips = 0;
  const int pongPort = pong->address().port;
  ping->on(dgram::message, [&](dgram::Bytes, const dgram::RemoteInfo&) {
    if (++trips < kRoundTrips) ping->send("p", pongPort, "127.0.0.1");
  });
  ping->send("p", pongPort, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return trips == kRoundTrips; }));
  echo = false;

  // Every read of the ping-pong found one datagram: the socket now reads
  // one at a time, and a backlog waits for the next probe.
  received = 0;
  long before = fault::calls(fault::Call::recvmmsg);
  sendBurst(*ping, pongPort, kBurst);
  REQUIRE(test::runUntil(loop, [&] { return received == kBurst; }));
  long reads = fault::calls(fault::Call::recvmmsg) - before;
  INFO("backlog after the ping-pong: " << kBurst << " datagrams in " << reads
                                       << " reads");
  // kProbeEvery - 1 single reads, the probe's batch of 64, the rest.
  CHECK(reads == static_cast<long>(pace::kProbeEvery) + 1);
  // Single reads and batches alike deliver every datagram, in order, with
  // its sender.
  std::vector<std::string> expected;
  for (int i = 0; i < kBurst; ++i)
    expected.push_back(std::to_string(i));
  CHECK(texts == expected);
  CHECK(ports == std::vector<int>(kBurst, ping->address().port));

  // The probe found many: batches again, 64 datagrams and the rest.
  received = 0;
  before = fault::calls(fault::Call::recvmmsg);
  sendBurst(*ping, pongPort, kBurst);
  REQUIRE(test::runUntil(loop, [&] { return received == kBurst; }));
  reads = fault::calls(fault::Call::recvmmsg) - before;
  INFO("second backlog: " << kBurst << " datagrams in " << reads << " reads");
  CHECK(reads == 2);

  // Back to single reads (a ping-pong again): the largest IPv4 datagram
  // fills all but one byte of a single read's buffer and arrives whole,
  // not as a cut one (an 'error').
  echo = true;
  trips = 0;
  ping->send("p", pongPort, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return trips == kRoundTrips; }));
  echo = false;
  texts.clear();
  ports.clear();
  bool failed = false;
  pong->on(dgram::error, [&](const dgram::Error&) { failed = true; });
  constexpr std::size_t kLargest = 65507;
  before = fault::calls(fault::Call::recvmmsg);
  ping->send(std::string(kLargest, 'x'), pongPort, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return !texts.empty() || failed; }));
  CHECK(fault::calls(fault::Call::recvmmsg) - before == 1);
  CHECK_FALSE(failed);
  CHECK(texts == std::vector<std::string>{std::to_string(kLargest)});
  CHECK(ports == std::vector<int>{ping->address().port});
  ping->close();
  pong->close();
  CHECK(test::runUntilIdle(loop));
}

#endif  // DGRAM_FAULT_INJECTION && DGRAM_HAVE_RECVMMSG
