// A descriptor closed and reused inside one batch of events must not get
// the old descriptor's events: unwatching an fd drops its events still
// pending in the batch being dispatched (epoll, kqueue and poll). Nor does
// the latency mode's spin read through a watcher that stopped watching.
#include "support/catch.hpp"

#ifndef _WIN32

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "common/loop_core.hpp"
#include "dgram/dgram.hpp"
#include "posix/poller.hpp"
#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

using namespace std::chrono_literals;

namespace {

// Two descriptors readable at once. Whichever is dispatched first closes
// the other, opens a new descriptor (which reuses the closed number) and
// watches it: the new one is not readable, so it must hear nothing.
struct Pair {
  dgram::detail::Poller* poller = nullptr;
  int fds[2] = {-1, -1};    // readable ends
  int peers[2] = {-1, -1};  // their other ends
  int reused = -1;          // the new descriptor
  int reusedPeer = -1;      // its other end
  int firstCalls = 0;
  int reusedCalls = 0;
};

class First final : public dgram::detail::Watcher {
 public:
  First(Pair& pair, int self) : pair_(pair), self_(self) {}
  void onReady(unsigned) override {
    ++pair_.firstCalls;
    if (pair_.reused >= 0) return;
    int other = pair_.fds[1 - self_];
    pair_.poller->unwatch(other);
    ::close(other);
    pair_.fds[1 - self_] = -1;
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    // Force the closed number, as the kernel usually would by itself.
    if (sv[0] != other) {
      REQUIRE(::dup2(sv[0], other) == other);
      ::close(sv[0]);
    }
    pair_.reused = other;
    pair_.reusedPeer = sv[1];
    REQUIRE(pair_.poller->watch(other, dgram::detail::kReadable,
                                reusedWatcher) == 0);
  }
  dgram::detail::Watcher* reusedWatcher = nullptr;

 private:
  Pair& pair_;
  int self_;
};

class Reused final : public dgram::detail::Watcher {
 public:
  explicit Reused(Pair& pair) : pair_(pair) {}
  void onReady(unsigned) override { ++pair_.reusedCalls; }

 private:
  Pair& pair_;
};

// One turn of `loop` spinning at its maximum: its polls between waits read
// the remembered watcher directly, if there still were one.
void spinOnceAtMaximum(dgram::Loop& loop) {
  dgram::detail::SpinBudget& budget = coreOf(loop).spinBudgetForTests();
  budget.setMaximum(budget.maximum());
  budget.slept(std::chrono::microseconds(1), true);
  budget.found();
  loop.runOnce(std::chrono::milliseconds(30));
}

}  // namespace

TEST_CASE("a descriptor reused inside one batch gets none of the old events",
          "[loop][backend]") {
  dgram::Loop loop;
  auto& poller = static_cast<dgram::detail::Poller&>(coreOf(loop).backend());
  Pair pair;
  pair.poller = &poller;
  for (int i = 0; i < 2; ++i) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    pair.fds[i] = sv[0];
    pair.peers[i] = sv[1];
    REQUIRE(::write(sv[1], "x", 1) == 1);
  }
  Reused reused(pair);
  First first0(pair, 0);
  First first1(pair, 1);
  first0.reusedWatcher = &reused;
  first1.reusedWatcher = &reused;
  REQUIRE(poller.watch(pair.fds[0], dgram::detail::kReadable, &first0) == 0);
  REQUIRE(poller.watch(pair.fds[1], dgram::detail::kReadable, &first1) == 0);

  poller.wait(1000);
  CHECK(pair.firstCalls == 1);
  REQUIRE(pair.reused >= 0);
  CHECK(pair.reusedCalls == 0);

  for (int fd : pair.fds)
    if (fd >= 0) {
      poller.unwatch(fd);
      ::close(fd);
    }
  poller.unwatch(pair.reused);
  ::close(pair.reused);
  ::close(pair.reusedPeer);
  for (int fd : pair.peers)
    ::close(fd);
}

TEST_CASE("a socket closed by its own listener is not read by a later spin",
          "[loop][backend][latency]") {
  // The spin reads the watcher that was readable last without asking the
  // poller first. That watcher is held by address (epoll hands it back
  // with each event), so closing the socket must make the spin forget it:
  // here the socket's memory is gone before the next spin (ASan would
  // report the read).
  dgram::LoopOptions options;
  options.maxSpin = std::chrono::milliseconds(20);
  dgram::Loop loop(options);
  auto& poller = static_cast<dgram::detail::Poller&>(coreOf(loop).backend());
  int received = 0;
  std::shared_ptr<dgram::Socket> socket;
  socket = test::boundSocket(loop, [&](dgram::Bytes, const dgram::RemoteInfo&) {
    ++received;
    CHECK(poller.spinTarget() != nullptr);
    socket->close();
    CHECK(poller.spinTarget() == nullptr);
  });
  auto peer = test::boundSocket(loop);
  peer->send("x", socket->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return received == 1; }));
  std::weak_ptr<dgram::Socket> gone = socket;
  socket.reset();
  REQUIRE(test::runUntil(loop, [&] { return gone.expired(); }));
  spinOnceAtMaximum(loop);
  CHECK(poller.spinTarget() == nullptr);
  peer->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a socket closed between turns is not read by a later spin",
          "[loop][backend][latency]") {
  // As above, for a close outside any dispatch (the usual close, which the
  // epoll backend does without a virtual call): the spin forgets it too.
  dgram::LoopOptions options;
  options.maxSpin = std::chrono::milliseconds(20);
  dgram::Loop loop(options);
  auto& poller = static_cast<dgram::detail::Poller&>(coreOf(loop).backend());
  int received = 0;
  auto socket = test::boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++received; });
  auto peer = test::boundSocket(loop);
  peer->send("x", socket->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return received == 1; }));
  REQUIRE(poller.spinTarget() != nullptr);
  socket->close();
  CHECK(poller.spinTarget() == nullptr);
  std::weak_ptr<dgram::Socket> gone = socket;
  socket.reset();
  REQUIRE(test::runUntil(loop, [&] { return gone.expired(); }));
  spinOnceAtMaximum(loop);
  CHECK(poller.spinTarget() == nullptr);
  peer->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "a socket closed by another's listener, its event later in the same "
    "batch, does not become the spin's target",
    "[loop][backend][close]") {
  // Both sockets are readable in one wait; the first one dispatched closes
  // the other, whose event is still in the batch. That event is dropped
  // with its registration (in a batch the close takes the general path,
  // which voids it): dispatched, it would make the closed socket the
  // watcher the spin reads directly, after its memory may be gone.
  dgram::Loop loop;
  auto& poller = static_cast<dgram::detail::Poller&>(coreOf(loop).backend());
  std::shared_ptr<dgram::Socket> sockets[2];
  int received = 0;
  bool closedOther = false;
  int closed = 0;  // the socket closed by the other's listener
  const dgram::detail::Watcher* target = nullptr;
  for (int i = 0; i < 2; ++i) {
    sockets[i] =
        test::boundSocket(loop, [&, i](dgram::Bytes, const dgram::RemoteInfo&) {
          ++received;
          if (closedOther) return;
          closedOther = true;
          closed = 1 - i;
          sockets[closed]->close();
          target = poller.spinTarget();  // this socket's, dispatched last
        });
  }
  auto peer = test::boundSocket(loop);
  // Sent outside a turn, so each leaves at once: both are queued before
  // the next wait, which reports them together.
  for (auto& socket : sockets)
    peer->send("x", socket->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return closedOther; }));
  CHECK(received == 1);
  CHECK(target != nullptr);
  CHECK(poller.spinTarget() == target);
  sockets[1 - closed]->close();
  peer->close();
  CHECK(test::runUntilIdle(loop));
}

#endif  // _WIN32
