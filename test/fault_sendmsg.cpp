// sendmsg and sendmmsg failures injected through the fault seam: EAGAIN
// and ENOBUFS queue the datagrams until the socket is writable (counted in
// the send queue meanwhile), ENOMEM fails that one send, EINTR is retried
// at once. In each case nothing is lost or reordered, every callback runs
// once and the socket is usable afterwards. Sends issued outside the loop
// go out one by one (sendmsg); sends issued in a loop turn after its
// first, and a queue retried when writable, leave in batches (sendmmsg).
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

namespace {

using test::FaultScope;

struct Run {
  std::vector<std::optional<dgram::Error>> errors;
  std::vector<int> calls;
  std::string received;
  std::size_t queuedCount = 0;
  std::size_t queuedBytes = 0;
  long batchCalls = 0;    ///< sendmmsg attempts
  long sendmsgCalls = 0;  ///< sendmsg attempts
};

struct Fault {
  fault::Call call;
  int nth;
  int error;
  int times;
};

// Sends "a".."e" (then "f" once all are done) with `faults` armed; from
// the program (outside the loop) or from a timer (inside a loop turn).
Run sendFive(std::vector<Fault> faults, bool inTurn = false) {
  FaultScope scope;
  dgram::Loop loop;
  Run run;
  run.errors.resize(6);
  run.calls.assign(6, 0);
  auto receiver =
      test::boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        run.received.push_back(static_cast<char>(msg.data()[0]));
      });
  auto sender = test::boundSocket(loop);
  int port = receiver->address().port;
  auto sendOne = [&](int i) {
    sender->send(
        std::string(1, static_cast<char>('a' + i)), port, "127.0.0.1",
        [&run, i](const std::optional<dgram::Error>& err, std::size_t) {
          run.errors[static_cast<std::size_t>(i)] = err;
          ++run.calls[static_cast<std::size_t>(i)];
        });
  };
  for (const Fault& f : faults)
    fault::failNth(f.call, f.nth, f.error, f.times);
  auto sendAll = [&] {
    for (int i = 0; i < 5; ++i)
      sendOne(i);
    run.queuedCount = sender->getSendQueueCount();
    run.queuedBytes = sender->getSendQueueSize();
  };
  if (inTurn)
    loop.setTimeout(std::chrono::milliseconds(0), sendAll);
  else
    sendAll();
  auto allDone = [&](int n) {
    for (int i = 0; i < n; ++i)
      if (run.calls[static_cast<std::size_t>(i)] == 0) return false;
    return true;
  };
  REQUIRE(test::runUntil(loop, [&] { return allDone(5); }));
  CHECK(sender->getSendQueueCount() == 0);
  CHECK(sender->getSendQueueSize() == 0);
  // Usable afterwards.
  sendOne(5);
  std::size_t expected = faults.front().error == ENOMEM ? 5 : 6;
  REQUIRE(test::runUntil(
      loop, [&] { return allDone(6) && run.received.size() == expected; }));
  sender->close();
  receiver->close();
  CHECK(test::runUntilIdle(loop));
  run.batchCalls = fault::calls(fault::Call::sendmmsg);
  run.sendmsgCalls = fault::calls(fault::Call::sendmsg);
  return run;
}

// A fault on the batch that five sends in one turn make at its end ("b"
// to "e": one sendmmsg), or where the build has no sendmmsg on the first
// of their sendmsg calls ("a" left at once with the first).
Fault batchFault(int error, int times) {
  if (test::kBatchedSends) return {fault::Call::sendmmsg, 1, error, times};
  return {fault::Call::sendmsg, 2, error, times};
}

// Every send delivered in order, each callback once and without error.
void checkAllDelivered(const Run& run) {
  CHECK(run.received == "abcdef");
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(run.calls[i] == 1);
    CHECK_FALSE(run.errors[i]);
  }
}

}  // namespace

TEST_CASE("sendmsg EAGAIN: queued, retried when writable, in order",
          "[fault][send]") {
  Run run = sendFive({{fault::Call::sendmsg, 2, EAGAIN, 1}});
  CHECK(run.queuedCount == 4);  // b, and c..e behind it
  CHECK(run.queuedBytes == 4);
  checkAllDelivered(run);
}

TEST_CASE("sendmsg ENOBUFS is handled as EAGAIN and counted while it waits",
          "[fault][send]") {
  Run run = sendFive({{fault::Call::sendmsg, 2, ENOBUFS, 1}});
  CHECK(run.queuedCount == 4);
  CHECK(run.queuedBytes == 4);
  checkAllDelivered(run);
}

TEST_CASE("sendmsg ENOBUFS again on retry still delivers in order",
          "[fault][send]") {
  // The queue (b..e) is retried in batches: those fail too, twice.
  // Without sendmmsg each retry is b's sendmsg again.
  if (test::kBatchedSends) {
    Run run = sendFive({{fault::Call::sendmsg, 2, ENOBUFS, 1},
                        {fault::Call::sendmmsg, 1, ENOBUFS, 2}});
    CHECK(run.batchCalls >= 3);
    checkAllDelivered(run);
  } else {
    Run run = sendFive({{fault::Call::sendmsg, 2, ENOBUFS, 3}});
    CHECK(run.sendmsgCalls == 9);  // a, b refused three times, b..f
    checkAllDelivered(run);
  }
}

// ENOBUFS can last while the socket polls writable (an interface queue is
// full): waiting for writability would retry in a busy loop (libuv#5194).
TEST_CASE("a lasting ENOBUFS is retried after pauses, not in a busy loop",
          "[fault][send]") {
  FaultScope scope;
  dgram::Loop loop;
  int received = 0;
  auto receiver = test::boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++received; });
  auto sender = test::boundSocket(loop);
  fault::failNth(fault::Call::sendmsg, 1, ENOBUFS, 1 << 30);
  int calls = 0;
  std::optional<dgram::Error> error;
  sender->send("x", receiver->address().port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 error = err;
                 ++calls;
               });
  test::settle(loop, std::chrono::milliseconds(100));
  CHECK(calls == 0);
  CHECK(sender->getSendQueueCount() == 1);
  CHECK(sender->getSendQueueSize() == 1);
  // One attempt per pause (1 ms) at most, with slack for a slow machine.
  CHECK(fault::calls(fault::Call::sendmsg) < 200);
  fault::reset();  // the interface has room again
  REQUIRE(test::runUntil(loop, [&] { return calls == 1 && received == 1; }));
  CHECK_FALSE(error);
  CHECK(sender->getSendQueueCount() == 0);
  sender->close();
  receiver->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("sendmsg ENOMEM fails that send only", "[fault][send]") {
  Run run = sendFive({{fault::Call::sendmsg, 2, ENOMEM, 1}});
  CHECK(run.queuedCount == 0);
  CHECK(run.received == "acdef");
  for (std::size_t i = 0; i < 6; ++i)
    CHECK(run.calls[i] == 1);
  REQUIRE(run.errors[1]);
  CHECK(run.errors[1]->code() == "ENOMEM");
  CHECK(run.errors[1]->syscall() == "send");
  CHECK(run.errors[1]->port() > 0);
  for (std::size_t i : {0u, 2u, 3u, 4u, 5u})
    CHECK_FALSE(run.errors[i]);
}

TEST_CASE("sendmsg EINTR is retried at once, invisibly", "[fault][send]") {
  Run run = sendFive({{fault::Call::sendmsg, 2, EINTR, 3}});
  CHECK(run.queuedCount == 0);
  checkAllDelivered(run);
}

// The same faults on a batch: of five sends issued in one turn the first
// leaves at once (sendmsg) and the other four in one sendmmsg at its end
// (where the system has it; else one sendmsg each, the fault on the first).
TEST_CASE("sendmmsg EAGAIN: the batch waits for writability, in order",
          "[fault][send][batch]") {
  Run run = sendFive({batchFault(EAGAIN, 1)}, true);
  CHECK(run.queuedCount == 4);
  CHECK(run.queuedBytes == 4);
  checkAllDelivered(run);
}

TEST_CASE("sendmmsg ENOBUFS, again on retry: paused, then in order",
          "[fault][send][batch]") {
  Run run = sendFive({batchFault(ENOBUFS, 3)}, true);
  checkAllDelivered(run);
}

TEST_CASE("sendmmsg ENOMEM fails the oldest send of the batch only",
          "[fault][send][batch]") {
  Run run = sendFive({batchFault(ENOMEM, 1)}, true);
  CHECK(run.received == "acdef");  // "a" left at once; "b" led the batch
  for (std::size_t i = 0; i < 6; ++i)
    CHECK(run.calls[i] == 1);
  REQUIRE(run.errors[1]);
  CHECK(run.errors[1]->code() == "ENOMEM");
  CHECK(run.errors[1]->syscall() == "send");
  for (std::size_t i : {0u, 2u, 3u, 4u, 5u})
    CHECK_FALSE(run.errors[i]);
}

TEST_CASE("sendmmsg EINTR is retried at once, invisibly",
          "[fault][send][batch]") {
  Run run = sendFive({batchFault(EINTR, 3)}, true);
  checkAllDelivered(run);
}

#endif  // DGRAM_FAULT_INJECTION && !_WIN32
