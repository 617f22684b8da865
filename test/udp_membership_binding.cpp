// Multicast membership against the socket's bind state (issue 21, items 1
// and 2), inside a namespace whose loopback carries multicast.
//
// Item 1: `bind(port); addMembership(group)` (and a first send before it)
// used to reach the platform socket while the bind was still waiting for
// its turn: a null pointer, SIGSEGV. A membership asked for while the
// socket is binding now waits for the bind and is applied right after
// it, before 'listening' is seen by anything queued later; what the kernel
// refuses then is an 'error' (Node, for the same order, emits a bind
// EINVAL and the port is lost).
//
// Item 2: a socket bound by addMembership itself was outside the
// ownership model: no loop reference, so dropping the handle closed the
// port and leaked the loop's handle count, and a listener dropping the
// last handle freed the socket under its own listener walk.
#include "support/catch.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/netns.hpp"

namespace {

using namespace std::chrono_literals;

const std::string kGroup = "239.7.7.7";
const std::string kSsmGroup = "232.7.7.7";

// A namespace whose loopback carries multicast (joins and group traffic
// never leave it).
struct MulticastLoopback {
  test::net::Namespace ns{"membership"};
  MulticastLoopback() {
    ns.ip({"link set lo multicast on", "route add 224.0.0.0/4 dev lo"});
  }
};

// What a receiving socket saw, for checks on the test thread.
struct Seen {
  std::vector<std::string> messages;
  std::vector<std::string> errors;  // "code syscall"
  int listening = 0;
};

void record(dgram::Socket& socket, Seen& seen) {
  socket.on(dgram::message,
            [&seen](dgram::Bytes msg, const dgram::RemoteInfo&) {
              seen.messages.push_back(msg.str());
            });
  socket.on(dgram::error, [&seen](const dgram::Error& e) {
    seen.errors.push_back(e.code() + " " + e.syscall());
  });
  socket.on(dgram::listening, [&seen] { ++seen.listening; });
}

// The port `socket` is bound to, or 0 while it is not.
int boundPort(dgram::Socket& socket) {
  try {
    return socket.address().port;
  } catch (const dgram::Error&) {
    return 0;
  }
}

// Closes what is left and runs the loop until idle; whether it got idle.
bool finish(dgram::Loop& loop,
            std::initializer_list<std::shared_ptr<dgram::Socket>> sockets) {
  for (const auto& socket : sockets) {
    try {
      if (socket) socket->close();
    } catch (const dgram::Error&) {
      // closed already
    }
  }
  return test::runUntilIdle(loop);
}

}  // namespace

TEST_CASE(
    "membership asked for while binding waits for the bind, then "
    "delivers",
    "[multicast][membership][bind][netns]") {
  NETNS_OR_SKIP();
  MulticastLoopback lo;
  // How the socket came to be binding, and which membership it asks for.
  const char* trigger = nullptr;
  bool sourceSpecific = false;
  SECTION("bind(0) then addMembership") {
    trigger = "bind";
  }
  SECTION("bind(port, cb) then addMembership") {
    trigger = "bind-port";
  }
  SECTION("a first send then addMembership") {
    trigger = "send";
  }
  SECTION("bind(0) then addSourceSpecificMembership") {
    trigger = "bind";
    sourceSpecific = true;
  }
  SECTION("a first send then addSourceSpecificMembership") {
    trigger = "send";
    sourceSpecific = true;
  }
  INFO(trigger << (sourceSpecific ? " (source-specific)" : ""));
  const std::string group = sourceSpecific ? kSsmGroup : kGroup;
  Seen seen;
  int bindCallbacks = 0;
  std::string bindError;
  int port = 0;
  bool idle = false;
  test::net::runInside(lo.ns, [&] {
    dgram::Loop loop;
    auto sender = test::makeSocket(loop);
    sender->bind(0, "127.0.0.1");
    auto s = test::makeSocket(loop);
    record(*s, seen);
    if (std::string(trigger) == "bind") {
      s->bind(0);
    } else if (std::string(trigger) == "bind-port") {
      // A port found free a moment ago (in this namespace only this test
      // binds anything).
      auto probe = test::makeSocket(loop);
      probe->bind(0);
      test::runUntil(loop, [&] { return boundPort(*probe) != 0; });
      int wanted = boundPort(*probe);
      probe->close();
      test::runUntilIdle(loop, 1s);
      s->bind(wanted, [&] { ++bindCallbacks; });
    } else {
      s->send("first", 9, "127.0.0.1");
    }
    try {
      if (sourceSpecific)
        s->addSourceSpecificMembership("127.0.0.1", group);
      else
        s->addMembership(group);
    } catch (const dgram::Error& e) {
      bindError = e.code() + " " + e.syscall();
    }
    test::runUntil(loop, [&] { return seen.listening > 0; });
    port = boundPort(*s);
    if (port != 0) {
      sender->send("to-group", port, group);
      test::runUntil(loop, [&] { return !seen.messages.empty(); });
    }
    idle = finish(loop, {s, sender});
  });
  CHECK(bindError.empty());
  CHECK(seen.listening == 1);
  CHECK(port != 0);
  CHECK(seen.messages == std::vector<std::string>{"to-group"});
  CHECK(seen.errors.empty());
  if (std::string(trigger) == "bind-port") CHECK(bindCallbacks == 1);
  CHECK(idle);
}

TEST_CASE(
    "a membership the kernel refuses while binding is an 'error', the "
    "socket listens on",
    "[multicast][membership][bind][netns]") {
  NETNS_OR_SKIP();
  MulticastLoopback lo;
  Seen seen;
  std::string thrown;
  bool unicastArrived = false;
  bool idle = false;
  test::net::runInside(lo.ns, [&] {
    dgram::Loop loop;
    auto s = test::makeSocket(loop);
    record(*s, seen);
    s->bind(0);
    try {
      // An interface address this namespace does not have: ENODEV, from
      // the kernel, once the membership is applied.
      s->addMembership(kGroup, "198.18.7.7");
      // Arguments are still checked at once.
      s->addMembership("not a group");
    } catch (const dgram::Error& e) {
      thrown = e.code() + " " + e.syscall();
    }
    test::runUntil(loop,
                   [&] { return seen.listening > 0 && !seen.errors.empty(); });
    auto sender = test::makeSocket(loop);
    sender->send("unicast", boundPort(*s), "127.0.0.1");
    unicastArrived =
        test::runUntil(loop, [&] { return !seen.messages.empty(); });
    idle = finish(loop, {s, sender});
  });
  CHECK(thrown == "EINVAL addMembership");
  CHECK(seen.listening == 1);
  CHECK(seen.errors == std::vector<std::string>{"ENODEV addMembership"});
  CHECK(unicastArrived);
  CHECK(idle);
}

TEST_CASE("close right after bind and addMembership: nothing is applied late",
          "[multicast][membership][bind][close][netns]") {
  NETNS_OR_SKIP();
  MulticastLoopback lo;
  Seen seen;
  int closes = 0;
  bool idle = false;
  test::net::runInside(lo.ns, [&] {
    dgram::Loop loop;
    auto s = test::makeSocket(loop);
    record(*s, seen);
    s->bind(0);
    s->addMembership(kGroup);
    s->close([&] { ++closes; });
    idle = test::runUntilIdle(loop);
  });
  CHECK(closes == 1);
  CHECK(seen.listening == 0);
  CHECK(seen.errors.empty());
  CHECK(idle);
}

TEST_CASE("a socket bound by addMembership is held by the loop until it closes",
          "[multicast][membership][lifetime][netns]") {
  NETNS_OR_SKIP();
  MulticastLoopback lo;
  Seen seen;
  bool aliveAfterDrop = false;
  bool idle = false;
  bool expiredAtEnd = false;
  test::net::runInside(lo.ns, [&] {
    dgram::Loop loop;
    auto s = test::makeSocket(loop);
    record(*s, seen);
    s->addMembership(kGroup);  // binds, as Node (libuv) does
    int port = boundPort(*s);
    std::weak_ptr<dgram::Socket> weak = s;
    s.reset();
    aliveAfterDrop = !weak.expired();
    auto sender = test::makeSocket(loop);
    sender->send("to-group", port, kGroup);
    test::runUntil(loop, [&] { return !seen.messages.empty(); });
    if (auto held = weak.lock()) held->close();
    idle = finish(loop, {sender});
    expiredAtEnd = weak.expired();
  });
  CHECK(aliveAfterDrop);
  CHECK(seen.listening == 1);
  CHECK(seen.messages == std::vector<std::string>{"to-group"});
  CHECK(idle);  // no handle count left behind
  CHECK(expiredAtEnd);
}

TEST_CASE(
    "a listener that drops the last handle of a membership-bound socket "
    "frees nothing under the listener walk",
    "[multicast][membership][lifetime][netns]") {
  NETNS_OR_SKIP();
  MulticastLoopback lo;
  int heard = 0;
  int laterListener = 0;
  bool idle = false;
  test::net::runInside(lo.ns, [&] {
    dgram::Loop loop;
    auto holder = std::make_shared<std::shared_ptr<dgram::Socket>>(
        test::makeSocket(loop));
    dgram::Socket& s = **holder;
    s.addMembership(kGroup);
    int port = boundPort(s);
    std::weak_ptr<dgram::Socket> weak = *holder;
    s.on(dgram::message,
         [&heard, holder](dgram::Bytes, const dgram::RemoteInfo&) {
           ++heard;
           holder->reset();  // the user's last handle
         });
    s.on(dgram::message,
         [&laterListener](dgram::Bytes, const dgram::RemoteInfo&) {
           ++laterListener;
         });
    auto sender = test::makeSocket(loop);
    sender->send("to-group", port, kGroup);
    test::runUntil(loop, [&] { return laterListener > 0; });
    if (auto held = weak.lock()) held->close();
    idle = finish(loop, {sender});
  });
  CHECK(heard == 1);
  CHECK(laterListener == 1);
  CHECK(idle);
}

TEST_CASE(
    "dropping a membership-bound socket with a send waiting for the turn's "
    "end: the send leaves, nothing freed is touched",
    "[multicast][membership][lifetime][send][netns]") {
  NETNS_OR_SKIP();
  MulticastLoopback lo;
  std::vector<std::string> peerGot;
  int callbacks = 0;
  std::optional<dgram::Error> sendError;
  bool idle = false;
  test::net::runInside(lo.ns, [&] {
    dgram::Loop loop;
    auto peer = test::makeSocket(loop);
    peer->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
      peerGot.push_back(msg.str());
    });
    peer->bind(0, "127.0.0.1");
    test::runUntil(loop, [&] { return boundPort(*peer) != 0; });
    auto s = test::makeSocket(loop);
    s->addMembership(kGroup);
    std::weak_ptr<dgram::Socket> weak = s;
    loop.setTimeout(0ms, [&] {
      // Inside a loop turn: the send waits for the turn's end.
      s->send("from-member", boundPort(*peer), "127.0.0.1",
              [&](const std::optional<dgram::Error>& err, std::size_t) {
                ++callbacks;
                sendError = err;
              });
      s.reset();
    });
    test::runUntil(loop, [&] { return callbacks > 0 && !peerGot.empty(); });
    if (auto held = weak.lock()) held->close();
    idle = finish(loop, {peer});
  });
  CHECK(callbacks == 1);
  CHECK_FALSE(sendError);
  CHECK(peerGot == std::vector<std::string>{"from-member"});
  CHECK(idle);
}
