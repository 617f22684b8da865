// A socket's first send of a loop turn leaves at once when nothing waits
// ahead of it (a reply from a 'message' listener is one sendmsg, made
// inside send()); its later sends of the turn batch at the turn's end. A
// first send the kernel cannot take now (EAGAIN) waits for writability
// without being tried twice, and one it refuses fails as any send does
// (in its callback; without one, silently, as in Node).
#include "support/catch.hpp"

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "common/fault_injection.hpp"
#include "support/fault_scope.hpp"
#include "support/socket_helpers.hpp"

#if defined(DGRAM_FAULT_INJECTION) && !defined(_WIN32)

namespace fault = dgram::detail::fault;

TEST_CASE("a reply from a 'message' listener leaves inside send()",
          "[send][at-once]") {
  test::FaultScope scope;
  dgram::Loop loop;
  test::Collector sink(loop);
  auto echo = test::boundSocket(loop);
  long callsInSend = -1;
  std::size_t queuedAfterFirst = 99, queuedAfterThird = 99;
  long callsInTurn = -1;
  echo->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    long before = test::sendSyscalls();
    echo->send(msg, sink.port, "127.0.0.1");
    callsInSend = test::sendSyscalls() - before;
    queuedAfterFirst = echo->getSendQueueCount();
    echo->send("second", sink.port, "127.0.0.1");
    echo->send("third", sink.port, "127.0.0.1");
    queuedAfterThird = echo->getSendQueueCount();
    callsInTurn = test::sendSyscalls() - before;
  });
  auto trigger = test::boundSocket(loop);
  trigger->send("first", echo->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return sink.received.size() == 3; }));
  CHECK(callsInSend == 1);
  CHECK(queuedAfterFirst == 0);
  CHECK(queuedAfterThird == 2);  // they wait for the end of the turn
  CHECK(callsInTurn == 1);
  CHECK(sink.received == std::vector<std::string>{"first", "second", "third"});
  for (auto* s : {&sink.socket, &echo, &trigger})
    (*s)->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("each socket's first send of a turn leaves at once",
          "[send][at-once]") {
  test::FaultScope scope;
  dgram::Loop loop;
  test::Collector sink(loop);
  auto a = test::boundSocket(loop);
  auto b = test::boundSocket(loop);
  long calls = -1;
  bool fired = false;
  loop.setTimeout(std::chrono::milliseconds(0), [&] {
    long before = test::sendSyscalls();
    a->send("a", sink.port, "127.0.0.1");
    b->send("b", sink.port, "127.0.0.1");
    calls = test::sendSyscalls() - before;
    fired = true;
  });
  REQUIRE(
      test::runUntil(loop, [&] { return fired && sink.received.size() == 2; }));
  CHECK(calls == 2);
  for (auto* s : {&sink.socket, &a, &b})
    (*s)->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a first send interrupted by a signal is made again at once",
          "[send][at-once][fault]") {
  // The callback-less send's retry is out of line (its usual path keeps
  // no argument for it): three interruptions, then the kernel takes it,
  // all inside send(), and nothing is reported.
  test::FaultScope scope;
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  int errors = 0;
  sender->on(dgram::error, [&](const dgram::Error&) { ++errors; });
  long callsInSend = -1;
  std::size_t queued = 99;
  bool fired = false;
  loop.setTimeout(std::chrono::milliseconds(0), [&] {
    fault::failNth(fault::Call::sendmsg, 1, EINTR, 3);
    long before = test::sendSyscalls();
    sender->send("again", sink.port, "127.0.0.1");  // no callback
    callsInSend = test::sendSyscalls() - before;
    queued = sender->getSendQueueCount();
    fired = true;
  });
  REQUIRE(
      test::runUntil(loop, [&] { return fired && sink.received.size() == 1; }));
  CHECK(callsInSend == 4);  // three interrupted, the fourth taken
  CHECK(queued == 0);
  CHECK(sink.received == std::vector<std::string>{"again"});
  test::settle(loop);
  CHECK(errors == 0);
  CHECK(sink.received.size() == 1);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a first send that meets EAGAIN waits for writability, tried once",
          "[send][at-once][fault]") {
  test::FaultScope scope;
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  std::size_t queued = 99;
  long callsInTurn = -1;
  bool fired = false;
  loop.setTimeout(std::chrono::milliseconds(0), [&] {
    fault::failNth(fault::Call::sendmsg, 1, EAGAIN, 1);
    long before = test::sendSyscalls();
    sender->send("waits", sink.port, "127.0.0.1");  // no callback
    sender->send("behind", sink.port, "127.0.0.1",
                 [](const std::optional<dgram::Error>&, std::size_t) {});
    callsInTurn = test::sendSyscalls() - before;
    queued = sender->getSendQueueCount();
    fired = true;
  });
  REQUIRE(
      test::runUntil(loop, [&] { return fired && sink.received.size() == 2; }));
  CHECK(callsInTurn == 1);  // the refused attempt, not repeated
  CHECK(queued == 2);
  CHECK(sink.received == std::vector<std::string>{"waits", "behind"});
  CHECK(sender->getSendQueueCount() == 0);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a refused first send fails in its callback, on a later turn",
          "[send][at-once][fault][error]") {
  // Without a callback the error goes nowhere, as in Node (only lookup
  // errors are emitted): nothing is emitted and the socket works on.
  test::FaultScope scope;
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  std::vector<std::string> emitted;
  sender->on(dgram::error,
             [&](const dgram::Error& e) { emitted.push_back(e.code()); });
  std::vector<std::string> results;
  bool inSend = false, calledInSend = false, fired = false;
  loop.setTimeout(std::chrono::milliseconds(0), [&] {
    fault::failNth(fault::Call::sendmsg, 1, ENOMEM, 1);
    inSend = true;
    sender->send(
        "refused", sink.port, "127.0.0.1",
        [&](const std::optional<dgram::Error>& err, std::size_t) {
          calledInSend = calledInSend || inSend;
          results.push_back(err ? err->code() + " " + err->syscall() : "ok");
        });
    inSend = false;
    fired = true;
  });
  REQUIRE(test::runUntil(loop, [&] { return fired && results.size() == 1; }));
  CHECK(results == std::vector<std::string>{"ENOMEM send"});
  CHECK_FALSE(calledInSend);
  fired = false;
  loop.setTimeout(std::chrono::milliseconds(0), [&] {
    fault::failNth(fault::Call::sendmsg, 1, ENOMEM, 1);
    sender->send("dropped", sink.port, "127.0.0.1");
    sender->send("after", sink.port, "127.0.0.1");
    fired = true;
  });
  REQUIRE(
      test::runUntil(loop, [&] { return fired && sink.received.size() == 1; }));
  CHECK(sink.received == std::vector<std::string>{"after"});
  CHECK(emitted.empty());
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a large datagram leaves at once after the turn's first send",
          "[send][at-once]") {
  // Batching it would cost a copy of its payload (an allocation, for the
  // largest) to save one system call; it still never overtakes a send
  // queued ahead of it.
  test::FaultScope scope;
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  const std::string large(3000, 'L');
  long callsForLarge = -1;
  std::size_t queuedAfterLarge = 99, queuedAfterSmall = 99, queuedBehind = 99;
  bool fired = false;
  int results = 0;
  auto counted = [&](const std::optional<dgram::Error>& err, std::size_t) {
    if (!err) ++results;
  };
  loop.setTimeout(std::chrono::milliseconds(0), [&] {
    sender->send("first", sink.port, "127.0.0.1");  // at once, as ever
    long before = test::sendSyscalls();
    sender->send(large, sink.port, "127.0.0.1", counted);
    callsForLarge = test::sendSyscalls() - before;
    queuedAfterLarge = sender->getSendQueueCount();
    sender->send("small", sink.port, "127.0.0.1");  // batched
    queuedAfterSmall = sender->getSendQueueCount();
    sender->send(large, sink.port, "127.0.0.1", counted);  // behind it
    queuedBehind = sender->getSendQueueCount();
    fired = true;
  });
  REQUIRE(
      test::runUntil(loop, [&] { return fired && sink.received.size() == 4; }));
  CHECK(callsForLarge == 1);
  CHECK(queuedAfterLarge == 0);
  CHECK(queuedAfterSmall == 1);
  CHECK(queuedBehind == 2);
  CHECK(sink.received ==
        std::vector<std::string>{"first", large, "small", large});
  REQUIRE(test::runUntil(loop, [&] { return results == 2; }));
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

#endif  // DGRAM_FAULT_INJECTION && !_WIN32
