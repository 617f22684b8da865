// Windows' UDP offloads (issue 23 item 2), opt-in as on Linux:
// SocketOptions::gso uses USO (one WSASendMsg carries a run of equal
// datagrams and a UDP_SEND_MSG_SIZE control message; probed when the
// socket opens, off for good when a segmented send is refused with
// WSAEINVAL), SocketOptions::gro uses URO (UDP_RECV_MAX_COALESCED_SIZE;
// a buffer is split at the size its UDP_COALESCED_INFO says).
//
// Wine refuses both options, so past "refused: inactive, datagrams flow"
// these tests go through the fault seam: it makes the probe or the option
// succeed, and adds the UDP_COALESCED_INFO control message a coalescing
// kernel would have written. Wine also ignores the control messages of
// WSASendMsg: a USO send arrives there as one datagram holding the run,
// which is the very buffer a coalescing receiver gets. What these tests
// show is the library's logic; docs/windows.md lists what only a real
// Windows stack can show.
#include "support/catch.hpp"

#ifdef _WIN32

#include <winsock2.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/fault_injection.hpp"
#include "support/fault_scope.hpp"
#include "support/socket_helpers.hpp"

#ifdef DGRAM_FAULT_INJECTION

namespace fault = dgram::detail::fault;

namespace {

using namespace std::chrono_literals;

dgram::SocketOptions withOffloads(bool gso, bool gro) {
  dgram::SocketOptions options;
  options.gso = gso;
  options.gro = gro;
  return options;
}

// The next socket opened with gso gets a successful USO probe.
void pretendSegmenting() {
  fault::failNth(fault::Call::offloadProbe, 1, fault::kSucceed);
}
// The next socket opened with gro gets URO turned on.
void pretendCoalescing() {
  fault::failNth(fault::Call::coalesceOption, 1, fault::kSucceed);
}
// Every datagram read by a socket with URO on comes with a
// UDP_COALESCED_INFO of `segment` bytes.
void coalesceAt(int segment) {
  fault::failNth(fault::Call::coalescedInfo, 1, segment, 100000);
}

// `count` payloads of `size` bytes, numbered in their first bytes.
std::vector<std::string> payloads(int count, std::size_t size, char fill) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string text = std::to_string(i) + ":";
    text.resize(size, fill);
    out.push_back(text);
  }
  return out;
}

using Sink = test::Collector;

// Sends each payload to the matching port from one timer (one loop
// turn); returns each callback's error once all ran.
std::vector<std::optional<dgram::Error>> sendInOneTurn(
    dgram::Loop& loop, dgram::Socket& sender,
    const std::vector<std::string>& messages, const std::vector<int>& ports) {
  std::vector<std::optional<dgram::Error>> results;
  loop.setTimeout(0ms, [&] {
    for (std::size_t i = 0; i < messages.size(); ++i)
      sender.send(messages[i], ports[i], "127.0.0.1",
                  [&results](const std::optional<dgram::Error>& err,
                             std::size_t) { results.push_back(err); });
  });
  REQUIRE(
      test::runUntil(loop, [&] { return results.size() == messages.size(); }));
  return results;
}

long sendCalls() {
  return fault::calls(fault::Call::sendmsg);
}

}  // namespace

TEST_CASE(
    "uso/uro: refused by the system, reported inactive, and datagrams "
    "flow one by one",
    "[offload][win32]") {
  test::FaultScope scope;
  for (bool throughSeam : {false, true}) {
    DYNAMIC_SECTION((throughSeam ? "refused through the seam" : "as is")) {
      dgram::Loop loop;
      if (throughSeam) {
        // What wine answers, and Windows without USO/URO.
        fault::failNth(fault::Call::offloadProbe, 1, WSAEINVAL);
        fault::failNth(fault::Call::coalesceOption, 1, WSAEINVAL);
      }
      Sink sink(loop, withOffloads(false, true));
      auto sender = test::boundSocket(loop, withOffloads(true, false));
      if (throughSeam || test::underWine()) {
        CHECK_FALSE(sender->kernelFeatures().gso);
        CHECK_FALSE(sink.socket->kernelFeatures().gro);
      }
      if (sender->kernelFeatures().gso) {
        WARN("this system has USO: the refusal is shown through the seam");
      } else {
        long before = sendCalls();
        auto messages = payloads(5, 60, 'p');
        auto results =
            sendInOneTurn(loop, *sender, messages,
                          std::vector<int>(messages.size(), sink.port));
        for (const auto& result : results)
          CHECK_FALSE(result);
        CHECK(sendCalls() - before == 5);
        REQUIRE(test::runUntil(
            loop, [&] { return sink.received.size() == messages.size(); }));
        CHECK(sink.received == messages);
      }
      sender->close();
      sink.socket->close();
      CHECK(test::runUntilIdle(loop));
    }
  }
}

TEST_CASE(
    "uso: where the system has it, a run of equal sends leaves in one "
    "WSASendMsg and arrives as the datagrams sent",
    "[offload][win32]") {
  // No seam: the system's own answer (real Windows; wine refuses USO).
  test::FaultScope scope;
  dgram::Loop loop;
  Sink sink(loop, withOffloads(false, false));
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  if (!sender->kernelFeatures().gso) {
    WARN("SKIPPED: no USO on this system (wine refuses UDP_SEND_MSG_SIZE)");
  } else {
    auto messages = payloads(10, 100, 's');
    messages.push_back("short last");
    long before = sendCalls();
    auto results = sendInOneTurn(loop, *sender, messages,
                                 std::vector<int>(messages.size(), sink.port));
    CHECK(sendCalls() - before == 1);
    for (const auto& result : results)
      CHECK_FALSE(result);
    REQUIRE(test::runUntil(
        loop, [&] { return sink.received.size() == messages.size(); }));
    CHECK(sink.received == messages);
    CHECK(sender->kernelFeatures().gso);
  }
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "uso: a run of equal sends of one turn leaves in one WSASendMsg, "
    "and a URO receiver splits it into the datagrams sent",
    "[offload][win32][fault]") {
  test::FaultScope scope;
  dgram::Loop loop;
  pretendCoalescing();
  Sink sink(loop, withOffloads(false, true));
  pretendSegmenting();
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  REQUIRE(sender->kernelFeatures().gso);
  REQUIRE(sink.socket->kernelFeatures().gro);
  auto messages = payloads(6, 100, 'u');
  messages.push_back("7: shorter last");  // a run's last may be shorter
  coalesceAt(100);
  long before = sendCalls();
  auto results = sendInOneTurn(loop, *sender, messages,
                               std::vector<int>(messages.size(), sink.port));
  CHECK(sendCalls() - before == 1);
  for (const auto& result : results)
    CHECK_FALSE(result);
  REQUIRE(test::runUntil(
      loop, [&] { return sink.received.size() == messages.size(); }));
  CHECK(sink.received == messages);
  for (int port : sink.ports)
    CHECK(port == sender->address().port);
  CHECK(sender->kernelFeatures().gso);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("uso: another destination ends a run, and order is kept",
          "[offload][win32][fault]") {
  test::FaultScope scope;
  dgram::Loop loop;
  pretendCoalescing();
  Sink a(loop, withOffloads(false, true));
  pretendCoalescing();
  Sink b(loop, withOffloads(false, true));
  pretendSegmenting();
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  REQUIRE(sender->kernelFeatures().gso);
  coalesceAt(4);
  // Runs: a0 a1 | b0 | a2 a3 a4 | b1
  std::vector<std::string> messages = {"a0..", "a1..", "b0..", "a2..",
                                       "a3..", "a4..", "b1.."};
  std::vector<int> ports = {a.port, a.port, b.port, a.port,
                            a.port, a.port, b.port};
  long before = sendCalls();
  auto results = sendInOneTurn(loop, *sender, messages, ports);
  CHECK(sendCalls() - before == 4);
  for (const auto& result : results)
    CHECK_FALSE(result);
  REQUIRE(test::runUntil(
      loop, [&] { return a.received.size() == 5 && b.received.size() == 2; }));
  CHECK(a.received ==
        std::vector<std::string>{"a0..", "a1..", "a2..", "a3..", "a4.."});
  CHECK(b.received == std::vector<std::string>{"b0..", "b1.."});
  sender->close();
  a.socket->close();
  b.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "uso: sends a turn collected still leave when the socket closes in "
    "that turn, in order",
    "[offload][win32][fault]") {
  test::FaultScope scope;
  dgram::Loop loop;
  Sink sink(loop, withOffloads(false, false));
  pretendSegmenting();
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  REQUIRE(sender->kernelFeatures().gso);
  auto messages = payloads(3, 30, 'k');
  std::vector<std::optional<dgram::Error>> results;
  loop.setTimeout(0ms, [&] {
    for (const auto& m : messages)
      sender->send(m, sink.port, "127.0.0.1",
                   [&results](const std::optional<dgram::Error>& err,
                              std::size_t) { results.push_back(err); });
    sender->close();
  });
  REQUIRE(test::runUntil(loop, [&] {
    return results.size() == messages.size() &&
           sink.received.size() == messages.size();
  }));
  for (const auto& result : results)
    CHECK_FALSE(result);
  CHECK(sink.received == messages);
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "uso: a segmented send refused with WSAEINVAL turns USO off, and "
    "the run goes again one by one: nothing lost, nothing doubled",
    "[offload][win32][fault]") {
  test::FaultScope scope;
  dgram::Loop loop;
  Sink sink(loop, withOffloads(false, false));
  pretendSegmenting();
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  REQUIRE(sender->kernelFeatures().gso);
  auto messages = payloads(5, 80, 'r');
  fault::failNth(fault::Call::sendmsg, 1, WSAEINVAL);
  long before = sendCalls();
  auto results = sendInOneTurn(loop, *sender, messages,
                               std::vector<int>(messages.size(), sink.port));
  for (const auto& result : results)
    CHECK_FALSE(result);
  CHECK(sendCalls() - before == 1 + 5);  // the refused one, then each
  CHECK_FALSE(sender->kernelFeatures().gso);
  REQUIRE(test::runUntil(
      loop, [&] { return sink.received.size() == messages.size(); }));
  CHECK(sink.received == messages);
  // Later runs go one by one from the start.
  before = sendCalls();
  auto again =
      sendInOneTurn(loop, *sender, {"after", "after"}, {sink.port, sink.port});
  CHECK(sendCalls() - before == 2);
  for (const auto& result : again)
    CHECK_FALSE(result);
  REQUIRE(test::runUntil(loop, [&] { return sink.received.size() == 7; }));
  test::settle(loop, 50ms);
  CHECK(sink.received.size() == 7);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "uso: an error that is not a refusal fails each send of the run, "
    "and USO stays on",
    "[offload][win32][fault]") {
  test::FaultScope scope;
  dgram::Loop loop;
  Sink sink(loop, withOffloads(false, false));
  pretendSegmenting();
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  REQUIRE(sender->kernelFeatures().gso);
  auto messages = payloads(3, 40, 'e');
  fault::failNth(fault::Call::sendmsg, 1, WSAENETUNREACH);
  auto results = sendInOneTurn(loop, *sender, messages,
                               std::vector<int>(messages.size(), sink.port));
  REQUIRE(results.size() == 3);
  for (const auto& result : results) {
    REQUIRE(result);
    CHECK(result->code() == "ENETUNREACH");
    CHECK(result->syscall() == "send");
  }
  CHECK(sender->kernelFeatures().gso);
  CHECK(sender->getSendQueueCount() == 0);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("uso: a run that meets WSAENOBUFS is sent again whole after a pause",
          "[offload][win32][fault]") {
  test::FaultScope scope;
  dgram::Loop loop;
  pretendCoalescing();
  Sink sink(loop, withOffloads(false, true));
  pretendSegmenting();
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  REQUIRE(sender->kernelFeatures().gso);
  coalesceAt(50);
  auto messages = payloads(4, 50, 'w');
  fault::failNth(fault::Call::sendmsg, 1, WSAENOBUFS);
  long before = sendCalls();
  auto results = sendInOneTurn(loop, *sender, messages,
                               std::vector<int>(messages.size(), sink.port));
  CHECK(sendCalls() - before == 2);  // no buffers, then the same run
  for (const auto& result : results)
    CHECK_FALSE(result);
  REQUIRE(test::runUntil(
      loop, [&] { return sink.received.size() == messages.size(); }));
  CHECK(sink.received == messages);
  CHECK(sender->kernelFeatures().gso);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "uro: a coalesced buffer is split at UDP_COALESCED_INFO, each piece "
    "with the sender and metadata, and a listener that throws loses none",
    "[offload][win32][fault]") {
  test::FaultScope scope;
  dgram::Loop loop;
  pretendCoalescing();
  dgram::SocketOptions options = withOffloads(false, true);
  options.recvPktInfo = true;
  std::vector<std::string> received;
  std::vector<dgram::RemoteInfo> infos;
  int thrown = 0;
  auto sink = test::boundSocket(
      loop, options, [&](dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
        received.push_back(msg.str());
        infos.push_back(rinfo);
        if (received.size() == 2) {
          ++thrown;
          throw std::runtime_error("listener");
        }
      });
  REQUIRE(sink->kernelFeatures().gro);
  auto sender = test::boundSocket(loop);
  // One datagram that a coalescing kernel would hand over with a
  // segment size of 50: three of 50 bytes and a last one of 20.
  auto pieces = payloads(3, 50, 'c');
  pieces.push_back("3:shorter-last-piece");
  std::string buffer;
  for (const auto& piece : pieces)
    buffer += piece;
  coalesceAt(50);
  sender->send(buffer, sink->address().port, "127.0.0.1");
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (received.size() < pieces.size() &&
         std::chrono::steady_clock::now() < deadline) {
    try {
      loop.runOnce(10ms);
    } catch (const std::runtime_error&) {
    }
  }
  CHECK(thrown == 1);
  CHECK(received == pieces);
  for (const auto& rinfo : infos) {
    CHECK(rinfo.port == sender->address().port);
    CHECK(rinfo.address == "127.0.0.1");
    if (sink->kernelFeatures().recvPktInfo)
      CHECK(rinfo.localAddress == "127.0.0.1");
  }
  sender->close();
  sink->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "uro: a buffer without UDP_COALESCED_INFO, or with a size not below "
    "its length, is one datagram",
    "[offload][win32][fault]") {
  test::FaultScope scope;
  dgram::Loop loop;
  pretendCoalescing();
  Sink sink(loop, withOffloads(false, true));
  REQUIRE(sink.socket->kernelFeatures().gro);
  auto sender = test::boundSocket(loop);
  std::string whole(120, 'w');
  sender->send(whole, sink.port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return sink.received.size() == 1; }));
  coalesceAt(500);
  sender->send(whole, sink.port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return sink.received.size() == 2; }));
  test::settle(loop, 50ms);
  CHECK(sink.received == std::vector<std::string>{whole, whole});
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

#endif  // DGRAM_FAULT_INJECTION

#endif  // _WIN32
