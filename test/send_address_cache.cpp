// The send path remembers the numeric address it parsed last (and knows
// the text of the sender a 'message' listener was given) instead of
// parsing and copying the host text of every datagram. What the caller
// sees must not change: errors name the host as the caller wrote it, a
// text of the other family is refused as before, and the loop's caches
// (shared by its sockets) never lend one socket's address to another.
#include "support/catch.hpp"

#include <optional>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using namespace std::chrono_literals;

// Larger than any datagram (IPv4 and IPv6 alike): the kernel says EMSGSIZE,
// and the callback's error names the destination.
const std::string kTooLarge(70000, 'x');

using Results = std::vector<std::optional<dgram::Error>>;

dgram::SendCallback collect(Results& results) {
  return [&results](const std::optional<dgram::Error>& err, std::size_t) {
    results.push_back(err);
  };
}

std::string messageOf(const std::optional<dgram::Error>& err) {
  return err ? std::string(err->what()) : std::string("(no error)");
}

}  // namespace

TEST_CASE("a send's error names the host as written, cached or not",
          "[send][address]") {
  if (!test::haveIPv6()) {
    WARN("skipped: no IPv6 loopback on this machine");
    return;
  }
  dgram::Loop loop;
  auto sender = test::makeSocket(loop, dgram::Type::udp6);
  test::bindAndWait(loop, *sender, "::1");
  const int port = 9;  // nothing is delivered: every send is too large
  Results results;
  // The same address in its usual text and in a longer one, alternately
  // and twice in a row, so that each is read both fresh and from the
  // cache.
  const std::vector<std::string> hosts = {
      "::1", "::1", "0:0:0:0:0:0:0:1", "0:0:0:0:0:0:0:1", "::1", "0:0::1"};
  for (const std::string& host : hosts)
    sender->send(kTooLarge, port, host, collect(results));
  REQUIRE(test::runUntil(loop, [&] { return results.size() == hosts.size(); }));
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    INFO("send " << i << " to " << hosts[i]);
    REQUIRE(results[i]);
    CHECK(results[i]->code() == "EMSGSIZE");
    CHECK(messageOf(results[i]) ==
          "send EMSGSIZE " + hosts[i] + ":" + std::to_string(port));
  }
  sender->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "replying to a sender of the other family through another socket "
    "is refused as before",
    "[send][address]") {
  if (!test::haveIPv6()) {
    WARN("skipped: no IPv6 loopback on this machine");
    return;
  }
  // The loop's sender cache holds ::1 (from the udp6 socket's datagram)
  // while a udp4 socket is asked to send to that very text: it must read
  // it as an IPv6 literal on a udp4 socket (EINVAL), not borrow the
  // cached address.
  dgram::Loop loop;
  auto v4 = test::boundSocket(loop);
  Results results;
  std::string sender;
  auto v6 = test::makeSocket(loop, dgram::Type::udp6,
                             [&](dgram::Bytes, const dgram::RemoteInfo& rinfo) {
                               sender = rinfo.address.str();
                               v4->send("reply", rinfo.port, rinfo.address,
                                        collect(results));
                             });
  test::bindAndWait(loop, *v6, "::1");
  auto client = test::makeSocket(loop, dgram::Type::udp6);
  test::bindAndWait(loop, *client, "::1");
  const int clientPort = client->address().port;
  client->send("hello", v6->address().port, "::1");
  REQUIRE(test::runUntil(loop, [&] { return results.size() == 1; }));
  CHECK(sender == "::1");
  REQUIRE(results[0]);
  CHECK(results[0]->code() == "EINVAL");
  CHECK(messageOf(results[0]) ==
        "send EINVAL ::1:" + std::to_string(clientPort));
  for (auto* s : {&v4, &v6, &client})
    (*s)->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a reply to rinfo.address reaches its sender, also from a copy",
          "[send][address]") {
  // The echo idiom, with the address passed as the RemoteInfo's own text
  // (recognised) and as a copy of it (read), from senders on two
  // addresses where the system has them, so that the remembered sender
  // and host change from one datagram to the next.
  dgram::Loop loop;
  auto echo = test::makeSocket(loop);
  echo->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
    if (msg.view().substr(0, 4) == "copy")
      echo->send(msg, r.port, std::string(r.address.view()));
    else
      echo->send(msg, r.port, r.address);
  });
  test::bindAndWait(loop, *echo, "127.0.0.1");
  const int echoPort = echo->address().port;
#ifdef __linux__
  const std::vector<std::string> addresses = {"127.0.0.1", "127.0.0.2"};
#else
  const std::vector<std::string> addresses = {"127.0.0.1"};
#endif
  struct Client {
    std::shared_ptr<dgram::Socket> socket;
    std::vector<std::string> got;
  };
  std::vector<Client> clients(2 * addresses.size());
  for (std::size_t i = 0; i < clients.size(); ++i) {
    Client& client = clients[i];
    client.socket =
        test::makeSocket(loop, dgram::Type::udp4,
                         [&client](dgram::Bytes msg, const dgram::RemoteInfo&) {
                           client.got.push_back(msg.str());
                         });
    test::bindAndWait(loop, *client.socket, addresses[i % addresses.size()]);
  }
  constexpr int kRounds = 3;
  std::size_t expected = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (std::size_t i = 0; i < clients.size(); ++i) {
      for (const char* kind : {"own", "copy"}) {
        clients[i].socket->send(std::string(kind) + "-" + std::to_string(i),
                                echoPort, "127.0.0.1");
        ++expected;
      }
    }
  }
  auto total = [&] {
    std::size_t n = 0;
    for (const Client& client : clients)
      n += client.got.size();
    return n;
  };
  REQUIRE(test::runUntil(loop, [&] { return total() == expected; }));
  for (std::size_t i = 0; i < clients.size(); ++i) {
    INFO("client " << i << " on " << addresses[i % addresses.size()]);
    CHECK(clients[i].got.size() == 2 * kRounds);
    for (const std::string& text : clients[i].got)
      CHECK(text.substr(text.find('-') + 1) == std::to_string(i));
  }
  for (Client& client : clients)
    client.socket->close();
  echo->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("hosts whose texts differ in one byte are never taken for the last",
          "[send][cache]") {
  // The cache compares texts a word at a time: pairs of loopback addresses
  // of each length a udp4 host can have here, that differ in their last
  // byte or in one before it. Both sinks listen on the same port, so a
  // datagram sent to the wrong one of a pair is seen arriving there.
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"127.0.0.1", "127.0.0.2"},
      {"127.1.0.1", "127.2.0.1"},
      {"127.0.0.11", "127.0.0.12"},
      {"127.0.0.101", "127.0.0.102"},
      {"127.10.20.31", "127.10.20.32"},
      {"127.100.20.31", "127.200.20.31"},
      {"127.100.200.31", "127.100.200.32"},
      {"127.100.200.101", "127.100.200.102"},
      {"127.100.200.101", "127.101.200.101"}};
  dgram::Loop loop;
  auto sender = test::boundSocket(loop);
  for (const auto& [first, second] : pairs) {
    INFO(first << " / " << second);
    std::vector<std::string> atFirst, atSecond;
    auto sinkFirst = test::makeSocket(
        loop, {}, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
          atFirst.push_back(msg.str());
        });
    test::bindAndWait(loop, *sinkFirst, first);
    int port = sinkFirst->address().port;
    auto sinkSecond = test::makeSocket(
        loop, {}, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
          atSecond.push_back(msg.str());
        });
    bool listening = false;
    sinkSecond->bind(port, second, [&] { listening = true; });
    REQUIRE(test::runUntil(loop, [&] { return listening; }));
    for (const char* which : {"1", "2", "1", "2"})
      sender->send(which, port, which[0] == '1' ? first : second);
    REQUIRE(test::runUntil(
        loop, [&] { return atFirst.size() + atSecond.size() == 4; }));
    CHECK(atFirst == std::vector<std::string>{"1", "1"});
    CHECK(atSecond == std::vector<std::string>{"2", "2"});
    sinkFirst->close();
    sinkSecond->close();
  }
  sender->close();
  CHECK(test::runUntilIdle(loop));
}
