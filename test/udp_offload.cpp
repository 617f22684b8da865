// Kernel offloads, opt-in (SocketOptions::gso / gro): a run of equal sends
// leaves as one segmented send and arrives as the datagrams it was; a
// coalesced receive is delivered as the datagrams that were sent; a
// refused segmented send turns GSO off and sends each datagram once.
// Linux only: elsewhere the options are accepted and report inactive.
#include "support/catch.hpp"

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "common/fault_injection.hpp"
#include "support/fault_scope.hpp"
#include "support/netns.hpp"
#include "support/socket_helpers.hpp"

#if defined(DGRAM_FAULT_INJECTION) && !defined(_WIN32)

namespace fault = dgram::detail::fault;

namespace {

using namespace std::chrono_literals;

dgram::SocketOptions withOffloads(bool gso, bool gro) {
  dgram::SocketOptions options;
  options.gso = gso;
  options.gro = gro;
  return options;
}

// Whether this kernel segments sends; tests that need it say so when not.
bool kernelSegments(dgram::Socket& socket) {
  if (socket.kernelFeatures().gso) return true;
  WARN("SKIPPED: no UDP_SEGMENT on this platform or kernel");
  return false;
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

struct Sent {
  std::vector<std::optional<dgram::Error>> results;
};

// Sends each payload (to the matching port) from one timer, that is in
// one loop turn; returns when every callback ran.
Sent sendInOneTurn(dgram::Loop& loop, dgram::Socket& sender,
                   const std::vector<std::string>& messages,
                   const std::vector<int>& ports) {
  Sent sent;
  loop.setTimeout(0ms, [&] {
    for (std::size_t i = 0; i < messages.size(); ++i)
      sender.send(messages[i], ports[i], "127.0.0.1",
                  [&sent](const std::optional<dgram::Error>& err, std::size_t) {
                    sent.results.push_back(err);
                  });
  });
  REQUIRE(test::runUntil(
      loop, [&] { return sent.results.size() == messages.size(); }));
  return sent;
}

void checkNoErrors(const Sent& sent) {
  for (const auto& result : sent.results)
    CHECK_FALSE(result);
}

}  // namespace

TEST_CASE("offloads are off unless asked for", "[offload]") {
  dgram::Loop loop;
  auto plain = test::boundSocket(loop);
  CHECK_FALSE(plain->kernelFeatures().gso);
  CHECK_FALSE(plain->kernelFeatures().gro);
  auto unbound = test::makeSocket(loop, withOffloads(true, true));
  CHECK_FALSE(unbound->kernelFeatures().gso);  // nothing to offload before bind
  plain->close();
  unbound->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("gso: a run of equal sends leaves in one call, as its datagrams",
          "[offload][gso]") {
  test::FaultScope scope;
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  if (!kernelSegments(*sender)) return;
  auto messages = payloads(10, 100, 'g');
  messages.push_back("short last");  // the last of a run may be shorter
  long before = test::sendSyscalls();
  Sent sent = sendInOneTurn(loop, *sender, messages,
                            std::vector<int>(messages.size(), sink.port));
  CHECK(test::sendSyscalls() - before == 1);
  checkNoErrors(sent);
  REQUIRE(test::runUntil(
      loop, [&] { return sink.received.size() == messages.size(); }));
  CHECK(sink.received == messages);
  CHECK(sender->kernelFeatures().gso);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("gso: other destinations and sizes split runs, order is kept",
          "[offload][gso]") {
  test::FaultScope scope;
  dgram::Loop loop;
  test::Collector a(loop);
  test::Collector b(loop);
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  if (!kernelSegments(*sender)) return;
  // a a b a a(longer) a a, and a single datagram.
  std::vector<std::string> messages = {"a0..",   "a1..", "b0..", "a2..",
                                       "a3....", "a4..", "a5..", "x"};
  std::vector<int> ports = {a.port, a.port, b.port, a.port,
                            a.port, a.port, a.port, b.port};
  Sent sent = sendInOneTurn(loop, *sender, messages, ports);
  checkNoErrors(sent);
  REQUIRE(test::runUntil(
      loop, [&] { return a.received.size() == 6 && b.received.size() == 2; }));
  CHECK(a.received == std::vector<std::string>{"a0..", "a1..", "a2..", "a3....",
                                               "a4..", "a5.."});
  CHECK(b.received == std::vector<std::string>{"b0..", "x"});
  sender->close();
  a.socket->close();
  b.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("gso: a refused segmented send turns GSO off, nothing is lost",
          "[offload][gso][fault]") {
  // As a device without checksum offload answers (EIO): the same
  // datagrams go out one by one, each callback runs once.
  test::FaultScope scope;
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  if (!kernelSegments(*sender)) return;
  auto messages = payloads(8, 64, 'r');
  fault::failNth(fault::Call::sendmmsg, 1, EIO);
  Sent sent = sendInOneTurn(loop, *sender, messages,
                            std::vector<int>(messages.size(), sink.port));
  checkNoErrors(sent);
  CHECK_FALSE(sender->kernelFeatures().gso);
  REQUIRE(test::runUntil(
      loop, [&] { return sink.received.size() == messages.size(); }));
  CHECK(sink.received == messages);
  // Later sends work as well, without GSO.
  Sent again =
      sendInOneTurn(loop, *sender, {"after", "after"}, {sink.port, sink.port});
  checkNoErrors(again);
  REQUIRE(test::runUntil(loop, [&] { return sink.received.size() == 10; }));
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("gso: an error that is not a refusal stays with its send",
          "[offload][gso][fault]") {
  test::FaultScope scope;
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  if (!kernelSegments(*sender)) return;
  auto messages = payloads(4, 32, 'e');
  fault::failNth(fault::Call::sendmmsg, 1, ENOMEM);
  Sent sent = sendInOneTurn(loop, *sender, messages,
                            std::vector<int>(messages.size(), sink.port));
  // The failed message was the run of four: each of its sends reports it
  // once... or the kernel's first message, whatever it held.
  REQUIRE(sent.results.size() == 4);
  CHECK(sent.results[0]);
  CHECK(sender->kernelFeatures().gso);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

// Issue 21, item 7: a run's own error (here a source address the host
// does not have, which the kernel refuses for any send) turned GSO off
// for good, as if the kernel had refused to segment. The run's first
// datagram is now sent again on its own: only if that succeeds was the
// segmentation at fault.
TEST_CASE("gso: a run refused for its own sake keeps GSO on",
          "[offload][gso][metadata]") {
  test::FaultScope scope;
  if (!test::haveIPv6()) {
    WARN("SKIPPED: no IPv6 loopback");
    return;
  }
  dgram::Loop loop;
  dgram::SocketOptions sinkOptions;
  sinkOptions.type = dgram::Type::udp6;
  auto sinkSocket = test::makeSocket(loop, sinkOptions);
  std::vector<std::string> received;
  sinkSocket->on(dgram::message,
                 [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
                   received.push_back(msg.str());
                 });
  test::bindAndWait(loop, *sinkSocket, "::1");
  const int port = sinkSocket->address().port;
  dgram::SocketOptions options = withOffloads(true, false);
  options.type = dgram::Type::udp6;
  auto sender = test::makeSocket(loop, options);
  test::bindAndWait(loop, *sender, "::1");
  if (!kernelSegments(*sender)) return;

  // A run of four equal datagrams from an address the host does not have
  // (2001:db8::/32 is for documentation): the kernel refuses each of them.
  std::vector<std::string> results;
  loop.setTimeout(0ms, [&] {
    for (int i = 0; i < 4; ++i)
      sender->send("foreign-source", port, "::1",
                   dgram::SendFrom("2001:db8::77"),
                   [&](const std::optional<dgram::Error>& err, std::size_t) {
                     results.push_back(err ? err->code() : "ok");
                   });
  });
  REQUIRE(test::runUntil(loop, [&] { return results.size() == 4; }));
  for (const auto& result : results)
    CHECK(result != "ok");
  CHECK(sender->kernelFeatures().gso);

  // Still segmenting: a run of ordinary sends leaves in one call.
  long before = test::sendSyscalls();
  loop.setTimeout(0ms, [&] {
    for (int i = 0; i < 4; ++i)
      sender->send("fine-" + std::to_string(i), port, "::1");
  });
  REQUIRE(test::runUntil(loop, [&] { return received.size() == 4; }));
  CHECK(test::sendSyscalls() - before == 1);
  CHECK(received ==
        std::vector<std::string>{"fine-0", "fine-1", "fine-2", "fine-3"});
  sender->close();
  sinkSocket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "gso: an EINVAL that the run's first datagram alone also gets stays "
    "with the sends",
    "[offload][gso][fault]") {
  // The injected error fails the segmented run and the first datagram
  // sent again on its own: the datagram's error, not a refusal to
  // segment.
  test::FaultScope scope;
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  if (!kernelSegments(*sender)) return;
  auto messages = payloads(4, 48, 'v');
  fault::failNth(fault::Call::sendmmsg, 1, EINVAL, 2);
  Sent sent = sendInOneTurn(loop, *sender, messages,
                            std::vector<int>(messages.size(), sink.port));
  REQUIRE(sent.results.size() == 4);
  REQUIRE(sent.results[0]);
  CHECK(sent.results[0]->code() == "EINVAL");
  for (std::size_t i = 1; i < sent.results.size(); ++i)
    CHECK_FALSE(sent.results[i]);
  CHECK(sender->kernelFeatures().gso);
  REQUIRE(test::runUntil(loop, [&] { return sink.received.size() == 3; }));
  CHECK(sink.received ==
        std::vector<std::string>(messages.begin() + 1, messages.end()));
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("gro: a coalesced receive is delivered as the datagrams sent",
          "[offload][gro]") {
  test::FaultScope scope;
  dgram::Loop loop;
  test::Collector sink(loop, withOffloads(false, true));
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  if (!kernelSegments(*sender)) return;
  if (!sink.socket->kernelFeatures().gro) {
    WARN("SKIPPED: no UDP_GRO on this kernel");
    return;
  }
  auto messages = payloads(20, 100, 'c');
  messages.push_back("tail");
  Sent sent = sendInOneTurn(loop, *sender, messages,
                            std::vector<int>(messages.size(), sink.port));
  checkNoErrors(sent);
  REQUIRE(test::runUntil(
      loop, [&] { return sink.received.size() == messages.size(); }));
  CHECK(sink.received == messages);
  for (int port : sink.ports)
    CHECK(port == sender->address().port);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("gro: a listener that throws inside a coalesced buffer loses none",
          "[offload][gro]") {
  test::FaultScope scope;
  dgram::Loop loop;
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  if (!kernelSegments(*sender)) return;
  std::vector<std::string> received;
  auto sink = test::boundSocket(loop, withOffloads(false, true));
  if (!sink->kernelFeatures().gro) {
    WARN("SKIPPED: no UDP_GRO on this kernel");
    return;
  }
  int thrown = 0;
  sink->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    received.push_back(msg.str());
    if (received.size() == 3) {
      ++thrown;
      throw std::runtime_error("listener");
    }
  });
  auto messages = payloads(8, 50, 't');
  loop.setTimeout(0ms, [&] {
    for (const auto& m : messages)
      sender->send(m, sink->address().port, "127.0.0.1");
  });
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (received.size() < messages.size() &&
         std::chrono::steady_clock::now() < deadline) {
    try {
      loop.runOnce(10ms);
    } catch (const std::runtime_error&) {
    }
  }
  CHECK(thrown == 1);
  CHECK(received == messages);
  sender->close();
  sink->close();
  CHECK(test::runUntilIdle(loop));
}

#ifdef __linux__

namespace {

// A Node dgram socket on loopback (test/support/node_peer.js), read line
// by line.
class LoopbackNodePeer {
 public:
  LoopbackNodePeer()
      : process_({test::net::findProgram("node"),
                  std::string(DGRAM_TEST_SOURCE_DIR) + "/support/node_peer.js",
                  R"({"type":"udp4","address":"127.0.0.1"})"}) {
    std::string line = expect("listening ");
    port_ = std::stoi(line.substr(line.rfind("port=") + 5));
  }
  int port() const noexcept { return port_; }
  std::string expect(const std::string& prefix) {
    std::string line;
    while (process_.readLine(line))
      if (line.rfind(prefix, 0) == 0) return line;
    FAIL("Node printed no '" << prefix << "' line; it printed:\n"
                             << process_.transcript());
    return {};
  }
  void send(const std::string& data, int port) {
    process_.writeLine(R"({"send":")" + data + R"(","port":)" +
                       std::to_string(port) + R"(,"address":"127.0.0.1"})");
    CHECK(expect("sent ") == "sent error=none");
  }

 private:
  test::net::Process process_;
  int port_ = 0;
};

bool haveNode() {
  if (!test::net::findProgram("node").empty()) return true;
  WARN("SKIPPED: no 'node' in PATH for the interop tests");
  return false;
}

}  // namespace

TEST_CASE("gso: Node receives a segmented send as ordinary datagrams",
          "[offload][gso][node]") {
  if (!haveNode()) return;
  test::FaultScope scope;
  dgram::Loop loop;
  auto sender = test::boundSocket(loop, withOffloads(true, false));
  if (!kernelSegments(*sender)) return;
  LoopbackNodePeer node;
  auto messages = payloads(6, 40, 'n');
  long before = test::sendSyscalls();
  Sent sent = sendInOneTurn(loop, *sender, messages,
                            std::vector<int>(messages.size(), node.port()));
  CHECK(test::sendSyscalls() - before == 1);
  checkNoErrors(sent);
  const std::string from = " address=127.0.0.1 family=IPv4 port=" +
                           std::to_string(sender->address().port) + " size=";
  for (const auto& m : messages)
    CHECK(node.expect("message ") ==
          "message data=" + m + from + std::to_string(m.size()));
  sender->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("gro: Node's datagrams reach a GRO socket one by one",
          "[offload][gro][node]") {
  if (!haveNode()) return;
  dgram::Loop loop;
  test::Collector sink(loop, withOffloads(false, true));
  LoopbackNodePeer node;
  auto messages = payloads(5, 30, 'm');
  for (const auto& m : messages)
    node.send(m, sink.port);
  REQUIRE(test::runUntil(
      loop, [&] { return sink.received.size() == messages.size(); }));
  CHECK(sink.received == messages);
  for (int port : sink.ports)
    CHECK(port == node.port());
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

#endif  // __linux__

#endif  // DGRAM_FAULT_INJECTION && !_WIN32
