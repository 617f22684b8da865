// The custom `lookup` option (reference L1, L2, S11, B5's lookup failure).
// Names other than numeric addresses and localhost through the built-in
// resolver belong to the DNS issue; here every name goes to a lookup
// function the test supplies.
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

struct Call {
  std::string host;
  dgram::Family family;
};

// A lookup that maps "*.ok.test" to 127.0.0.1 and fails on anything else
// that is not numeric.
dgram::LookupFunction recordingLookup(std::vector<Call>& calls) {
  return [&calls](std::string_view host, dgram::Family family,
                  dgram::LookupCallback done) {
    calls.push_back({std::string(host), family});
    const std::string h(host);
    const bool okName =
        h.size() > 8 && h.compare(h.size() - 8, 8, ".ok.test") == 0;
    if (h == "127.0.0.1" || h == "0.0.0.0" || okName) {
      done(std::nullopt, okName ? std::string("127.0.0.1") : h,
           dgram::Family::IPv4);
    } else {
      done(dgram::Error("ENOTFOUND", "getaddrinfo ENOTFOUND " + h), "",
           dgram::Family::IPv4);
    }
  };
}

std::vector<Call> namedCalls(const std::vector<Call>& calls) {
  std::vector<Call> named;
  for (auto& c : calls)
    if (c.host != "127.0.0.1" && c.host != "0.0.0.0") named.push_back(c);
  return named;
}

}  // namespace

TEST_CASE(
    "the lookup option is called with (hostname, IPv4) for send, connect and "
    "bind",
    "[lookup]") {
  dgram::Loop loop;
  std::vector<std::string> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.push_back(msg.str());
      });
  const int port = receiver->address().port;
  std::vector<Call> calls;
  dgram::SocketOptions options;
  options.lookup = recordingLookup(calls);

  // bind
  auto bound = test::makeSocket(loop, options);
  int listening = 0;
  bound->bind(0, "bind.ok.test", [&] { ++listening; });
  REQUIRE(test::runUntil(loop, [&] { return listening == 1; }));
  CHECK(bound->address().address.str() == "127.0.0.1");

  // send
  int sent = 0;
  bound->send("via lookup", port, "send.ok.test",
              [&](const std::optional<dgram::Error>& err, std::size_t) {
                CHECK_FALSE(err);
                ++sent;
              });
  REQUIRE(
      test::runUntil(loop, [&] { return sent == 1 && received.size() == 1; }));

  // connect
  auto connecting = test::makeSocket(loop, options);
  int connects = 0;
  connecting->connect(port, "connect.ok.test",
                      [&](const std::optional<dgram::Error>& err) {
                        CHECK_FALSE(err);
                        ++connects;
                      });
  REQUIRE(test::runUntil(loop, [&] { return connects == 1; }));
  CHECK(connecting->remoteAddress().address.str() == "127.0.0.1");
  CHECK(connecting->remoteAddress().port == port);

  auto named = namedCalls(calls);
  REQUIRE(named.size() == 3);
  CHECK(named[0].host == "bind.ok.test");
  CHECK(named[1].host == "send.ok.test");
  CHECK(named[2].host == "connect.ok.test");
  for (auto& c : named)
    CHECK(c.family == dgram::Family::IPv4);

  bound->close();
  connecting->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(received == std::vector<std::string>{"via lookup"});
  CHECK(listening == 1);
}

TEST_CASE(
    "a lookup that answers at once still yields callbacks on a later turn",
    "[lookup][callback]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  std::vector<Call> calls;
  dgram::SocketOptions options;
  options.lookup = recordingLookup(calls);
  auto socket = test::makeSocket(loop, options);
  bool returned = false;
  int sendCallbacks = 0, listening = 0, connects = 0;
  socket->on(dgram::listening, [&] {
    CHECK(returned);
    ++listening;
  });
  socket->send("sync", receiver->address().port, "sync.ok.test",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK(returned);
                 CHECK_FALSE(err);
                 ++sendCallbacks;
               });
  returned = true;
  REQUIRE(test::runUntil(loop,
                         [&] { return sendCallbacks == 1 && messages == 1; }));

  auto other = test::makeSocket(loop, options);
  returned = false;
  other->connect(receiver->address().port, "sync.ok.test",
                 [&](const std::optional<dgram::Error>&) {
                   CHECK(returned);
                   ++connects;
                 });
  returned = true;
  REQUIRE(test::runUntil(loop, [&] { return connects == 1; }));
  socket->close();
  other->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(listening == 1);
  CHECK(sendCallbacks == 1);
  CHECK(connects == 1);
}

TEST_CASE("a lookup that answers later, from a timer, works", "[lookup]") {
  dgram::Loop loop;
  std::vector<std::string> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.push_back(msg.str());
      });
  dgram::SocketOptions options;
  int lookups = 0;
  options.lookup = [&](std::string_view, dgram::Family,
                       dgram::LookupCallback done) {
    ++lookups;
    loop.setTimeout(
        20ms, [done] { done(std::nullopt, "127.0.0.1", dgram::Family::IPv4); });
  };
  auto socket = test::makeSocket(loop, options);
  int sent = 0;
  socket->send("one", receiver->address().port, "later.test",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK_FALSE(err);
                 ++sent;
               });
  socket->send("two", receiver->address().port, "later.test",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK_FALSE(err);
                 ++sent;
               });
  REQUIRE(
      test::runUntil(loop, [&] { return sent == 2 && received.size() == 2; }));
  CHECK(received == std::vector<std::string>{"one", "two"});
  socket->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(lookups >= 2);
}

TEST_CASE("a send's lookup error goes to its callback, and is not emitted",
          "[lookup][send][error]") {
  dgram::Loop loop;
  std::vector<Call> calls;
  dgram::SocketOptions options;
  options.lookup = recordingLookup(calls);
  auto socket = test::makeSocket(loop, options);
  int errorEvents = 0;
  socket->on(dgram::error, [&](const dgram::Error&) { ++errorEvents; });
  std::optional<dgram::Error> seen;
  int callbacks = 0;
  bool returned = false;
  socket->send("nowhere", 4242, "missing.test",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK(returned);
                 ++callbacks;
                 seen = err;
               });
  returned = true;
  REQUIRE(test::runUntil(loop, [&] { return callbacks == 1; }));
  settle(loop, 50ms);
  REQUIRE(seen);
  CHECK(seen->code() == "ENOTFOUND");
  CHECK(std::string(seen->what()) == "getaddrinfo ENOTFOUND missing.test");
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(callbacks == 1);
  CHECK(errorEvents == 0);
}

TEST_CASE("a send's lookup error without a callback is emitted as 'error'",
          "[lookup][send][error]") {
  dgram::Loop loop;
  std::vector<Call> calls;
  dgram::SocketOptions options;
  options.lookup = recordingLookup(calls);
  auto socket = test::makeSocket(loop, options);
  std::vector<std::string> codes;
  socket->on(dgram::error,
             [&](const dgram::Error& e) { codes.push_back(e.code()); });
  socket->send("nowhere", 4242, "missing.test");
  REQUIRE(test::runUntil(loop, [&] { return codes.size() == 1; }));
  settle(loop, 50ms);
  CHECK(codes == std::vector<std::string>{"ENOTFOUND"});
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE(
    "a send's lookup error with neither callback nor listener is thrown "
    "from the loop",
    "[lookup][send][error]") {
  dgram::Loop loop;
  std::vector<Call> calls;
  dgram::SocketOptions options;
  options.lookup = recordingLookup(calls);
  auto socket = test::makeSocket(loop, options);
  socket->send("nowhere", 4242, "missing.test");
  std::optional<dgram::Error> thrown = test::runUntilThrown(loop);
  REQUIRE(thrown);
  CHECK(thrown->code() == "ENOTFOUND");
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("a bind lookup failure emits 'error', the socket is unbound again",
          "[lookup][bind][error]") {
  dgram::Loop loop;
  std::vector<Call> calls;
  dgram::SocketOptions options;
  options.lookup = recordingLookup(calls);
  auto socket = test::makeSocket(loop, options);
  std::vector<dgram::Error> errors;
  int listening = 0, bindCallbacks = 0;
  socket->on(dgram::error, [&](const dgram::Error& e) { errors.push_back(e); });
  socket->on(dgram::listening, [&] { ++listening; });
  socket->bind(0, "missing.test", [&] { ++bindCallbacks; });
  REQUIRE(test::runUntil(loop, [&] { return errors.size() == 1; }));
  CHECK(errors[0].code() == "ENOTFOUND");
  CHECK_THROWS_AS(socket->address(), dgram::Error);
  // Back to unbound: bind again.
  int retried = 0;
  socket->bind(0, "again.ok.test", [&] { ++retried; });
  REQUIRE(test::runUntil(loop, [&] { return retried == 1; }));
  CHECK(socket->address().address.str() == "127.0.0.1");
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(errors.size() == 1);
  CHECK(bindCallbacks == 0);
  CHECK(listening == 1);
}

TEST_CASE(
    "a lookup answer after close is ignored, the waiting send is cancelled",
    "[lookup][close]") {
  dgram::Loop loop;
  int messages = 0;
  auto receiver = boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++messages; });
  dgram::SocketOptions options;
  std::vector<dgram::LookupCallback> pending;
  options.lookup = [&](std::string_view host, dgram::Family,
                       dgram::LookupCallback done) {
    if (host == "127.0.0.1" || host == "0.0.0.0")
      done(std::nullopt, host, dgram::Family::IPv4);
    else
      pending.push_back(std::move(done));
  };
  auto socket = test::makeSocket(loop, options);
  int errors = 0;
  socket->on(dgram::error, [&](const dgram::Error&) { ++errors; });
  int callbacks = 0;
  std::optional<dgram::Error> seen;
  socket->send("never", receiver->address().port, "held.test",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 ++callbacks;
                 seen = err;
               });
  REQUIRE(test::runUntil(loop, [&] { return !pending.empty(); }));
  int closes = 0;
  socket->close([&] { ++closes; });
  REQUIRE(test::runUntil(loop, [&] { return closes == 1 && callbacks == 1; }));
  // The late answer, and an error answer, after close.
  for (auto& done : pending) {
    done(std::nullopt, "127.0.0.1", dgram::Family::IPv4);
  }
  settle(loop, 50ms);
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  REQUIRE(seen);
  CHECK(seen->code() == "ECANCELED");
  CHECK(callbacks == 1);
  CHECK(closes == 1);
  CHECK(errors == 0);
  CHECK(messages == 0);
}

TEST_CASE("numeric addresses work with a lookup option whatever it is asked",
          "[lookup]") {
  dgram::Loop loop;
  std::vector<std::string> received;
  auto receiver =
      boundSocket(loop, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.push_back(msg.str());
      });
  std::vector<Call> calls;
  dgram::SocketOptions options;
  options.lookup = recordingLookup(calls);
  auto socket = test::makeSocket(loop, options);
  int sent = 0;
  socket->send("numeric", receiver->address().port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK_FALSE(err);
                 ++sent;
               });
  socket->send("default", receiver->address().port,
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 CHECK_FALSE(err);
                 ++sent;
               });
  REQUIRE(
      test::runUntil(loop, [&] { return sent == 2 && received.size() == 2; }));
  // Only numeric hosts were asked, if any (Node asks; this library may not).
  CHECK(namedCalls(calls).empty());
  for (auto& c : calls)
    CHECK(c.family == dgram::Family::IPv4);
  socket->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sent == 2);
}
