// ref() / unref() and what keeps the loop alive (reference O9, X4).
#include "support/catch.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using test::boundSocket;

using namespace std::chrono_literals;

// Runs loop.run() with a watchdog thread that stops it after `limit`;
// returns whether run() came back by itself in time.
bool runReturnsWithin(dgram::Loop& loop, std::chrono::milliseconds limit) {
  std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  std::atomic<bool> stoppedByWatchdog{false};
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(m);
    if (!cv.wait_for(lock, limit, [&] { return finished; })) {
      stoppedByWatchdog = true;
      loop.stop();
    }
  });
  try {
    loop.run();
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(m);
      finished = true;
    }
    cv.notify_one();
    watchdog.join();
    throw;
  }
  {
    std::lock_guard<std::mutex> lock(m);
    finished = true;
  }
  cv.notify_one();
  watchdog.join();
  return !stoppedByWatchdog;
}

}  // namespace

TEST_CASE("ref() and unref() return the socket", "[ref]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  CHECK(&socket->ref() == socket.get());
  CHECK(&socket->unref() == socket.get());
  socket->bind(0, "127.0.0.1");
  CHECK(&socket->unref() == socket.get());
  CHECK(&socket->ref() == socket.get());
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("unbound sockets do not keep the loop alive", "[ref]") {
  dgram::Loop loop;
  auto a = test::makeSocket(loop, dgram::Type::udp4);
  auto b = test::makeSocket(loop, dgram::Type::udp6);
  b->ref();
  CHECK(test::runUntilIdle(loop, 2s));
  CHECK(runReturnsWithin(loop, 2s));
  a->close();
  b->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE(
    "a bound ref'd socket keeps the loop alive, unref'd it lets run() return",
    "[ref]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  CHECK_FALSE(test::runUntilIdle(loop, 100ms));
  socket->unref();
  CHECK(test::runUntilIdle(loop, 2s));
  CHECK(runReturnsWithin(loop, 3s));
  // ref() again: alive again.
  socket->ref();
  CHECK_FALSE(test::runUntilIdle(loop, 100ms));
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("unref before bind still lets the loop end after the bind", "[ref]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  int listening = 0;
  socket->unref();
  socket->bind(0, "127.0.0.1", [&] { ++listening; });
  // 'listening' is still delivered, then the loop has nothing ref'd.
  CHECK(test::runUntil(loop, [&] { return listening == 1; }));
  CHECK(test::runUntilIdle(loop, 2s));
  CHECK(runReturnsWithin(loop, 3s));
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 1);
}

TEST_CASE("ref and unref several times are harmless", "[ref]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  socket->unref().unref().unref();
  CHECK(test::runUntilIdle(loop, 2s));
  socket->ref().ref();
  CHECK_FALSE(test::runUntilIdle(loop, 100ms));
  socket->unref();
  CHECK(test::runUntilIdle(loop, 2s));
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE(
    "an unref'd socket still receives while something else keeps the loop "
    "alive",
    "[ref][message]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        CHECK(msg.str() == "to unref'd");
        ++messages;
      });
  receiver->unref();
  auto sender = boundSocket(loop);
  int sent = 0;
  sender->send("to unref'd", receiver->address().port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK_FALSE(err);
                 ++sent;
               });
  REQUIRE(test::runUntil(loop, [&] { return messages == 1 && sent == 1; }));
  sender->close();
  // Only the unref'd receiver is left.
  CHECK(test::runUntilIdle(loop, 2s));
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(messages == 1);
}

TEST_CASE(
    "an unref'd socket with a pending send keeps the loop until the send is "
    "done",
    "[ref][send]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  receiver->unref();
  auto sender = test::makeSocket(loop);
  sender->unref();
  int sent = 0;
  sender->send("queued", receiver->address().port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK_FALSE(err);
                 ++sent;
               });
  // The queued send (and its callback) are work; the sockets are not.
  CHECK(test::runUntilIdle(loop, 3s));
  CHECK(sent == 1);
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("ref and unref after close are no-ops", "[ref][close]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  int closes = 0;
  socket->close([&] {
    ++closes;
    CHECK(&socket->ref() == socket.get());
    CHECK(&socket->unref() == socket.get());
  });
  CHECK_NOTHROW(socket->ref());
  CHECK_NOTHROW(socket->unref());
  REQUIRE(test::runUntilIdle(loop));
  CHECK(closes == 1);
}
