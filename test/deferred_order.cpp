// The order of work deferred to "after this tick": bind callbacks,
// 'listening' and 'close', send callbacks, answers of a custom lookup and
// posted jobs run in the order they were scheduled, whatever path each
// took through the loop (the socket's own steps take one that needs no
// std::function; the others keep theirs). A callback that throws or closes
// sockets changes nothing of that order, and a loop destroyed with binds
// pending runs none of them and lets every socket go.
#include "support/catch.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/socket_helpers.hpp"

namespace {

struct Thrown : std::runtime_error {
  Thrown() : std::runtime_error("thrown by a bind callback") {}
};

/// Options whose lookup answers at once, inside the call that asks: the
/// answer is then deferred with a capture too large for the socket's own
/// steps (the general path).
dgram::SocketOptions answeringAtOnce() {
  dgram::SocketOptions options;
  options.lookup = [](std::string_view, dgram::Family,
                      dgram::LookupCallback done) {
    done(std::nullopt, "127.0.0.1", dgram::Family::IPv4);
  };
  return options;
}

/// runOnce until `done()`, counting Thrown; bounded in turns and time.
template <typename Pred>
int runCatching(dgram::Loop& loop, Pred done) {
  return test::runCatching<Thrown>(loop, done, false);
}

using Order = std::vector<std::string>;

}  // namespace

TEST_CASE(
    "bind callbacks, 'listening', send callbacks, lookup answers and posted "
    "jobs run in the order they were scheduled",
    "[bind][loop][order]") {
  dgram::Loop loop;
  Order order;
  auto sender = test::boundSocket(loop);
  int port = sender->address().port;
  auto a = test::makeSocket(loop);
  auto b = test::makeSocket(loop, answeringAtOnce());
  auto c = test::makeSocket(loop);
  c->on(dgram::listening, [&] { order.push_back("c listening"); });
  // Posted work joins the deferred calls when the next turn starts: after
  // everything deferred before it.
  loop.post([&] { order.push_back("posted"); });
  a->bind(0, "127.0.0.1", [&] { order.push_back("a bind"); });
  sender->send("x", port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK_FALSE(err);
                 order.push_back("send");
               });
  b->bind(0, "a.name", [&] { order.push_back("b bind"); });
  c->bind(0, "127.0.0.1", [&] { order.push_back("c bind"); });
  c->on(dgram::listening, [&] { order.push_back("c listening after"); });
  REQUIRE(test::runUntil(loop, [&] { return order.size() == 7; }));
  CHECK(order == Order{"a bind", "send", "b bind", "c listening", "c bind",
                       "c listening after", "posted"});

  // The same for 'close': in the order close() was called, between the
  // other deferred callbacks.
  order.clear();
  c->close([&] { order.push_back("c close"); });
  sender->send("y", port, "127.0.0.1",
               [&](const std::optional<dgram::Error>&, std::size_t) {
                 order.push_back("send");
               });
  a->close([&] { order.push_back("a close"); });
  b->close([&] { order.push_back("b close"); });
  sender->close([&] { order.push_back("sender close"); });
  loop.run();
  CHECK(order ==
        Order{"c close", "send", "a close", "b close", "sender close"});
}

TEST_CASE(
    "a bind callback that closes itself and a socket whose bind waits in "
    "the same turn: that bind never happens, each 'close' comes once",
    "[bind][close][order]") {
  dgram::Loop loop;
  Order order;
  auto a = test::makeSocket(loop);
  auto b = test::makeSocket(loop);
  auto c = test::makeSocket(loop);
  b->on(dgram::listening, [&] { order.push_back("b listening"); });
  // Raw pointers: the handles are dropped below, the loop holds both.
  dgram::Socket* aRaw = a.get();
  dgram::Socket* bRaw = b.get();
  a->bind(0, "127.0.0.1", [&] {
    order.push_back("a bind");
    bRaw->close([&] { order.push_back("b close"); });
    aRaw->close([&] { order.push_back("a close"); });
  });
  b->bind(0, "127.0.0.1", [&] { order.push_back("b bind"); });
  c->bind(0, "127.0.0.1", [&] { order.push_back("c bind"); });
  // Only the sockets' own references: each must live until its 'close'.
  std::weak_ptr<dgram::Socket> aSeen = a;
  std::weak_ptr<dgram::Socket> bSeen = b;
  a.reset();
  b.reset();
  REQUIRE(test::runUntil(loop, [&] { return order.size() == 4; }));
  CHECK(order == Order{"a bind", "c bind", "b close", "a close"});
  CHECK(aSeen.expired());
  CHECK(bSeen.expired());
  c->close();
  loop.run();
  CHECK(order.size() == 4);
}

TEST_CASE(
    "bind callbacks that throw: those after them in the turn run on the "
    "next turns, once each and in order",
    "[bind][exception][order]") {
  dgram::Loop loop;
  Order order;
  // Alternating the socket's own steps (a, c, e) and the general path
  // (b, d: lookups answered at once), with a throw on each path.
  auto a = test::makeSocket(loop);
  auto b = test::makeSocket(loop, answeringAtOnce());
  auto c = test::makeSocket(loop);
  auto d = test::makeSocket(loop, answeringAtOnce());
  auto e = test::makeSocket(loop);
  a->bind(0, "127.0.0.1", [&] {
    order.push_back("a");
    throw Thrown();
  });
  b->bind(0, "b.name", [&] { order.push_back("b"); });
  c->bind(0, "127.0.0.1", [&] { order.push_back("c"); });
  d->bind(0, "d.name", [&] {
    order.push_back("d");
    throw Thrown();
  });
  e->bind(0, "127.0.0.1", [&] { order.push_back("e"); });
  int thrown = runCatching(loop, [&] { return order.size() == 5; });
  CHECK(thrown == 2);
  CHECK(order == Order{"a", "b", "c", "d", "e"});
  for (auto* s : {&a, &b, &c, &d, &e}) {
    CHECK((*s)->address().port > 0);
    (*s)->close();
  }
  runCatching(loop, [] { return false; });
  CHECK(order.size() == 5);
}

TEST_CASE(
    "destroying the loop with binds pending calls no callback and lets "
    "every socket go",
    "[bind][loop][lifetime][teardown][order]") {
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> tokenSeen = token;
  std::vector<std::weak_ptr<dgram::Socket>> dropped;
  std::shared_ptr<dgram::Socket> kept;
  int calls = 0;
  {
    dgram::Loop loop;
    for (int i = 0; i < 50; ++i) {
      auto s = i % 2 ? test::makeSocket(loop)
                     : test::makeSocket(loop, answeringAtOnce());
      s->on(dgram::close, [&calls, token] { ++calls; });
      s->bind(0, i % 2 ? "127.0.0.1" : "a.name", [&calls, token] { ++calls; });
      dropped.push_back(s);
    }
    kept = test::makeSocket(loop);
    kept->bind(0, "127.0.0.1", [&calls, token] { ++calls; });
    // Half of them closed too, with their 'close' pending as well.
    for (int i = 0; i < 50; i += 3)
      dropped[static_cast<std::size_t>(i)].lock()->close();
  }
  token.reset();
  CHECK(calls == 0);
  CHECK(tokenSeen.expired());  // every callback and listener released
  for (const auto& s : dropped)
    CHECK(s.expired());
  REQUIRE(kept);
  CHECK(test::thrownBy([&] { kept->close(); }).code() ==
        "ERR_SOCKET_DGRAM_NOT_RUNNING");
}
