// A loop destroyed while sockets still exist (issue 21, item 3). The
// destructor lets go of every socket without emitting anything; user
// destructors that run meanwhile (listeners' captures) may drop other
// sockets of the same loop, and nothing freed may be touched. An abandoned
// socket releases its listeners and callbacks as a closed one does, and a
// socket that outlives its loop refuses every method with
// ERR_SOCKET_DGRAM_NOT_RUNNING instead of reading the freed loop. Run
// under ASan/LeakSanitizer in CI, where the use-after-free and the leak
// these tests describe were reported.
#include "support/catch.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/socket_helpers.hpp"

using namespace std::chrono_literals;

namespace {

// The code of the dgram::Error `fn` throws, or what else happened.
template <typename F>
std::string codeOf(F&& fn) {
  try {
    fn();
  } catch (const dgram::Error& e) {
    return e.code();
  } catch (const std::exception& e) {
    return std::string("other exception: ") + e.what();
  }
  return "no error";
}

// What shows that a socket let go of its listeners (or was destroyed):
// a token one of them captures. (A weak_ptr to the socket itself would
// keep its storage, which make_shared shares with the control block,
// allocated: a use after the socket's end would go unseen.)
struct Witness {
  std::shared_ptr<int> token = std::make_shared<int>(0);
  std::weak_ptr<int> seen = token;
  void attach(dgram::Socket& socket) {
    socket.on(dgram::close, [held = token] {});
    token.reset();
  }
  bool released() const { return seen.expired(); }
};

}  // namespace

TEST_CASE(
    "loop teardown: a listener's capture that drops a later socket is "
    "not walked after it is freed",
    "[loop][lifetime][teardown]") {
  // A relay: the downstream socket's listener holds the upstream socket it
  // forwards to. Only the loop holds the relay (bound), only the relay's
  // listener holds the upstream: letting go of the relay destroys the
  // upstream, which the loop meets later in its list of sockets.
  Witness relayWitness;
  Witness upstreamWitness;
  {
    dgram::Loop loop;
    auto relay = test::boundSocket(loop);
    auto upstream = test::makeSocket(loop);
    relay->on(dgram::message,
              [upstream](dgram::Bytes msg, const dgram::RemoteInfo&) {
                upstream->send(msg, 9, "127.0.0.1");
              });
    relayWitness.attach(*relay);
    upstreamWitness.attach(*upstream);
    upstream.reset();
    relay.reset();
    REQUIRE_FALSE(relayWitness.released());
    REQUIRE_FALSE(upstreamWitness.released());
  }
  CHECK(relayWitness.released());
  CHECK(upstreamWitness.released());
}

TEST_CASE(
    "loop teardown: many sockets whose listeners hold each other are all "
    "released",
    "[loop][lifetime][teardown]") {
  // Every order in which one socket's release frees others: each socket's
  // listeners hold the next one (bound or not), the last holds the first;
  // the user holds none of them.
  std::vector<Witness> witnesses(8);
  {
    dgram::Loop loop;
    std::vector<std::shared_ptr<dgram::Socket>> sockets;
    for (int i = 0; i < 8; ++i) {
      auto socket = test::makeSocket(loop);
      if (i % 2 == 0) socket->bind(0, "127.0.0.1");
      sockets.push_back(socket);
    }
    REQUIRE(test::runUntil(loop, [&] {
      for (int i = 0; i < 8; i += 2) {
        try {
          sockets[i]->address();
        } catch (const dgram::Error&) {
          return false;
        }
      }
      return true;
    }));
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      auto next = sockets[(i + 1) % sockets.size()];
      sockets[i]->on(dgram::close, [next] {});
      sockets[i]->on(dgram::error, [next](const dgram::Error&) {});
      witnesses[i].attach(*sockets[i]);
    }
    sockets.clear();
  }
  for (std::size_t i = 0; i < witnesses.size(); ++i) {
    INFO("socket " << i);
    CHECK(witnesses[i].released());
  }
}

TEST_CASE("loop teardown: a socket whose listener captures itself is released",
          "[loop][lifetime][teardown]") {
  // The echo idiom, never closed: at loop destruction the socket lets go
  // of its listeners as a closed one does, so the cycle is broken.
  std::weak_ptr<dgram::Socket> alive;
  {
    dgram::Loop loop;
    auto s = test::boundSocket(loop);
    s->on(dgram::message, [s](dgram::Bytes msg, const dgram::RemoteInfo& r) {
      s->send(msg, r.port, r.address);
    });
    alive = s;
  }
  CHECK(alive.expired());
}

TEST_CASE(
    "loop teardown: callbacks of queued work are released without being "
    "called",
    "[loop][lifetime][teardown]") {
  // Captures of a send callback, a bind callback and a connect callback
  // still waiting when the loop goes: freed, never called (nobody runs
  // the loop any more to call them).
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> tokenAlive = token;
  int calls = 0;
  std::shared_ptr<dgram::Socket> kept;
  {
    dgram::Loop loop;
    kept = test::makeSocket(loop);
    kept->bind(0, "127.0.0.1", [token, &calls] { ++calls; });
    kept->send("x", 9, "127.0.0.1",
               [token, &calls](const std::optional<dgram::Error>&,
                               std::size_t) { ++calls; });
    kept->connect(
        9, "127.0.0.1",
        [token, &calls](const std::optional<dgram::Error>&) { ++calls; });
    token.reset();
    REQUIRE_FALSE(tokenAlive.expired());
  }
  CHECK(tokenAlive.expired());
  CHECK(calls == 0);
  kept.reset();
}

TEST_CASE(
    "a socket that outlives its loop refuses every method with "
    "ERR_SOCKET_DGRAM_NOT_RUNNING",
    "[loop][lifetime][teardown]") {
  const std::string notRunning = "ERR_SOCKET_DGRAM_NOT_RUNNING";
  std::shared_ptr<dgram::Socket> bound;
  std::shared_ptr<dgram::Socket> fresh;
  {
    dgram::Loop loop;
    bound = test::boundSocket(loop);
    fresh = test::makeSocket(loop);
  }
  for (auto* socket : {bound.get(), fresh.get()}) {
    auto& s = *socket;
    auto noMessage = [](dgram::Bytes, const dgram::RemoteInfo&) {};
    CHECK(codeOf([&] { s.on(dgram::message, noMessage); }) == notRunning);
    CHECK(codeOf([&] { s.once(dgram::message, noMessage); }) == notRunning);
    CHECK(codeOf([&] { s.on(dgram::listening, [] {}); }) == notRunning);
    CHECK(codeOf([&] { s.once(dgram::close, [] {}); }) == notRunning);
    CHECK(codeOf([&] { s.on(dgram::error, [](const dgram::Error&) {}); }) ==
          notRunning);
    CHECK(codeOf([&] { s.off(1); }) == notRunning);
    CHECK(codeOf([&] { s.bind(0); }) == notRunning);
    CHECK(codeOf([&] { s.connect(9, "127.0.0.1"); }) == notRunning);
    CHECK(codeOf([&] { s.disconnect(); }) == notRunning);
    CHECK(codeOf([&] { s.send("x", 9, "127.0.0.1"); }) == notRunning);
    // Even with arguments Node would refuse first: the loop is gone.
    CHECK(codeOf([&] { s.send("x", 0, "127.0.0.1"); }) == notRunning);
    CHECK(codeOf([&] { s.send("x"); }) == notRunning);
    CHECK(codeOf([&] { s.close(); }) == notRunning);
    CHECK(codeOf([&] { s.address(); }) == notRunning);
    CHECK(codeOf([&] { s.remoteAddress(); }) == notRunning);
    CHECK(codeOf([&] { s.addMembership("239.1.2.3"); }) == notRunning);
    CHECK(codeOf([&] { s.setBroadcast(true); }) == notRunning);
    CHECK(codeOf([&] { s.setTTL(5); }) == notRunning);
    CHECK(codeOf([&] { s.getRecvBufferSize(); }) == notRunning);
    CHECK(codeOf([&] { s.getSendQueueSize(); }) == notRunning);
    CHECK(codeOf([&] { s.getSendQueueCount(); }) == notRunning);
    CHECK(codeOf([&] { s.kernelFeatures(); }) == notRunning);
    CHECK(codeOf([&] { s.ref(); }) == notRunning);
    CHECK(codeOf([&] { s.unref(); }) == notRunning);
    CHECK(codeOf([&] { s.loop(); }) == notRunning);
  }
  bound.reset();
  fresh.reset();
}
