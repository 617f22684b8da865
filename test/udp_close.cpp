// close(): 'close' once on a later turn, NOT_RUNNING afterwards, closing
// from inside every callback, close while binding, the loop letting go,
// lifetime without the caller's shared_ptr, ScopedSocket (reference B2,
// X1, X2, X4, M4).
#include "support/catch.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using test::boundSocket;
using test::settle;
using test::thrownBy;

using namespace std::chrono_literals;

}  // namespace

TEST_CASE(
    "close emits 'close' once on a later turn, the callback is a 'close' "
    "listener",
    "[close]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  bool returned = false;
  std::vector<std::string> events;
  socket->on(dgram::close, [&] {
    CHECK(returned);
    events.push_back("event");
  });
  dgram::Socket& same = socket->close([&] {
    CHECK(returned);
    events.push_back("callback");
  });
  returned = true;
  CHECK(&same == socket.get());
  CHECK(events.empty());
  REQUIRE(test::runUntilIdle(loop));
  CHECK(events == std::vector<std::string>{"event", "callback"});
}

TEST_CASE("close of an unbound socket emits 'close' once", "[close]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int closes = 0;
  socket->close([&] { ++closes; });
  CHECK(closes == 0);
  REQUIRE(test::runUntilIdle(loop));
  CHECK(closes == 1);
}

TEST_CASE(
    "every call that needs the socket throws ERR_SOCKET_DGRAM_NOT_RUNNING "
    "after close",
    "[close]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  int closes = 0;
  socket->close([&] { ++closes; });
  auto check = [](const char* what, const dgram::Error& e) {
    INFO(what);
    CHECK(e.code() == "ERR_SOCKET_DGRAM_NOT_RUNNING");
    CHECK(std::string(e.what()) == "Not running");
  };
  check("close", thrownBy([&] { socket->close(); }));
  check("bind", thrownBy([&] { socket->bind(); }));
  check("send", thrownBy([&] { socket->send("x", 1234, "127.0.0.1"); }));
  check("address", thrownBy([&] { socket->address(); }));
  check("remoteAddress", thrownBy([&] { socket->remoteAddress(); }));
  check("connect", thrownBy([&] { socket->connect(1234); }));
  check("addMembership",
        thrownBy([&] { socket->addMembership("224.0.0.114"); }));
  check("dropMembership",
        thrownBy([&] { socket->dropMembership("224.0.0.114"); }));
  check("addSourceSpecificMembership", thrownBy([&] {
          socket->addSourceSpecificMembership("127.0.0.1", "232.1.1.1");
        }));
  check("dropSourceSpecificMembership", thrownBy([&] {
          socket->dropSourceSpecificMembership("127.0.0.1", "232.1.1.1");
        }));
  check("setMulticastInterface",
        thrownBy([&] { socket->setMulticastInterface("127.0.0.1"); }));
  // Node crashes with a TypeError here; this library throws NOT_RUNNING.
  check("setBroadcast", thrownBy([&] { socket->setBroadcast(true); }));
  check("setTTL", thrownBy([&] { socket->setTTL(10); }));
  check("setMulticastTTL", thrownBy([&] { socket->setMulticastTTL(10); }));
  check("setMulticastLoopback",
        thrownBy([&] { socket->setMulticastLoopback(true); }));
  // Buffer sizes after close: an error, whichever of Node's codes.
  CHECK_THROWS_AS(socket->getRecvBufferSize(), dgram::Error);
  CHECK_THROWS_AS(socket->setSendBufferSize(4096), dgram::Error);
  // ref/unref are harmless no-ops returning the socket.
  CHECK(&socket->ref() == socket.get());
  CHECK(&socket->unref() == socket.get());
  REQUIRE(test::runUntilIdle(loop));
  CHECK(closes == 1);
}

TEST_CASE("no 'message' is emitted after close", "[close][message]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  const int port = receiver->address().port;
  auto sender = boundSocket(loop);
  int sent = 0;
  sender->send(
      "too late", port, "127.0.0.1",
      [&](const std::optional<dgram::Error>&, std::size_t) { ++sent; });
  sender->send(
      "too late", port, "127.0.0.1",
      [&](const std::optional<dgram::Error>&, std::size_t) { ++sent; });
  // Close before the loop had a chance to read anything.
  receiver->close();
  REQUIRE(test::runUntil(loop, [&] { return sent == 2; }));
  settle(loop);
  sender->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(messages == 0);
  CHECK(sent == 2);
}

TEST_CASE("close during bind: no 'listening', the bind callback never runs",
          "[close][bind]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int listening = 0;
  int bindCallbacks = 0;
  int errors = 0;
  int closes = 0;
  socket->on(dgram::listening, [&] { ++listening; });
  socket->on(dgram::error, [&](const dgram::Error&) { ++errors; });
  socket->bind(0, "127.0.0.1", [&] { ++bindCallbacks; });
  socket->close([&] { ++closes; });
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 0);
  CHECK(bindCallbacks == 0);
  CHECK(errors == 0);
  CHECK(closes == 1);
}

TEST_CASE(
    "close during a bind that waits for its lookup, a late answer is harmless",
    "[close][bind][lookup]") {
  dgram::Loop loop;
  dgram::SocketOptions options;
  std::vector<dgram::LookupCallback> pending;
  options.lookup = [&](std::string_view, dgram::Family,
                       dgram::LookupCallback done) {
    pending.push_back(std::move(done));
  };
  auto socket = test::makeSocket(loop, options);
  int listening = 0, errors = 0, closes = 0;
  socket->on(dgram::listening, [&] { ++listening; });
  socket->on(dgram::error, [&](const dgram::Error&) { ++errors; });
  socket->bind(0, "bind.test");
  REQUIRE(test::runUntil(loop, [&] { return !pending.empty(); }));
  socket->close([&] { ++closes; });
  REQUIRE(test::runUntil(loop, [&] { return closes == 1; }));
  for (auto& done : pending)
    done(std::nullopt, "127.0.0.1", dgram::Family::IPv4);
  settle(loop, 50ms);
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 0);
  CHECK(errors == 0);
  CHECK(closes == 1);
}

TEST_CASE("a closed socket no longer keeps the loop alive", "[close][ref]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  // Bound and ref'd: the loop has work.
  CHECK_FALSE(test::runUntilIdle(loop, 50ms));
  int closes = 0;
  socket->close([&] { ++closes; });
  CHECK(test::runUntilIdle(loop, 2s));
  CHECK(closes == 1);
}

TEST_CASE("close from inside 'listening' (with a send queued) is safe",
          "[close][bind]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  auto socket = test::makeSocket(loop);
  int closes = 0, listening = 0, errors = 0;
  socket->on(dgram::error, [&](const dgram::Error&) { ++errors; });
  socket->on(dgram::listening, [&] {
    ++listening;
    socket->close([&] { ++closes; });
  });
  int callbacks = 0;
  int ok = 0;
  socket->send("queued", receiver->address().port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 ++callbacks;
                 if (!err)
                   ++ok;
                 else
                   CHECK(err->code() == "ECANCELED");
               });
  REQUIRE(test::runUntil(loop, [&] { return closes == 1 && callbacks == 1; }));
  settle(loop);
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 1);
  CHECK(closes == 1);
  CHECK(callbacks == 1);
  CHECK(errors == 0);
  CHECK(messages == ok);
}

TEST_CASE("close from inside a 'message' listener is safe",
          "[close][message]") {
  dgram::Loop loop;
  std::shared_ptr<dgram::Socket> receiver;
  int messages = 0, closes = 0;
  receiver = boundSocket(loop, [&](dgram::Bytes, const dgram::RemoteInfo&) {
    ++messages;
    receiver->close([&] { ++closes; });
  });
  auto sender = boundSocket(loop);
  for (int i = 0; i < 5; ++i)
    sender->send("burst", receiver->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return closes == 1; }));
  settle(loop);
  sender->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(messages == 1);
  CHECK(closes == 1);
}

TEST_CASE("close from inside the 'connect' listener and callback is safe",
          "[close][connect]") {
  dgram::Loop loop;
  auto peer = boundSocket(loop);
  SECTION("from the callback") {
    auto socket = test::makeSocket(loop);
    int callbacks = 0, closes = 0;
    socket->connect(peer->address().port, "127.0.0.1",
                    [&](const std::optional<dgram::Error>& err) {
                      CHECK_FALSE(err);
                      ++callbacks;
                      socket->close([&] { ++closes; });
                    });
    REQUIRE(test::runUntil(loop, [&] { return closes == 1; }));
    CHECK(callbacks == 1);
  }
  SECTION("from a 'connect' listener, before the callback") {
    auto socket = test::makeSocket(loop);
    int events = 0, closes = 0, callbacks = 0;
    socket->on(dgram::connect, [&] {
      ++events;
      socket->close([&] { ++closes; });
    });
    socket->connect(peer->address().port, "127.0.0.1",
                    [&](const std::optional<dgram::Error>&) { ++callbacks; });
    REQUIRE(test::runUntil(loop, [&] { return closes == 1; }));
    settle(loop, 50ms);
    CHECK(events == 1);
    // Listeners of one emit all run, as in EventEmitter.
    CHECK(callbacks == 1);
  }
  peer->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE(
    "close from inside a send callback is safe, later sends still complete "
    "once",
    "[close][send]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  auto socket = boundSocket(loop);
  int callbacks = 0, closes = 0;
  int okAfterFirst = 0, cancelled = 0;
  for (int i = 0; i < 4; ++i) {
    socket->send("x", receiver->address().port, "127.0.0.1",
                 [&, i](const std::optional<dgram::Error>& err, std::size_t) {
                   ++callbacks;
                   if (i == 0) {
                     CHECK_FALSE(err);
                     socket->close([&] { ++closes; });
                   } else if (err) {
                     ++cancelled;
                   } else {
                     ++okAfterFirst;
                   }
                 });
  }
  REQUIRE(test::runUntil(loop, [&] { return closes == 1 && callbacks == 4; }));
  settle(loop);
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 4);
  CHECK(closes == 1);
  CHECK(okAfterFirst + cancelled == 3);
  CHECK(messages == 1 + okAfterFirst);
}

TEST_CASE("close from inside an 'error' listener is safe", "[close][error]") {
  dgram::Loop loop;
  auto holder = boundSocket(loop);
  auto socket = test::makeSocket(loop);
  int errors = 0, closes = 0;
  socket->on(dgram::error, [&](const dgram::Error& e) {
    CHECK(e.code() == "EADDRINUSE");
    ++errors;
    socket->close([&] { ++closes; });
  });
  socket->bind(holder->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return closes == 1; }));
  holder->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(errors == 1);
  CHECK(closes == 1);
}

TEST_CASE(
    "an open socket stays alive without the caller's shared_ptr, the loop "
    "lets go after 'close'",
    "[close][lifetime]") {
  dgram::Loop loop;
  int messages = 0, closes = 0;
  auto socket = boundSocket(loop);
  const int port = socket->address().port;
  std::weak_ptr<dgram::Socket> weak = socket;
  socket->on(dgram::message,
             [&, weak](dgram::Bytes msg, const dgram::RemoteInfo&) {
               ++messages;
               CHECK(msg.str() == "still here");
               if (auto self = weak.lock()) self->close();
             });
  socket->on(dgram::close, [&] { ++closes; });
  socket.reset();
  CHECK_FALSE(weak.expired());

  auto sender = boundSocket(loop);
  sender->send("still here", port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return closes == 1; }));
  sender->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(messages == 1);
  CHECK(closes == 1);
  CHECK(weak.expired());
}

TEST_CASE("dropping the last handle of an unbound socket is not an error",
          "[close][lifetime]") {
  dgram::Loop loop;
  {
    auto socket = test::makeSocket(loop);
    (void)socket;
  }
  {
    auto socket = boundSocket(loop);
    socket->close();
  }
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("ScopedSocket closes its socket when it goes out of scope",
          "[close][dispose]") {
  dgram::Loop loop;
  int closes = 0;
  std::weak_ptr<dgram::Socket> weak;
  {
    dgram::ScopedSocket scoped(boundSocket(loop));
    scoped->on(dgram::close, [&] { ++closes; });
    weak = scoped.get();
    CHECK(scoped->address().port > 0);
  }
  REQUIRE(test::runUntilIdle(loop));
  CHECK(closes == 1);
  CHECK(weak.expired());

  // reset() closes now; an already closed socket is left alone.
  int closes2 = 0;
  dgram::ScopedSocket scoped(boundSocket(loop));
  scoped->on(dgram::close, [&] { ++closes2; });
  scoped->close();
  scoped.reset();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(closes2 == 1);
}

#ifndef _WIN32
TEST_CASE(
    "closed sockets, failed binds and rejected calls leak no file descriptors",
    "[close][lifetime]") {
  const int before = test::openFdCount();
  if (before < 0) {
    WARN("skipped: cannot count open file descriptors here");
    return;
  }
  {
    dgram::Loop loop;
    const int withLoop = test::openFdCount();
    {
      auto holder = boundSocket(loop);
      const int port = holder->address().port;
      for (int i = 0; i < 5; ++i) {
        auto s = test::makeSocket(loop);
        int errors = 0;
        s->on(dgram::error, [&](const dgram::Error&) { ++errors; });
        s->bind(port, "127.0.0.1");
        REQUIRE(test::runUntil(loop, [&] { return errors == 1; }));
        CHECK_THROWS_AS(s->send("x", 0, "127.0.0.1"), dgram::Error);
        s->close();
      }
      for (int i = 0; i < 5; ++i) {
        auto s = test::makeSocket(loop);
        int sent = 0;
        s->send(
            "x", port, "127.0.0.1",
            [&](const std::optional<dgram::Error>&, std::size_t) { ++sent; });
        REQUIRE(test::runUntil(loop, [&] { return sent == 1; }));
        s->close();
      }
      holder->close();
      REQUIRE(test::runUntilIdle(loop));
    }
    CHECK(test::openFdCount() == withLoop);
  }
  CHECK(test::openFdCount() == before);
}
#endif
