// The caller may reuse its buffer as soon as send() returns, whichever
// form it called: one buffer, a slice of one, a list of pieces (braced or
// a vector of Bytes), an empty list. Sends of one loop turn after the
// first are queued (they leave together at the turn's end), so each has
// to keep a copy of its bytes; and the requests that carry them are
// pooled, so a request that carried a list of pieces carries a single
// buffer next, and the other way round. Here every buffer is overwritten
// right after its send() returns, and the receiver must see each datagram
// as it was at the call, in call order.
#include "support/catch.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/socket_helpers.hpp"

namespace {

using namespace std::chrono_literals;

// Enough sends from one turn to fill a sendmmsg batch (64) and start the
// next, and to cycle every request through the pool a few times.
constexpr int kRounds = 30;

// What round `i` sends, form by form, and what the receiver must see.
std::string text(int i, char tag) {
  return std::string(static_cast<std::size_t>(3 + i % 7), tag) +
         std::to_string(i);
}

}  // namespace

TEST_CASE("every send form copies what it queues: buffers reused at once",
          "[send][batch][queue]") {
  dgram::Loop loop;
  test::Collector sink(loop);
  const int port = sink.port;
  auto sender = test::boundSocket(loop);
  std::vector<std::string> expected;
  int callbacks = 0;
  auto counted = [&callbacks](const std::optional<dgram::Error>& err,
                              std::size_t) {
    CHECK_FALSE(err);
    ++callbacks;
  };
  bool fired = false;
  loop.setTimeout(0ms, [&] {
    std::string scratch;
    std::string head;
    std::string tail;
    for (int i = 0; i < kRounds; ++i) {
      // One buffer.
      scratch = text(i, 'a');
      expected.push_back(scratch);
      sender->send(scratch, port, "127.0.0.1", counted);
      scratch.assign(scratch.size(), '#');
      // A slice of one.
      scratch = "<<" + text(i, 'b') + ">>";
      expected.push_back(scratch.substr(2, scratch.size() - 4));
      sender->send(scratch, 2, scratch.size() - 4, port, "127.0.0.1", counted);
      scratch.assign(scratch.size(), '#');
      // A braced list of pieces, joined into one datagram.
      head = text(i, 'c');
      tail = text(i, 'd');
      expected.push_back(head + tail);
      sender->send({head, tail}, port, "127.0.0.1", counted);
      head.assign(head.size(), '#');
      tail.assign(tail.size(), '#');
      // A vector of Bytes (each views the caller's memory).
      head = text(i, 'e');
      tail = text(i, 'f');
      expected.push_back(head + tail + head);
      sender->send(
          std::vector<dgram::Bytes>{dgram::Bytes(head.data(), head.size()),
                                    dgram::Bytes(tail.data(), tail.size()),
                                    dgram::Bytes(head.data(), head.size())},
          port, "127.0.0.1", counted);
      head.assign(head.size(), '#');
      tail.assign(tail.size(), '#');
      // No pieces at all: an empty datagram.
      expected.push_back("");
      sender->send(std::initializer_list<dgram::ByteView>{}, port, "127.0.0.1",
                   counted);
    }
    // Where sends of a turn are batched (POSIX), all but the first are
    // still queued here and their copies are what will leave; Windows'
    // overlapped sends take theirs over as they start.
    CHECK(callbacks == 0);  // never inside send()
    fired = true;
  });
  REQUIRE(test::runUntil(loop, [&] {
    return fired && callbacks == static_cast<int>(expected.size()) &&
           sink.received.size() == expected.size();
  }));
  CHECK(sink.received == expected);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a callback's next send copies its bytes too: buffer reused at once",
          "[send][batch][queue][completion]") {
  // The usual sender: a window of sends in flight, each callback issuing
  // the next, all of one size, from one buffer that is overwritten right
  // after send() returns. Such a send, made while a batch waits, takes a
  // pooled request whose copy already has its size (the shortest path of
  // all, Socket::send's own): its bytes are copied all the same.
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  // A window the receiver keeps up with (one read a turn takes a batch),
  // so that no datagram is dropped on the way.
  constexpr int kWindow = 16;
  constexpr int kTotal = 400;
  constexpr std::size_t kSize = 48;
  std::string buffer;
  std::vector<std::string> expected;
  int issued = 0;
  int done = 0;
  std::function<void()> issue = [&] {
    int i = issued++;
    buffer = text(i, 'a' + i % 26);
    buffer.resize(kSize, '.');
    expected.push_back(buffer);
    sender->send(
        buffer, sink.port, "127.0.0.1",
        [&](const std::optional<dgram::Error>& err, std::size_t bytes) {
          CHECK_FALSE(err);
          CHECK(bytes == kSize);
          ++done;
          if (issued < kTotal) issue();
        });
    buffer.assign(kSize, '#');
  };
  loop.setTimeout(0ms, [&] {
    for (int i = 0; i < kWindow; ++i)
      issue();
  });
  bool finished = test::runUntil(loop, [&] {
    return done == kTotal &&
           sink.received.size() == static_cast<std::size_t>(kTotal);
  });
  INFO("callbacks " << done << ", received " << sink.received.size());
  REQUIRE(finished);
  CHECK(sink.received == expected);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a pooled request keeps nothing of how its last send was queued",
          "[send][batch][queue][completion]") {
  // A request that joined a waiting batch the shortest way (equal sends
  // of a busy turn: the pool knows it holds one piece and a small copy)
  // is recycled as such; when it carries a list of pieces next, sent at
  // once and so never copied, it must be recycled as that, or the send
  // after it would find the old pieces.
  dgram::Loop loop;
  test::Collector sink(loop);
  auto sender = test::boundSocket(loop);
  std::vector<std::string> expected;
  int done = 0;
  auto counted = [&done](const std::optional<dgram::Error>& err, std::size_t) {
    CHECK_FALSE(err);
    ++done;
  };
  constexpr int kEqual = 10;
  auto sendEqual = [&](char tag) {
    for (int i = 0; i < kEqual; ++i) {
      std::string buffer = text(i, tag);
      buffer.resize(16, '.');
      expected.push_back(buffer);
      sender->send(buffer, sink.port, "127.0.0.1", counted);
    }
  };
  auto turn = [&](const std::function<void()>& work) {
    bool ran = false;
    int before = done;
    std::size_t sent = expected.size();
    loop.setTimeout(0ms, [&] {
      work();
      ran = true;
    });
    REQUIRE(test::runUntil(loop, [&] {
      return ran && done == before + static_cast<int>(expected.size() - sent) &&
             sink.received.size() == expected.size();
    }));
  };
  // The first turn fills the pool with requests, the next gives each a
  // 16-byte copy, and in the third all but the first two (the one that
  // leaves at once and the one that starts the batch) join the batch from
  // the pool: the last of them is the pool's next.
  for (char tag : {'a', 'b', 'c'})
    turn([&] { sendEqual(tag); });
  turn([&] {
    std::string head = "list-head";
    std::string tail = "list-tail";
    expected.push_back(head + tail);
    sender->send({head, tail}, sink.port, "127.0.0.1", counted);
    head.assign(head.size(), '#');
    tail.assign(tail.size(), '#');
  });
  turn([&] { sendEqual('d'); });
  CHECK(sink.received == expected);
  sender->close();
  sink.socket->close();
  CHECK(test::runUntilIdle(loop));
}
