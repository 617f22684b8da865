// Sending and receiving over 127.0.0.1: payloads, rinfo, callbacks on a
// later turn, lists as one datagram, empty datagrams, buffer reuse,
// EMSGSIZE, ping-pong and listener order (reference S5, S6, S10, S12, M1,
// M4).
#include "support/catch.hpp"

#include <algorithm>
#include <cerrno>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using test::boundSocket;

using namespace std::chrono_literals;

struct Received {
  std::string data;
  dgram::RemoteInfo rinfo;
};

}  // namespace

TEST_CASE("'message' gets the payload and rinfo {address, family, port, size}",
          "[message][send]") {
  dgram::Loop loop;
  std::vector<Received> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
        received.push_back({msg.str(), r});
      });
  auto sender = boundSocket(loop);
  int sent = 0;
  sender->send("Hello, receiver", receiver->address().port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t n) {
                 CHECK_FALSE(err);
                 CHECK(n == 15);
                 ++sent;
               });
  REQUIRE(
      test::runUntil(loop, [&] { return received.size() == 1 && sent == 1; }));
  CHECK(received[0].data == "Hello, receiver");
  CHECK(received[0].rinfo.address.str() == "127.0.0.1");
  CHECK(received[0].rinfo.family == dgram::Family::IPv4);
  CHECK(dgram::to_string(received[0].rinfo.family) == "IPv4");
  CHECK(received[0].rinfo.port == sender->address().port);
  CHECK(received[0].rinfo.size == 15);
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(received.size() == 1);
  CHECK(sent == 1);
}

TEST_CASE("an echo server answers each client datagram (udp4 round trip)",
          "[message][send]") {
  dgram::Loop loop;
  std::shared_ptr<dgram::Socket> server;
  int serverMessages = 0;
  int echoes = 0;
  server = boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
    ++serverMessages;
    server->send(msg, r.port, r.address,
                 [&](const std::optional<dgram::Error>& err, std::size_t) {
                   CHECK_FALSE(err);
                   ++echoes;
                 });
  });
  std::vector<std::string> answers;
  auto client =
      test::makeSocket(loop, dgram::Type::udp4,
                       [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
                         CHECK(r.port == server->address().port);
                         answers.push_back(msg.str());
                       });
  client->send("echo me", server->address().port, "127.0.0.1");
  REQUIRE(
      test::runUntil(loop, [&] { return answers.size() == 1 && echoes == 1; }));
  CHECK(answers[0] == "echo me");
  client->close();
  server->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(serverMessages == 1);
  CHECK(echoes == 1);
}

TEST_CASE("ping-pong: many round trips arrive complete and in order",
          "[message][send]") {
  dgram::Loop loop;
  constexpr int kRounds = 50;
  std::shared_ptr<dgram::Socket> server;
  int pings = 0;
  server = boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
    CHECK(msg.str() == "PING");
    ++pings;
    server->send("PONG", r.port, "127.0.0.1");
  });
  std::shared_ptr<dgram::Socket> client;
  int pongs = 0;
  client = boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    CHECK(msg.str() == "PONG");
    if (++pongs < kRounds)
      client->send("PING", server->address().port, "127.0.0.1");
  });
  client->send("PING", server->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(
      loop, [&] { return pongs == kRounds; }, 10s));
  client->close();
  server->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(pings == kRounds);
  CHECK(pongs == kRounds);
}

TEST_CASE("the send callback gets (no error, bytes) on a later turn",
          "[send][callback]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  const int port = receiver->address().port;
  auto sender = boundSocket(loop);  // bound: the kernel may take it at once
  bool returned = false;
  std::vector<std::size_t> sizes;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t n) {
    CHECK(returned);
    CHECK_FALSE(err);
    sizes.push_back(n);
  };
  const std::string buf = "0123456789";
  sender->send(buf, port, "127.0.0.1", cb);
  sender->send(buf, 2, 4, port, "127.0.0.1", cb);
  sender->send({"ab", "cde"}, port, "127.0.0.1", cb);
  returned = true;
  CHECK(sizes.empty());
  REQUIRE(
      test::runUntil(loop, [&] { return sizes.size() == 3 && messages == 3; }));
  CHECK(sizes == std::vector<std::size_t>{10, 4, 5});
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sizes.size() == 3);
  CHECK(messages == 3);
}

TEST_CASE("sending again from inside the send callback never recurses",
          "[send][callback]") {
  dgram::Loop loop;
  constexpr int kSends = 20;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  const int port = receiver->address().port;
  auto sender = boundSocket(loop);
  int callbacks = 0;
  int depth = 0;
  std::function<void()> sendOne;
  sendOne = [&] {
    ++depth;
    sender->send("again", port, "127.0.0.1",
                 [&](const std::optional<dgram::Error>& err, std::size_t n) {
                   CHECK(depth == 0);  // not called from inside send()
                   CHECK_FALSE(err);
                   CHECK(n == 5);
                   if (++callbacks < kSends) sendOne();
                 });
    --depth;
  };
  sendOne();
  REQUIRE(test::runUntil(
      loop, [&] { return callbacks == kSends && messages == kSends; }));
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == kSends);
  CHECK(messages == kSends);
}

TEST_CASE("a list of buffers is one datagram, their concatenation",
          "[send][list]") {
  dgram::Loop loop;
  std::vector<Received> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
        received.push_back({msg.str(), r});
      });
  const int port = receiver->address().port;
  auto sender = test::makeSocket(loop);
  std::vector<std::size_t> sizes;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t n) {
    CHECK_FALSE(err);
    sizes.push_back(n);
  };
  const std::vector<std::uint8_t> bytes = {'1', '2', '3'};
  sender->send({"Hello", " ", "World"}, port, "127.0.0.1", cb);
  sender->send(std::vector<dgram::Bytes>{bytes, "", "456", std::string("789")},
               port, "127.0.0.1", cb);
  REQUIRE(test::runUntil(
      loop, [&] { return received.size() == 2 && sizes.size() == 2; }));
  CHECK(received[0].data == "Hello World");
  CHECK(received[0].rinfo.size == 11);
  CHECK(received[1].data == "123456789");
  CHECK(received[1].rinfo.size == 9);
  CHECK(sizes == std::vector<std::size_t>{11, 9});
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(received.size() == 2);
}

TEST_CASE("the caller may change its buffers and list as soon as send returns",
          "[send][list]") {
  dgram::Loop loop;
  std::vector<std::string> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.push_back(msg.str());
      });
  const int port = receiver->address().port;
  int callbacks = 0;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t) {
    CHECK_FALSE(err);
    ++callbacks;
  };

  // An unbound sender: the sends wait for the implicit bind, so the library
  // must have copied the bytes.
  auto unbound = test::makeSocket(loop);
  std::string buf = "first";
  unbound->send(buf, port, "127.0.0.1", cb);
  buf.replace(0, 5, "XXXXX");
  std::string part1 = "li", part2 = "st";
  std::vector<dgram::Bytes> list{part1, part2};
  unbound->send(list, port, "127.0.0.1", cb);
  part1[0] = 'Y';
  part2 = "changed, and longer";
  list.clear();
  std::vector<std::uint8_t> bytes = {'v', 'e', 'c'};
  unbound->send(bytes, 1, 2, port, "127.0.0.1", cb);
  bytes.assign(100, 'Z');

  // A bound sender.
  auto bound = boundSocket(loop);
  std::string again = "second";
  bound->send(again, port, "127.0.0.1", cb);
  again.assign("ZZZZZZ");
  std::string a = "multi", b = "-buffer";
  bound->send({a, b}, port, "127.0.0.1", cb);
  a.assign("?????");
  b.clear();

  REQUIRE(test::runUntil(
      loop, [&] { return received.size() == 5 && callbacks == 5; }));
  std::sort(received.begin(), received.end());
  std::vector<std::string> expected = {"first", "list", "ec", "second",
                                       "multi-buffer"};
  std::sort(expected.begin(), expected.end());
  CHECK(received == expected);
  unbound->close();
  bound->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 5);
}

TEST_CASE("empty datagrams are sent and received with rinfo.size 0",
          "[send][empty]") {
  dgram::Loop loop;
  std::vector<Received> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
        CHECK(msg.size() == 0);
        CHECK(msg.empty());
        received.push_back({msg.str(), r});
      });
  const int port = receiver->address().port;
  auto sender = test::makeSocket(loop);
  std::vector<std::size_t> sizes;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t n) {
    CHECK_FALSE(err);
    sizes.push_back(n);
  };
  const std::string buf = "non-empty";
  sender->send(std::string(), port, "127.0.0.1", cb);       // empty buffer
  sender->send(buf, 0, 0, port, "127.0.0.1", cb);           // zero length
  sender->send(buf, buf.size(), 0, port, "127.0.0.1", cb);  // at the end
  sender->send(std::initializer_list<dgram::Bytes>{}, port, "127.0.0.1",
               cb);                                                  // []
  sender->send(std::vector<dgram::Bytes>{}, port, "127.0.0.1", cb);  // []
  sender->send({"", ""}, port, "127.0.0.1", cb);  // list of empties
  sender->send(dgram::Bytes(), port, cb);         // null view
  REQUIRE(test::runUntil(
      loop, [&] { return received.size() == 7 && sizes.size() == 7; }));
  for (auto& r : received) {
    CHECK(r.rinfo.size == 0);
    CHECK(r.rinfo.port == sender->address().port);
    CHECK(r.rinfo.address.str() == "127.0.0.1");
  }
  CHECK(sizes == std::vector<std::size_t>(7, 0));
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(received.size() == 7);
}

TEST_CASE("a datagram too big for IPv4 fails with EMSGSIZE in the callback",
          "[send][error]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  const int port = receiver->address().port;
  auto sender = boundSocket(loop);
  int errorEvents = 0;
  sender->on(dgram::error, [&](const dgram::Error&) { ++errorEvents; });
  const std::string big(65508, 'x');
  std::optional<dgram::Error> seen;
  int callbacks = 0;
  bool returned = false;
  sender->send(big, port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK(returned);
                 ++callbacks;
                 seen = err;
               });
  returned = true;
  REQUIRE(test::runUntil(loop, [&] { return callbacks == 1; }));
  REQUIRE(seen);
  CHECK(seen->code() == "EMSGSIZE");
  CHECK(seen->syscall() == "send");
  CHECK(seen->address() == "127.0.0.1");
  CHECK(seen->port() == port);
  CHECK(std::string(seen->what()) ==
        "send EMSGSIZE 127.0.0.1:" + std::to_string(port));
#ifdef __linux__
  CHECK(seen->errnum() == -EMSGSIZE);
#endif

  // The largest IPv4 payload still goes through, and the socket works.
  const std::string biggest(65507, 'y');
  int okCallbacks = 0;
  sender->send(biggest, port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t n) {
                 CHECK_FALSE(err);
                 CHECK(n == 65507);
                 ++okCallbacks;
               });
  REQUIRE(
      test::runUntil(loop, [&] { return okCallbacks == 1 && messages == 1; }));
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 1);
  CHECK(okCallbacks == 1);
  CHECK(messages == 1);
  CHECK(errorEvents == 0);
}

TEST_CASE("a kernel send error without a callback is not emitted",
          "[send][error]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  const int port = receiver->address().port;
  auto sender = boundSocket(loop);
  int errorEvents = 0;
  sender->on(dgram::error, [&](const dgram::Error&) { ++errorEvents; });
  sender->send(std::string(70000, 'x'), port, "127.0.0.1");
  sender->send("after", port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return messages == 1; }));
  // Give a stray error a chance to show up.
  auto until = std::chrono::steady_clock::now() + 100ms;
  test::runUntil(loop,
                 [&] { return std::chrono::steady_clock::now() > until; });
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));  // nothing thrown: no 'error' to rethrow
  CHECK(errorEvents == 0);
  CHECK(messages == 1);
}

TEST_CASE(
    "message listeners run in registration order and one may close the socket",
    "[message][events][close]") {
  dgram::Loop loop;
  std::vector<int> order;
  std::shared_ptr<dgram::Socket> receiver = test::makeSocket(loop);
  int closes = 0;
  receiver->on(dgram::message, [&](dgram::Bytes, const dgram::RemoteInfo&) {
    order.push_back(1);
    receiver->close([&] { ++closes; });
  });
  receiver->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    order.push_back(2);
    CHECK(msg.str() == "one");  // the bytes are still valid for later listeners
  });
  bool listening = false;
  receiver->bind(0, "127.0.0.1", [&] { listening = true; });
  REQUIRE(test::runUntil(loop, [&] { return listening; }));
  const int port = receiver->address().port;

  auto sender = boundSocket(loop);
  int sent = 0;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t) {
    CHECK_FALSE(err);
    ++sent;
  };
  sender->send("one", port, "127.0.0.1", cb);
  sender->send("two", port, "127.0.0.1", cb);
  sender->send("three", port, "127.0.0.1", cb);
  REQUIRE(test::runUntil(loop, [&] { return closes == 1 && sent == 3; }));
  // Nothing more is delivered after close, even though more was queued.
  auto until = std::chrono::steady_clock::now() + 100ms;
  test::runUntil(loop,
                 [&] { return std::chrono::steady_clock::now() > until; });
  sender->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(order == std::vector<int>{1, 2});
  CHECK(closes == 1);
  CHECK(sent == 3);
}

TEST_CASE("the createSocket message listener and on(message) listeners all run",
          "[message][events]") {
  dgram::Loop loop;
  std::vector<std::string> seen;
  auto receiver = test::makeSocket(
      loop, dgram::Type::udp4, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        seen.push_back("ctor:" + msg.str());
      });
  receiver->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    seen.push_back("on:" + msg.str());
  });
  receiver->once(dgram::message,
                 [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
                   seen.push_back("once:" + msg.str());
                 });
  bool listening = false;
  receiver->bind(0, "127.0.0.1", [&] { listening = true; });
  REQUIRE(test::runUntil(loop, [&] { return listening; }));
  auto sender = boundSocket(loop);
  sender->send("a", receiver->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return seen.size() == 3; }));
  sender->send("b", receiver->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return seen.size() == 5; }));
  CHECK(seen ==
        std::vector<std::string>{"ctor:a", "on:a", "once:a", "ctor:b", "on:b"});
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(seen.size() == 5);
}

TEST_CASE(
    "a burst of datagrams of mixed sizes arrives complete, in order, intact",
    "[message][send]") {
  dgram::Loop loop;
  constexpr int kCount = 200;
  auto payload = [](int i) {
    // Sizes 0..1500 in a spread, bytes derived from the index.
    std::string s(static_cast<std::size_t>((i * 37) % 1501), '\0');
    for (std::size_t j = 0; j < s.size(); ++j)
      s[j] = static_cast<char>((i * 131 + static_cast<int>(j)) & 0xff);
    return s;
  };
  std::vector<std::string> received;
  std::vector<std::size_t> sizes;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
        received.push_back(msg.str());
        sizes.push_back(r.size);
      });
  receiver->setRecvBufferSize(1 << 20);
  auto sender = boundSocket(loop);
  int sent = 0;
  for (int i = 0; i < kCount; ++i) {
    sender->send(payload(i), receiver->address().port, "127.0.0.1",
                 [&](const std::optional<dgram::Error>& err, std::size_t) {
                   CHECK_FALSE(err);
                   ++sent;
                 });
  }
  REQUIRE(test::runUntil(loop, [&] {
    return sent == kCount && static_cast<int>(received.size()) == kCount;
  }));
  for (int i = 0; i < kCount; ++i) {
    INFO("datagram " << i);
    CHECK(received[i] == payload(i));
    CHECK(sizes[i] == payload(i).size());
  }
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sent == kCount);
}

TEST_CASE("the largest IPv4 datagram arrives intact", "[message][send]") {
  dgram::Loop loop;
  std::string got;
  std::size_t size = 0;
  int messages = 0;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
        got = msg.str();
        size = r.size;
        ++messages;
      });
  auto sender = boundSocket(loop);
  std::string big(65507, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 7 + 3);
  const std::string expected = big;
  int sent = 0;
  sender->send(big, receiver->address().port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t n) {
                 CHECK_FALSE(err);
                 CHECK(n == 65507);
                 ++sent;
               });
  big.assign(big.size(), 'x');  // reuse the buffer at once
  REQUIRE(test::runUntil(loop, [&] { return messages == 1 && sent == 1; }));
  CHECK(size == 65507);
  CHECK(got == expected);
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
}
