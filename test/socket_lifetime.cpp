// The ownership rule (README "Lifetime"): the user's shared_ptr plus one
// reference the loop holds while the socket has something to do. At
// 'close' every listener and callback is released, so captures are freed;
// a socket nobody holds with nothing pending is destroyed. Proven with
// weak_ptrs (and under ASan/LeakSanitizer in CI).
#include "support/catch.hpp"

#include <memory>
#include <optional>
#include <stdexcept>

#include "support/socket_helpers.hpp"

namespace {

/// Runs the loop until it stops throwing and is idle (bounded).
void drain(dgram::Loop& loop) {
  for (int i = 0; i < 100; ++i) {
    try {
      if (!loop.runOnce(std::chrono::milliseconds(10))) return;
    } catch (const std::exception&) {
    }
  }
}

}  // namespace

TEST_CASE("the echo idiom does not keep a closed socket alive",
          "[lifetime][close]") {
  dgram::Loop loop;
  auto s = test::boundSocket(loop);
  s->on(dgram::message, [s](dgram::Bytes msg, const dgram::RemoteInfo& r) {
    s->send(msg, r.port, r.address);
  });
  s->on(dgram::close, [s] {});
  s->on(dgram::error, [s](const dgram::Error&) {});
  std::weak_ptr<dgram::Socket> weak = s;
  s->close();
  s.reset();
  CHECK(test::runUntilIdle(loop));
  CHECK(weak.expired());
}

TEST_CASE("close callbacks and listeners run before they are released",
          "[lifetime][close]") {
  dgram::Loop loop;
  auto s = test::makeSocket(loop);
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> weakToken = token;
  int closes = 0;
  s->on(dgram::close, [token, &closes] { ++closes; });
  s->close([token, &closes] { ++closes; });
  token.reset();
  CHECK_FALSE(weakToken.expired());  // still held: 'close' has not run
  CHECK(test::runUntilIdle(loop));
  CHECK(closes == 2);
  CHECK(weakToken.expired());  // released after 'close', socket still held
  // A listener added after 'close' can never run: it is not kept.
  auto late = std::make_shared<int>(0);
  std::weak_ptr<int> weakLate = late;
  s->on(dgram::message, [late](dgram::Bytes, const dgram::RemoteInfo&) {});
  late.reset();
  CHECK(weakLate.expired());
}

// The bind's step takes its callback out of the space the platform socket
// is then built in: what the callback captures must go with it once it
// has run (not stay behind in that space), while the socket stays open.
// Both steps: the usual bind, and one with a send waiting behind it.
TEST_CASE("a bind callback is released once it has run, the socket open",
          "[lifetime][bind]") {
  dgram::Loop loop;
  auto receiver = test::boundSocket(loop);
  int port = receiver->address().port;
  for (bool sendWaits : {false, true}) {
    CAPTURE(sendWaits);
    auto s = test::makeSocket(loop);
    auto token = std::make_shared<int>(0);
    std::weak_ptr<int> weakToken = token;
    int called = 0;
    s->bind(0, "127.0.0.1", [token, &called] { ++called; });
    token.reset();
    int sent = 0;
    if (sendWaits)
      s->send("x", port, "127.0.0.1",
              [&](const std::optional<dgram::Error>&, std::size_t) { ++sent; });
    CHECK_FALSE(weakToken.expired());  // still held: the bind waits
    for (int i = 0; i < 100 && (called == 0 || sent != int(sendWaits)); ++i)
      loop.runOnce(std::chrono::milliseconds(10));
    CHECK(called == 1);
    CHECK(weakToken.expired());  // released, the socket bound and open
    CHECK(s->address().port != 0);
    s->close();
  }
  receiver->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a socket never bound and never closed dies with its last handle",
          "[lifetime]") {
  dgram::Loop loop;
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> weakToken = token;
  auto s = test::makeSocket(loop, dgram::Type::udp4,
                            [token](dgram::Bytes, const dgram::RemoteInfo&) {});
  token.reset();
  std::weak_ptr<dgram::Socket> weak = s;
  s.reset();
  CHECK(weak.expired());
  CHECK(weakToken.expired());
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a bound socket stays alive without a handle until it closes",
          "[lifetime]") {
  dgram::Loop loop;
  int received = 0;
  auto s = test::boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++received; });
  std::weak_ptr<dgram::Socket> weak = s;
  int port = s->address().port;
  s.reset();
  REQUIRE_FALSE(weak.expired());
  auto sender = test::boundSocket(loop);
  sender->send("x", port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return received == 1; }));
  weak.lock()->close();
  sender->close();
  CHECK(test::runUntilIdle(loop));
  CHECK(weak.expired());
}

TEST_CASE("a socket with sends pending lives until their callbacks ran",
          "[lifetime][send]") {
  dgram::Loop loop;
  auto receiver = test::boundSocket(loop);
  int port = receiver->address().port;
  auto s = test::makeSocket(loop);
  std::weak_ptr<dgram::Socket> weak = s;
  int done = 0;
  s->send("x", port, "127.0.0.1",
          [&](const std::optional<dgram::Error>& err, std::size_t) {
            CHECK_FALSE(err);
            ++done;
          });
  s.reset();
  REQUIRE(test::runUntil(loop, [&] { return done == 1; }));
  CHECK_FALSE(weak.expired());  // bound and open
  weak.lock()->close();
  receiver->close();
  CHECK(test::runUntilIdle(loop));
  CHECK(weak.expired());
}

TEST_CASE("a socket whose bind failed and that nobody holds is destroyed",
          "[lifetime][bind]") {
  dgram::Loop loop;
  auto taken = test::boundSocket(loop);
  auto s = test::makeSocket(loop);
  std::weak_ptr<dgram::Socket> weak = s;
  int errors = 0;
  s->on(dgram::error, [&](const dgram::Error&) { ++errors; });
  s->bind(taken->address().port, "127.0.0.1");
  s.reset();
  REQUIRE_FALSE(weak.expired());  // binding: the loop holds it
  REQUIRE(test::runUntil(loop, [&] { return errors == 1; }));
  CHECK(weak.expired());
  taken->close();
  CHECK(test::runUntilIdle(loop));
}

// Issue 10, item 1: deferred work held a raw `this` that ran after the
// socket was freed (ASan: heap-use-after-free in flushCompletions).
TEST_CASE(
    "a throwing send callback, then close and drop: nothing freed is "
    "touched",
    "[lifetime][exception][send]") {
  dgram::Loop loop;
  auto receiver = test::boundSocket(loop);
  int port = receiver->address().port;
  for (int variant = 0; variant < 2; ++variant) {
    auto s = test::boundSocket(loop);
    std::weak_ptr<dgram::Socket> weak = s;
    int calls[3] = {0, 0, 0};
    dgram::Socket* raw = s.get();
    for (int i = 0; i < 3; ++i) {
      s->send("x", port, "127.0.0.1",
              [&calls, i, variant, raw](const std::optional<dgram::Error>&,
                                        std::size_t) {
                ++calls[i];
                if (i == 0) {
                  // Variant 1 closes from inside the callback.
                  if (variant == 1) raw->close();
                  throw std::runtime_error("from a send callback");
                }
              });
    }
    CHECK_THROWS_AS(loop.run(), std::runtime_error);
    if (variant == 0) s->close();
    s.reset();
    drain(loop);
    CHECK(calls[0] == 1);
    CHECK(calls[1] == 1);
    CHECK(calls[2] == 1);
    CHECK(weak.expired());
  }
  receiver->close();
  CHECK(test::runUntilIdle(loop));
}
