// How many datagrams a socket asks for per read (posix/receive_pace.hpp):
// one at a time once its reads keep finding one (a ping-pong), a batch
// again within a bounded number of reads once datagrams queue up (a
// flood). Counted in read system calls (the fault seam counts them).
#include "support/catch.hpp"

#include <cerrno>
#include <string>
#include <vector>

#include "common/fault_injection.hpp"
#include "support/fault_scope.hpp"
#include "support/socket_helpers.hpp"

#if defined(DGRAM_FAULT_INJECTION) && !defined(_WIN32)

#include <memory>

#include "posix/receive_pace.hpp"

namespace {

// A pong that a ping-pong makes read singly (kSinglesToSwitch + 1 round
// trips; its next probe is then kProbeEvery - 1 reads away, more than a
// test here makes). It echoes what it reads while `echo` is set, then
// keeps the texts; its 'error's are kept as "CODE syscall".
struct SingleReadingPong {
  static constexpr int kRoundTrips =
      static_cast<int>(dgram::detail::receive_pace::kSinglesToSwitch) + 1;

  explicit SingleReadingPong(dgram::Loop& loop)
      : pong(test::boundSocket(loop)),
        ping(test::boundSocket(loop)),
        pongPort(pong->address().port) {
    pong->on(dgram::message,
             [this](dgram::Bytes msg, const dgram::RemoteInfo& r) {
               if (echo)
                 pong->send(msg, r.port, r.address);
               else
                 texts.push_back(msg.str());
             });
    pong->on(dgram::error, [this](const dgram::Error& e) {
      errors.push_back(e.code() + " " + e.syscall());
    });
    ping->on(dgram::message, [this](dgram::Bytes, const dgram::RemoteInfo&) {
      if (++trips < kRoundTrips) send("p");
    });
  }
  SingleReadingPong(const SingleReadingPong&) = delete;
  SingleReadingPong& operator=(const SingleReadingPong&) = delete;

  /// Plays the ping-pong; the pong then keeps what it reads.
  bool pingPong(dgram::Loop& loop) {
    send("p");
    bool played = test::runUntil(loop, [&] { return trips == kRoundTrips; });
    echo = false;
    return played;
  }
  /// A datagram from the ping to the pong.
  void send(const char* text) { ping->send(text, pongPort, "127.0.0.1"); }
  void closeBoth() {
    ping->close();
    pong->close();
  }

  std::shared_ptr<dgram::Socket> pong;
  std::shared_ptr<dgram::Socket> ping;
  int pongPort;
  bool echo = true;
  int trips = 0;
  std::vector<std::string> texts;
  std::vector<std::string> errors;
};

}  // namespace

#endif  // DGRAM_FAULT_INJECTION && !_WIN32

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

TEST_CASE(
    "a single read interrupted by a signal is retried, and one that "
    "fails is reported once",
    "[receive][fault]") {
  // Single reads are their own system call (recvfrom): its EINTR retry
  // and its error report are the batch read's.
  test::FaultScope scope;
  dgram::Loop loop;
  SingleReadingPong pair(loop);
  auto& texts = pair.texts;
  auto& errors = pair.errors;
  REQUIRE(pair.pingPong(loop));
  // The pong reads singly now (its next probe is kProbeEvery - 1 reads
  // away): three interruptions, then the read.
  fault::failNth(fault::Call::recvmmsg, 1, EINTR, 3);
  long before = fault::calls(fault::Call::recvmmsg);
  pair.send("one");
  REQUIRE(test::runUntil(loop, [&] { return texts.size() == 1; }));
  CHECK(fault::calls(fault::Call::recvmmsg) - before == 4);
  CHECK(errors.empty());
  // A failure: one 'error' (syscall recvmsg, as Node names it), and the
  // datagram is read at the next readiness.
  fault::failNth(fault::Call::recvmmsg, 1, ENOMEM);
  pair.send("two");
  REQUIRE(test::runUntil(loop,
                         [&] { return texts.size() == 2 && !errors.empty(); }));
  CHECK(errors == std::vector<std::string>{"ENOMEM recvmsg"});
  CHECK(texts == std::vector<std::string>{"one", "two"});
  pair.closeBoth();
  CHECK(test::runUntilIdle(loop));
}

#endif  // DGRAM_FAULT_INJECTION && DGRAM_HAVE_RECVMMSG

// The latency mode's spin reads the socket that was readable last
// directly, between its waits (Poller::spinPoll): a POSIX socket that
// reads singly reads one datagram there too, one read per poll whether it
// finds one or not, with or without recvmmsg.
#if defined(DGRAM_FAULT_INJECTION) && !defined(_WIN32)

#include "common/loop_core.hpp"
#include "posix/poller.hpp"
#include "posix/receive_pace.hpp"

TEST_CASE(
    "the spin reads a socket that reads singly with one read per poll, "
    "and says whether it dispatched",
    "[receive][latency][fault]") {
  namespace fault = dgram::detail::fault;
  test::FaultScope scope;
  dgram::Loop loop;
  auto& poller = static_cast<dgram::detail::Poller&>(coreOf(loop).backend());
  SingleReadingPong pair(loop);
  auto& texts = pair.texts;
  auto& errors = pair.errors;
  REQUIRE(pair.pingPong(loop));
  // A datagram through the loop: the pong was readable last, so the
  // spin's polls read it.
  pair.send("hot");
  REQUIRE(test::runUntil(loop, [&] { return texts.size() == 1; }));
  REQUIRE(poller.spinTarget() != nullptr);

  // A datagram waiting (a send outside the loop leaves at once): one read
  // delivers it, and the poll says it dispatched, which ends a spin.
  pair.send("spun");
  long before = fault::calls(fault::Call::recvmmsg);
  CHECK(poller.spinPoll(1));
  CHECK(fault::calls(fault::Call::recvmmsg) - before == 1);
  CHECK(texts == std::vector<std::string>{"hot", "spun"});
  // Nothing waiting: one read, which finds nothing.
  before = fault::calls(fault::Call::recvmmsg);
  CHECK_FALSE(poller.spinPoll(1));
  CHECK(fault::calls(fault::Call::recvmmsg) - before == 1);
  // A read that fails dispatches its 'error' (on a turn of its own, as
  // every platform error): the poll says so too.
  fault::failNth(fault::Call::recvmmsg, 1, ENOMEM);
  before = fault::calls(fault::Call::recvmmsg);
  CHECK(poller.spinPoll(1));
  CHECK(fault::calls(fault::Call::recvmmsg) - before == 1);
  REQUIRE(test::runUntil(loop, [&] { return !errors.empty(); }));
  CHECK(errors == std::vector<std::string>{"ENOMEM recvmsg"});
  CHECK(texts.size() == 2);
  pair.closeBoth();
  CHECK(test::runUntilIdle(loop));
}

#endif  // DGRAM_FAULT_INJECTION && !_WIN32
