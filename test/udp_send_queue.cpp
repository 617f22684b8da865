// Sends before the socket is bound: the implicit bind, the queue flushed in
// order, bind errors, queue size/count, and ECANCELED for sends a close
// overtakes (reference S8, S9, S13, S14, X2).
#include "support/catch.hpp"

#include <optional>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using test::boundSocket;
using test::settle;

using namespace std::chrono_literals;

}  // namespace

TEST_CASE(
    "send on an unbound socket binds it to 0.0.0.0 and a random port, "
    "'listening' first",
    "[send][queue][bind]") {
  dgram::Loop loop;
  std::vector<std::string> events;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  auto socket = test::makeSocket(loop);
  socket->on(dgram::listening, [&] {
    events.push_back("listening");
    auto info = socket->address();
    CHECK(info.address.str() == "0.0.0.0");
    CHECK(info.port > 0);
  });
  socket->send("implicit", receiver->address().port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t n) {
                 CHECK_FALSE(err);
                 CHECK(n == 8);
                 events.push_back("sent");
               });
  REQUIRE(test::runUntil(loop,
                         [&] { return events.size() == 2 && messages == 1; }));
  CHECK(events == std::vector<std::string>{"listening", "sent"});
  socket->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(events.size() == 2);
  CHECK(messages == 1);
}

TEST_CASE("sends issued before the bind completes are flushed in order",
          "[send][queue]") {
  dgram::Loop loop;
  constexpr int kSends = 10;
  std::vector<std::string> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.push_back(msg.str());
      });
  const int port = receiver->address().port;

  auto socket = test::makeSocket(loop);
  int listening = 0;
  socket->on(dgram::listening, [&] { ++listening; });
  // Both shapes side by side: an implicit bind by send, and an explicit
  // bind still in progress.
  auto explicitSocket = test::makeSocket(loop);
  explicitSocket->on(dgram::listening, [&] { ++listening; });
  explicitSocket->bind(0, "127.0.0.1");

  std::vector<int> order;
  std::vector<int> explicitOrder;
  for (int i = 0; i < kSends; ++i) {
    socket->send("i" + std::to_string(i), port, "127.0.0.1",
                 [&, i](const std::optional<dgram::Error>& err, std::size_t) {
                   CHECK_FALSE(err);
                   order.push_back(i);
                 });
    explicitSocket->send(
        "e" + std::to_string(i), port, "127.0.0.1",
        [&, i](const std::optional<dgram::Error>& err, std::size_t) {
          CHECK_FALSE(err);
          explicitOrder.push_back(i);
        });
  }
  // Waiting for the bind: nothing handed to the kernel yet.
  CHECK(socket->getSendQueueCount() == 0);
  CHECK(socket->getSendQueueSize() == 0);
  CHECK(explicitSocket->getSendQueueCount() == 0);
  CHECK(explicitSocket->getSendQueueSize() == 0);

  REQUIRE(test::runUntil(loop, [&] {
    return received.size() == 2 * kSends && order.size() == kSends &&
           explicitOrder.size() == kSends;
  }));
  std::vector<std::string> implicitSeen, explicitSeen;
  for (auto& r : received)
    (r[0] == 'i' ? implicitSeen : explicitSeen).push_back(r);
  std::vector<std::string> expectedI, expectedE;
  std::vector<int> expectedOrder;
  for (int i = 0; i < kSends; ++i) {
    expectedI.push_back("i" + std::to_string(i));
    expectedE.push_back("e" + std::to_string(i));
    expectedOrder.push_back(i);
  }
  CHECK(implicitSeen == expectedI);
  CHECK(explicitSeen == expectedE);
  CHECK(order == expectedOrder);
  CHECK(explicitOrder == expectedOrder);
  socket->close();
  explicitSocket->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 2);
}

TEST_CASE("getSendQueueSize and getSendQueueCount are 0 when idle",
          "[send][queue]") {
  dgram::Loop loop;
  auto unbound = test::makeSocket(loop);
  CHECK(unbound->getSendQueueSize() == 0);
  CHECK(unbound->getSendQueueCount() == 0);

  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  CHECK(receiver->getSendQueueSize() == 0);
  CHECK(receiver->getSendQueueCount() == 0);

  auto sender = boundSocket(loop);
  int sent = 0;
  for (int i = 0; i < 5; ++i) {
    sender->send("some bytes", receiver->address().port, "127.0.0.1",
                 [&](const std::optional<dgram::Error>& err, std::size_t) {
                   CHECK_FALSE(err);
                   ++sent;
                 });
  }
  // Whatever the kernel has not taken yet is counted; never more than sent.
  CHECK(sender->getSendQueueCount() <= 5);
  CHECK(sender->getSendQueueSize() <= 50);
  REQUIRE(test::runUntil(loop, [&] { return sent == 5 && messages == 5; }));
  CHECK(sender->getSendQueueSize() == 0);
  CHECK(sender->getSendQueueCount() == 0);
  sender->close();
  receiver->close();
  unbound->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sent == 5);
}

TEST_CASE(
    "a bind error drops the queued sends, each callback gets an error once",
    "[send][queue][error]") {
  dgram::Loop loop;
  int messages = 0;
  auto holder = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  const int port = holder->address().port;

  auto socket = test::makeSocket(loop);
  int errors = 0;
  socket->on(dgram::error, [&](const dgram::Error& e) {
    CHECK(e.code() == "EADDRINUSE");
    CHECK(e.syscall() == "bind");
    ++errors;
  });
  int listening = 0;
  socket->on(dgram::listening, [&] { ++listening; });
  socket->bind(port, "127.0.0.1");  // will fail: the port is taken
  int callbacks = 0;
  int failed = 0;
  for (int i = 0; i < 3; ++i) {
    socket->send("never", port, "127.0.0.1",
                 [&](const std::optional<dgram::Error>& err, std::size_t) {
                   ++callbacks;
                   if (err) {
                     INFO("queued send after a bind error: " << err->code());
                     ++failed;
                   }
                 });
  }
  REQUIRE(test::runUntil(loop, [&] { return errors == 1 && callbacks == 3; }));
  settle(loop);
  socket->close();
  holder->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(errors == 1);
  CHECK(listening == 0);
  CHECK(callbacks == 3);
  CHECK(failed == 3);
  CHECK(messages == 0);
}

TEST_CASE(
    "a bind whose lookup fails emits one 'error', the queued sends fail once "
    "each",
    "[send][queue][error][lookup]") {
  dgram::Loop loop;
  dgram::SocketOptions options;
  int lookups = 0;
  options.lookup = [&](std::string_view, dgram::Family,
                       dgram::LookupCallback done) {
    ++lookups;
    done(dgram::Error("ENOTFOUND", "getaddrinfo ENOTFOUND nowhere.test"), "",
         dgram::Family::IPv4);
  };
  auto socket = test::makeSocket(loop, options);
  int errors = 0;
  int callbacks = 0;
  socket->on(dgram::error, [&](const dgram::Error&) { ++errors; });
  // A bind that cannot even be looked up, then sends behind it.
  socket->bind(0, "nowhere.test");
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t) {
    CHECK(err);
    ++callbacks;
  };
  socket->send("a", 9, "127.0.0.1", cb);
  socket->send("b", 9, "127.0.0.1", cb);
  REQUIRE(test::runUntil(loop, [&] { return errors >= 1 && callbacks == 2; }));
  settle(loop);
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(errors == 1);
  CHECK(callbacks == 2);
  CHECK(lookups >= 1);
}

TEST_CASE(
    "close while binding: queued sends are flushed or cancelled, never lost",
    "[send][queue][close]") {
  dgram::Loop loop;
  std::vector<std::string> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.push_back(msg.str());
      });
  const int port = receiver->address().port;
  auto socket = test::makeSocket(loop);
  int ok = 0;
  int cancelled = 0;
  int callbacks = 0;
  bool returned = false;
  auto cb = [&](const std::optional<dgram::Error>& err, std::size_t) {
    CHECK(returned);
    ++callbacks;
    if (!err) {
      ++ok;
    } else {
      CHECK(err->code() == "ECANCELED");
      ++cancelled;
    }
  };
  socket->send("q1", port, "127.0.0.1", cb);
  socket->send("q2", port, "127.0.0.1", cb);
  int closes = 0;
  socket->close([&] { ++closes; });
  returned = true;
  REQUIRE(test::runUntil(loop, [&] { return closes == 1 && callbacks == 2; }));
  settle(loop);
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 2);
  CHECK(closes == 1);
  CHECK(ok + cancelled == 2);
  // What the callbacks said is what happened.
  CHECK(static_cast<int>(received.size()) == ok);
}

TEST_CASE("a send waiting for its lookup when the socket closes gets ECANCELED",
          "[send][queue][close][lookup]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  const int port = receiver->address().port;
  dgram::SocketOptions options;
  std::vector<dgram::LookupCallback> pending;
  options.lookup = [&](std::string_view, dgram::Family,
                       dgram::LookupCallback done) {
    pending.push_back(std::move(done));  // answered only after the close
  };
  auto socket = test::makeSocket(loop, options);
  bool bound = false;
  socket->bind(0, "127.0.0.1", [&] { bound = true; });
  REQUIRE(test::runUntil(loop, [&] { return bound || !pending.empty(); }));
  // A numeric bind address may skip the lookup; answer it if it did not.
  if (!bound) {
    for (auto& done : pending)
      done(std::nullopt, "127.0.0.1", dgram::Family::IPv4);
    pending.clear();
    REQUIRE(test::runUntil(loop, [&] { return bound; }));
  }
  int callbacks = 0;
  std::optional<dgram::Error> seen;
  socket->send("late", port, "slow.example",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 ++callbacks;
                 seen = err;
               });
  REQUIRE(test::runUntil(loop, [&] { return !pending.empty(); }));
  int closes = 0;
  socket->close([&] { ++closes; });
  REQUIRE(test::runUntil(loop, [&] { return callbacks == 1 && closes == 1; }));
  // The lookup answering after the close changes nothing.
  for (auto& done : pending)
    done(std::nullopt, "127.0.0.1", dgram::Family::IPv4);
  settle(loop);
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  REQUIRE(seen);
  CHECK(seen->code() == "ECANCELED");
  CHECK(callbacks == 1);
  CHECK(closes == 1);
  CHECK(messages == 0);
}

TEST_CASE(
    "close while connect waits for its lookup: no 'connect', queued "
    "unconnected sends complete once",
    "[send][queue][close][connect]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  const int port = receiver->address().port;
  dgram::SocketOptions options;
  std::vector<dgram::LookupCallback> pending;
  options.lookup = [&](std::string_view host, dgram::Family,
                       dgram::LookupCallback done) {
    if (host == "slow.example")
      pending.push_back(std::move(done));
    else
      done(std::nullopt, host, dgram::Family::IPv4);
  };
  auto socket = test::makeSocket(loop, options);
  int connectEvents = 0;
  socket->on(dgram::connect, [&] { ++connectEvents; });
  int connectCallbacks = 0;
  int connectErrors = 0;
  socket->connect(port, "slow.example",
                  [&](const std::optional<dgram::Error>& err) {
                    ++connectCallbacks;
                    if (err) ++connectErrors;
                  });
  // Connecting is not connected: the connected form is refused (Node).
  CHECK_THROWS_AS(socket->send("connected form"), dgram::Error);
  int sendCallbacks = 0;
  int ok = 0;
  socket->send("unconnected form", port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 ++sendCallbacks;
                 if (!err)
                   ++ok;
                 else
                   CHECK(err->code() == "ECANCELED");
               });
  REQUIRE(test::runUntil(loop, [&] { return !pending.empty(); }));
  int closes = 0;
  socket->close([&] { ++closes; });
  REQUIRE(
      test::runUntil(loop, [&] { return sendCallbacks == 1 && closes == 1; }));
  for (auto& done : pending)
    done(std::nullopt, "127.0.0.1", dgram::Family::IPv4);
  settle(loop);
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sendCallbacks == 1);
  CHECK(closes == 1);
  CHECK(messages == ok);
  CHECK(connectEvents == 0);
  // Node never calls a connect callback overtaken by close; if this library
  // does, it is once and with an error.
  CHECK(connectCallbacks <= 1);
  CHECK(connectErrors == connectCallbacks);
}
