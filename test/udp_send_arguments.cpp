// send() argument checking: ports, connected forms, buffer bounds, the
// default host, and that rejected input changes nothing (reference S1-S4,
// S7, B2).
#include "support/catch.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using test::boundSocket;
using test::thrownBy;

using namespace std::chrono_literals;

const std::string kBadPort = "Port should be > 0 and < 65536. Received ";

}  // namespace

TEST_CASE("send to port 0, negative or above 65535 throws ERR_SOCKET_BAD_PORT",
          "[send][arguments]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int callbacks = 0;
  auto cb = [&](const std::optional<dgram::Error>&, std::size_t) {
    ++callbacks;
  };

  struct Case {
    int port;
    const char* shown;
  };
  // Node says "Received type number (0)."; a C++ port is an int.
  for (auto c : {Case{0, "0."}, Case{-1, "-1."}, Case{65536, "65536."},
                 Case{100000, "100000."}}) {
    INFO("port " << c.port);
    auto e = thrownBy([&] { socket->send("x", c.port, "127.0.0.1", cb); });
    CHECK(e.code() == "ERR_SOCKET_BAD_PORT");
    CHECK(std::string(e.what()) == kBadPort + c.shown);
    auto e2 = thrownBy([&] { socket->send("x", c.port, cb); });
    CHECK(e2.code() == "ERR_SOCKET_BAD_PORT");
    CHECK(std::string(e2.what()) == kBadPort + c.shown);
    auto e3 =
        thrownBy([&] { socket->send("xyz", 0, 3, c.port, "127.0.0.1", cb); });
    CHECK(e3.code() == "ERR_SOCKET_BAD_PORT");
    CHECK(std::string(e3.what()) == kBadPort + c.shown);
    auto e4 = thrownBy([&] {
      socket->send({"a", "b"}, c.port, "127.0.0.1", cb);
    });
    CHECK(e4.code() == "ERR_SOCKET_BAD_PORT");
    CHECK(std::string(e4.what()) == kBadPort + c.shown);
  }
  // Nothing happened: no implicit bind, no callback.
  CHECK(thrownBy([&] { socket->address(); }).code() == "EBADF");
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 0);
}

TEST_CASE(
    "the connected send forms on an unconnected socket throw "
    "ERR_SOCKET_BAD_PORT, Received no port",
    "[send][arguments]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int callbacks = 0;
  auto cb = [&](const std::optional<dgram::Error>&, std::size_t) {
    ++callbacks;
  };
  // Node: "Received undefined." (no port argument at all).
  const std::string undefinedPort =
      kBadPort + "no port (the socket is not connected).";

  auto a = thrownBy([&] { socket->send("hello"); });
  CHECK(a.code() == "ERR_SOCKET_BAD_PORT");
  CHECK(std::string(a.what()) == undefinedPort);
  auto b = thrownBy([&] { socket->send("hello", cb); });
  CHECK(b.code() == "ERR_SOCKET_BAD_PORT");
  CHECK(std::string(b.what()) == undefinedPort);
  auto c = thrownBy([&] { socket->send({"he", "llo"}, cb); });
  CHECK(c.code() == "ERR_SOCKET_BAD_PORT");
  CHECK(std::string(c.what()) == undefinedPort);
  auto d = thrownBy([&] { socket->send(std::vector<dgram::Bytes>{"x"}, cb); });
  CHECK(d.code() == "ERR_SOCKET_BAD_PORT");
  CHECK(std::string(d.what()) == undefinedPort);
  auto e = thrownBy([&] { socket->send("hello", 0, 5, cb); });
  CHECK(e.code() == "ERR_SOCKET_BAD_PORT");
  CHECK(std::string(e.what()).rfind(kBadPort, 0) == 0);

  CHECK(thrownBy([&] { socket->address(); }).code() == "EBADF");
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 0);
}

TEST_CASE(
    "send with a port or address on a connected socket throws "
    "ERR_SOCKET_DGRAM_IS_CONNECTED",
    "[send][arguments][connect]") {
  dgram::Loop loop;
  int messages = 0;
  auto peer = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  const int port = peer->address().port;
  auto socket = test::makeSocket(loop);
  int connects = 0;
  socket->connect(port, "127.0.0.1",
                  [&](const std::optional<dgram::Error>& err) {
                    CHECK_FALSE(err);
                    ++connects;
                  });
  REQUIRE(test::runUntil(loop, [&] { return connects == 1; }));

  int callbacks = 0;
  auto cb = [&](const std::optional<dgram::Error>&, std::size_t) {
    ++callbacks;
  };
  auto check = [](const dgram::Error& e) {
    CHECK(e.code() == "ERR_SOCKET_DGRAM_IS_CONNECTED");
    CHECK(std::string(e.what()) == "Already connected");
  };
  check(thrownBy([&] { socket->send("x", port); }));
  check(thrownBy([&] { socket->send("x", port, "127.0.0.1"); }));
  check(thrownBy([&] { socket->send("x", port, cb); }));
  check(thrownBy([&] { socket->send("x", port, "127.0.0.1", cb); }));
  check(thrownBy([&] { socket->send("xyz", 0, 3, port, "127.0.0.1", cb); }));
  check(thrownBy([&] { socket->send("xyz", 0, 3, port, cb); }));
  check(thrownBy([&] { socket->send({"a", "b"}, port, "127.0.0.1", cb); }));
  check(thrownBy(
      [&] { socket->send(std::vector<dgram::Bytes>{"a"}, port, cb); }));

  // The connected forms still work afterwards.
  int sent = 0;
  socket->send("ok",
               [&](const std::optional<dgram::Error>& err, std::size_t n) {
                 CHECK_FALSE(err);
                 CHECK(n == 2);
                 ++sent;
               });
  REQUIRE(test::runUntil(loop, [&] { return messages == 1 && sent == 1; }));
  socket->close();
  peer->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 0);
  CHECK(sent == 1);
  CHECK(messages == 1);
  CHECK(connects == 1);
}

TEST_CASE(
    "send with offset or length outside the buffer throws "
    "ERR_BUFFER_OUT_OF_BOUNDS",
    "[send][arguments]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int callbacks = 0;
  auto cb = [&](const std::optional<dgram::Error>&, std::size_t) {
    ++callbacks;
  };
  const std::string buf = "abcd";

  auto offset =
      thrownBy([&] { socket->send(buf, 5, 0, 1234, "127.0.0.1", cb); });
  CHECK(offset.code() == "ERR_BUFFER_OUT_OF_BOUNDS");
  CHECK(std::string(offset.what()) == "\"offset\" is outside of buffer bounds");

  auto length =
      thrownBy([&] { socket->send(buf, 0, 5, 1234, "127.0.0.1", cb); });
  CHECK(length.code() == "ERR_BUFFER_OUT_OF_BOUNDS");
  CHECK(std::string(length.what()) == "\"length\" is outside of buffer bounds");

  auto both = thrownBy([&] { socket->send(buf, 2, 3, 1234, "127.0.0.1", cb); });
  CHECK(both.code() == "ERR_BUFFER_OUT_OF_BOUNDS");
  CHECK(std::string(both.what()) == "\"length\" is outside of buffer bounds");

  // offset + length must not wrap around.
  auto wrap = thrownBy([&] {
    socket->send(buf, 1, std::numeric_limits<std::size_t>::max(), 1234,
                 "127.0.0.1", cb);
  });
  CHECK(wrap.code() == "ERR_BUFFER_OUT_OF_BOUNDS");
  CHECK(std::string(wrap.what()) == "\"length\" is outside of buffer bounds");
  auto hugeOffset = thrownBy([&] {
    socket->send(buf, std::numeric_limits<std::size_t>::max(), 0, 1234,
                 "127.0.0.1", cb);
  });
  CHECK(hugeOffset.code() == "ERR_BUFFER_OUT_OF_BOUNDS");
  CHECK(std::string(hugeOffset.what()) ==
        "\"offset\" is outside of buffer bounds");

  CHECK(thrownBy([&] { socket->address(); }).code() == "EBADF");
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 0);
}

TEST_CASE(
    "offset and length at the buffer's edges are accepted and send that slice",
    "[send][arguments]") {
  dgram::Loop loop;
  std::vector<std::string> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
        CHECK(r.size == msg.size());
        received.push_back(msg.str());
      });
  const int port = receiver->address().port;
  auto sender = test::makeSocket(loop);
  const std::string buf = "abcd";
  std::vector<std::size_t> sizes;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t n) {
    CHECK_FALSE(err);
    sizes.push_back(n);
  };
  sender->send(buf, 0, 4, port, "127.0.0.1", cb);
  sender->send(buf, 1, 3, port, "127.0.0.1", cb);
  sender->send(buf, 3, 1, port, "127.0.0.1", cb);
  sender->send(buf, 4, 0, port, "127.0.0.1", cb);
  REQUIRE(test::runUntil(
      loop, [&] { return received.size() == 4 && sizes.size() == 4; }));
  CHECK(received == std::vector<std::string>{"abcd", "bcd", "d", ""});
  CHECK(sizes == std::vector<std::size_t>{4, 3, 1, 0});
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(received.size() == 4);
  CHECK(sizes.size() == 4);
}

TEST_CASE("offsets and lengths count bytes, not characters",
          "[send][arguments]") {
  dgram::Loop loop;
  std::vector<std::string> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
        CHECK(r.size == msg.size());
        received.push_back(msg.str());
      });
  const int port = receiver->address().port;
  auto sender = test::makeSocket(loop);
  // "h\u00e9llo \u20ac": 6 characters in UTF-8 take 10 bytes.
  const std::string text = "h\xc3\xa9llo \xe2\x82\xac";
  REQUIRE(text.size() == 10);
  std::vector<std::size_t> sizes;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t n) {
    CHECK_FALSE(err);
    sizes.push_back(n);
  };
  sender->send(text, port, "127.0.0.1", cb);
  sender->send(text, 0, text.size(), port, "127.0.0.1", cb);
  sender->send(text, 7, 3, port, "127.0.0.1", cb);  // the euro sign
  auto e = thrownBy([&] { sender->send(text, 0, 11, port, "127.0.0.1", cb); });
  CHECK(e.code() == "ERR_BUFFER_OUT_OF_BOUNDS");
  REQUIRE(test::runUntil(
      loop, [&] { return received.size() == 3 && sizes.size() == 3; }));
  CHECK(received == std::vector<std::string>{text, text, "\xe2\x82\xac"});
  CHECK(sizes == std::vector<std::size_t>{10, 10, 3});
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sizes.size() == 3);
}

TEST_CASE("every send overload and message type is accepted",
          "[send][arguments]") {
  dgram::Loop loop;
  std::vector<std::string> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.push_back(msg.str());
      });
  const int port = receiver->address().port;
  auto sender = test::makeSocket(loop);
  int callbacks = 0;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t) {
    CHECK_FALSE(err);
    ++callbacks;
  };
  const std::string s = "string";
  const std::vector<std::uint8_t> v = {'v', 'e', 'c'};
  const std::vector<char> vc = {'c', 'h', 'a', 'r', 's'};
  const std::array<std::uint8_t, 3> a = {'a', 'r', 'r'};
  const std::array<char, 4> ac = {'a', 'r', 'r', 'c'};
  const char raw[] = {'r', 'a', 'w', '!'};

  sender->send(s, port, "127.0.0.1", cb);                              // 1
  sender->send(std::string_view("view"), port, cb);                    // 2
  sender->send("c-string", port);                                      // 3
  sender->send(v, port, "127.0.0.1");                                  // 4
  sender->send(vc, port, "127.0.0.1", cb);                             // 5
  sender->send(a, port, "127.0.0.1", cb);                              // 6
  sender->send(ac, port, "127.0.0.1", cb);                             // 7
  sender->send(dgram::Bytes(raw, sizeof raw), port, "127.0.0.1", cb);  // 8
  sender->send(s, 0, 3, port, cb);                                     // 9
  sender->send(s, 3, 3, port);                                         // 10
  sender->send({"li", "st"}, port, "127.0.0.1", cb);                   // 11
  sender->send({"li", "st2"}, port, cb);                               // 12
  sender->send(std::vector<dgram::Bytes>{"ve", "ctor"}, port, "127.0.0.1",
               cb);                                                  // 13
  sender->send(std::vector<dgram::Bytes>{"ve", "ctor2"}, port, cb);  // 14
  REQUIRE(test::runUntil(
      loop, [&] { return received.size() == 14 && callbacks == 11; }));
  CHECK(received == std::vector<std::string>{"string", "view", "c-string",
                                             "vec", "chars", "arr", "arrc",
                                             "raw!", "str", "ing", "list",
                                             "list2", "vector", "vector2"});
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 11);
  CHECK(received.size() == 14);
}

TEST_CASE("an empty address sends to 127.0.0.1 for udp4", "[send][arguments]") {
  dgram::Loop loop;
  std::vector<std::string> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.push_back(msg.str());
      });
  const int port = receiver->address().port;
  auto sender = test::makeSocket(loop);
  int callbacks = 0;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t n) {
    CHECK_FALSE(err);
    CHECK(n > 0);
    ++callbacks;
  };
  const std::string buf = "hello world";
  sender->send(buf, port, "", cb);        // buffer, empty address
  sender->send(buf, port, cb);            // buffer, no address
  sender->send(buf, 0, 5, port, "", cb);  // buffer + length, empty
  sender->send(buf, 0, 5, port, cb);      // buffer + length, none
  sender->send({"hello", " ", "world"}, port, "", cb);  // list, empty
  sender->send({"hello", " ", "world"}, port, cb);      // list, none
  REQUIRE(test::runUntil(
      loop, [&] { return received.size() == 6 && callbacks == 6; }));
  CHECK(received == std::vector<std::string>{"hello world", "hello world",
                                             "hello", "hello", "hello world",
                                             "hello world"});
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 6);
}

TEST_CASE("send after close throws ERR_SOCKET_DGRAM_NOT_RUNNING",
          "[send][arguments][close]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int callbacks = 0;
  auto cb = [&](const std::optional<dgram::Error>&, std::size_t) {
    ++callbacks;
  };
  socket->close();
  for (auto* what : {"buffer", "offset", "list"}) {
    INFO(what);
    auto e = thrownBy([&] {
      if (std::string(what) == "buffer")
        socket->send("x", 1234, "127.0.0.1", cb);
      else if (std::string(what) == "offset")
        socket->send("x", 0, 1, 1234, "127.0.0.1", cb);
      else
        socket->send({"x"}, 1234, "127.0.0.1", cb);
    });
    CHECK(e.code() == "ERR_SOCKET_DGRAM_NOT_RUNNING");
    CHECK(std::string(e.what()) == "Not running");
  }
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 0);
}

TEST_CASE("rejected send arguments leave the socket working",
          "[send][arguments]") {
  dgram::Loop loop;
  std::vector<std::string> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.push_back(msg.str());
      });
  const int port = receiver->address().port;
  auto sender = boundSocket(loop);
  int callbacks = 0;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t) {
    CHECK_FALSE(err);
    ++callbacks;
  };
  CHECK_THROWS_AS(sender->send("bad", 0, "127.0.0.1", cb), dgram::Error);
  CHECK_THROWS_AS(sender->send("bad", 9, 1, port, "127.0.0.1", cb),
                  dgram::Error);
  CHECK_THROWS_AS(sender->send("bad", cb), dgram::Error);
  sender->send("good", port, "127.0.0.1", cb);
  REQUIRE(test::runUntil(
      loop, [&] { return received.size() == 1 && callbacks == 1; }));
  CHECK(received == std::vector<std::string>{"good"});
  CHECK(sender->getSendQueueCount() == 0);
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 1);
}

TEST_CASE("ports 1 and 65535 are valid send ports", "[send][arguments]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  int callbacks = 0;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t n) {
    // Unconnected: nobody listening there is not reported.
    CHECK_FALSE(err);
    CHECK(n == 4);
    ++callbacks;
  };
  CHECK_NOTHROW(socket->send("edge", 1, "127.0.0.1", cb));
  CHECK_NOTHROW(socket->send("edge", 65535, "127.0.0.1", cb));
  CHECK_NOTHROW(socket->send("edge", 0, 4, 65535, "127.0.0.1", cb));
  REQUIRE(test::runUntil(loop, [&] { return callbacks == 3; }));
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 3);
}
