// Multicast argument and state errors, as Node reports them
// (test-dgram-membership.js, test-dgram-multicast-set-interface.js,
// test-dgram-multicast-setTTL.js, test-dgram-multicast-ssm*.js; reference
// B2, O1, O2, O4-O6). The argument checks need no network; the ones the
// kernel decides run inside a namespace with a multicast route.
#include "support/catch.hpp"

#include <cerrno>
#include <string>

#include "support/helpers.hpp"
#include "support/netns.hpp"
#include "support/socket_helpers.hpp"

namespace {

using test::thrownBy;

using test::net::Inbox;
using test::net::Lab;
using test::net::NsLoop;

// "code|syscall|message|errnum" of what `fn` throws, or "no error".
template <typename F>
std::string describe(F&& fn) {
  try {
    fn();
  } catch (const dgram::Error& e) {
#ifdef _WIN32  // errnum is libuv's Windows number (-4071), not -errno
    return e.code() + "|" + e.syscall() + "|" + e.what();
#else
    return e.code() + "|" + e.syscall() + "|" + e.what() + "|" +
           std::to_string(e.errnum());
#endif  // _WIN32
  }
  return "no error";
}

std::string sys(const std::string& code, const std::string& syscall,
                int errnum) {
#ifdef _WIN32
  (void)errnum;
  return code + "|" + syscall + "|" + syscall + " " + code;
#else
  return code + "|" + syscall + "|" + syscall + " " + code + "|" +
         std::to_string(-errnum);
#endif  // _WIN32
}

std::shared_ptr<dgram::Socket> boundSocket(dgram::Loop& loop,
                                           dgram::Type type) {
  auto socket = test::makeSocket(loop, type);
  test::bindAndWait(loop, *socket);
  return socket;
}

}  // namespace

TEST_CASE(
    "addMembership/dropMembership without a group throw "
    "ERR_MISSING_ARGS",
    "[multicast][errors]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  for (bool join : {true, false}) {
    auto e = thrownBy([&] {
      if (join) {
        socket->addMembership("");
      } else {
        socket->dropMembership("", "127.0.0.1");
      }
    });
    CHECK(e.code() == "ERR_MISSING_ARGS");
    CHECK(std::string(e.what()) ==
          "The \"multicastAddress\" argument must be specified");
  }
  // Nothing happened: still unbound.
  CHECK(thrownBy([&] { socket->address(); }).code() == "EBADF");
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("membership with an unparsable group or interface throws EINVAL",
          "[multicast][errors]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  const int kEinval = EINVAL;
  CHECK(describe([&] { socket->addMembership("256.256.256.256"); }) ==
        sys("EINVAL", "addMembership", kEinval));
  CHECK(describe([&] { socket->dropMembership("256.256.256.256"); }) ==
        sys("EINVAL", "dropMembership", kEinval));
  CHECK(describe([&] { socket->addMembership("239.1.2.3", "xx"); }) ==
        sys("EINVAL", "addMembership", kEinval));
  CHECK(describe([&] { socket->addMembership("ff02::1"); }) ==
        sys("EINVAL", "addMembership", kEinval));
  // Source-specific: Node validates only that both are strings, so an
  // empty one fails like any unparsable address.
  for (const char* source : {"", "1.2.3", "::1"}) {
    INFO("source '" << source << "'");
    CHECK(describe([&] {
            socket->addSourceSpecificMembership(source, "239.1.2.3");
          }) == sys("EINVAL", "addSourceSpecificMembership", kEinval));
    CHECK(describe([&] {
            socket->dropSourceSpecificMembership(source, "239.1.2.3");
          }) == sys("EINVAL", "dropSourceSpecificMembership", kEinval));
  }
  CHECK(describe([&] {
          socket->addSourceSpecificMembership("198.18.0.1", "");
        }) == sys("EINVAL", "addSourceSpecificMembership", kEinval));
  CHECK(describe([&] {
          socket->addSourceSpecificMembership("198.18.0.1", "239.1.2.3", "x");
        }) == sys("EINVAL", "addSourceSpecificMembership", kEinval));
  // Argument errors bind nothing.
  CHECK(thrownBy([&] { socket->address(); }).code() == "EBADF");

  auto six = test::makeSocket(loop, dgram::Type::udp6);
  CHECK(describe([&] {
          six->addSourceSpecificMembership("198.18.0.1", "ff3e::8000:1");
        }) == sys("EINVAL", "addSourceSpecificMembership", kEinval));
  socket->close();
  six->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("membership calls after close throw Not running",
          "[multicast][errors][close]") {
  // test-dgram-membership.js: from inside the close callback.
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  std::vector<std::string> codes;
  socket->close([&] {
    for (int i = 0; i < 5; ++i) {
      try {
        switch (i) {
          case 0:
            socket->addMembership("224.0.0.114");
            break;
          case 1:
            socket->dropMembership("224.0.0.114");
            break;
          case 2:
            socket->addMembership("");
            break;
          case 3:
            socket->addSourceSpecificMembership("198.18.0.1", "239.1.1.1");
            break;
          default:
            socket->setMulticastInterface("0.0.0.0");
            break;
        }
        codes.push_back("no error");
      } catch (const dgram::Error& e) {
        codes.push_back(e.code() + ": " + e.what());
      }
    }
  });
  REQUIRE(test::runUntilIdle(loop));
  REQUIRE(codes.size() == 5);
  for (const auto& code : codes)
    CHECK(code == "ERR_SOCKET_DGRAM_NOT_RUNNING: Not running");
}

TEST_CASE(
    "setMulticastInterface: EBADF unbound, EINVAL unparsable, "
    "EADDRNOTAVAIL for no interface",
    "[multicast][errors][interface]") {
  dgram::Loop loop;
  auto unbound = test::makeSocket(loop);
  CHECK(describe([&] { unbound->setMulticastInterface("0.0.0.0"); }) ==
        sys("EBADF", "setMulticastInterface", EBADF));
  // A parse error is reported before the missing handle, as in Node.
  CHECK(describe([&] { unbound->setMulticastInterface("nonsense"); }) ==
        sys("EINVAL", "setMulticastInterface", EINVAL));

  auto v4 = boundSocket(loop, dgram::Type::udp4);
  CHECK(describe([&] { v4->setMulticastInterface("0.0.0.0"); }) == "no error");
  CHECK(describe([&] { v4->setMulticastInterface("127.0.0.1"); }) ==
        "no error");
  CHECK(describe([&] { v4->setMulticastInterface(""); }) ==
        sys("EINVAL", "setMulticastInterface", EINVAL));
  // Another family's address: EINVAL here (Node passes it to libuv, which
  // answers ENOPROTOOPT on Linux).
  CHECK(describe([&] { v4->setMulticastInterface("::"); }) ==
        sys("EINVAL", "setMulticastInterface", EINVAL));
  // Not an address of this host (a multicast address never is).
  CHECK(describe([&] { v4->setMulticastInterface("224.0.0.2"); }) ==
        sys("EADDRNOTAVAIL", "setMulticastInterface", EADDRNOTAVAIL));

  auto v6 = boundSocket(loop, dgram::Type::udp6);
  CHECK(describe([&] { v6->setMulticastInterface("undefined"); }) ==
        sys("EINVAL", "setMulticastInterface", EINVAL));
  CHECK(describe([&] { v6->setMulticastInterface(""); }) ==
        sys("EINVAL", "setMulticastInterface", EINVAL));
  CHECK(describe([&] { v6->setMulticastInterface("::"); }) == "no error");
  CHECK(describe([&] { v6->setMulticastInterface("::%lo"); }) == "no error");
  CHECK(describe([&] { v6->setMulticastInterface("%lo"); }) == "no error");
  CHECK(describe([&] { v6->setMulticastInterface("::%1"); }) == "no error");
  // Node turns an unknown zone into "let the OS choose" (its test uses
  // lo0, which Linux does not have); this library refuses it.
  CHECK(describe([&] { v6->setMulticastInterface("::%lo0"); }) ==
        sys("EADDRNOTAVAIL", "setMulticastInterface", EADDRNOTAVAIL));
  v4->close();
  v6->close();
  unbound->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("setMulticastTTL accepts 0..255 and returns it, outside is EINVAL",
          "[multicast][errors][ttl]") {
  dgram::Loop loop;
  for (auto type : {dgram::Type::udp4, dgram::Type::udp6}) {
    auto socket = boundSocket(loop, type);
    CHECK(socket->setMulticastTTL(16) == 16);
    CHECK(socket->setMulticastTTL(0) == 0);
    CHECK(socket->setMulticastTTL(255) == 255);
    for (int bad : {-1, 256, 1000}) {
      INFO("ttl " << bad);
      CHECK(describe([&] { socket->setMulticastTTL(bad); }) ==
            sys("EINVAL", "setMulticastTTL", EINVAL));
    }
    CHECK(socket->setMulticastLoopback(false) == false);
    CHECK(socket->setMulticastLoopback(true) == true);
    socket->close();
  }
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("membership errors the kernel decides, and the implicit bind",
          "[multicast][errors][netns]") {
  NETNS_OR_SKIP();
  Lab lab;
  lab.attach("host", 0, "lan0", 1);
  NsLoop host(lab.host("host"));
  Inbox inbox;
  const std::string group = "239.9.9.9";

  // Joining binds an unbound socket to the any address and a random port;
  // 'listening' follows on a later turn.
  auto* socket = host.open(inbox, "s", dgram::Type::udp4);
  host.call([&] {
    socket->on(dgram::listening,
               [inbox]() mutable { inbox.note("listening"); });
    socket->addMembership(group);
  });
  auto local = host.call([&] { return socket->address(); });
  CHECK(local.address == "0.0.0.0");
  CHECK(local.port > 0);
  REQUIRE(inbox.waitForEvent("listening"));
  auto events = inbox.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0] == "listening");
  // bind() after the implicit bind: already bound.
  CHECK(host.call([&] { return describe([&] { socket->bind(0); }); })
            .rfind("ERR_SOCKET_ALREADY_BOUND|", 0) == 0);

  auto onHost = [&](auto fn) {
    return host.call([&] { return describe(fn); });
  };
  CHECK(onHost([&] { socket->addMembership(group); }) ==
        sys("EADDRINUSE", "addMembership", EADDRINUSE));
  CHECK(onHost([&] { socket->dropMembership("239.9.9.8"); }) ==
        sys("EADDRNOTAVAIL", "dropMembership", EADDRNOTAVAIL));
  // A unicast "group", an interface address this host does not have.
  CHECK(onHost([&] { socket->addMembership("198.18.0.9"); }) ==
        sys("EINVAL", "addMembership", EINVAL));
  CHECK(onHost([&] { socket->addMembership("239.9.9.7", "198.18.7.7"); }) ==
        sys("ENODEV", "addMembership", ENODEV));
  CHECK(onHost([&] { socket->dropMembership(group, "198.18.0.1"); }) ==
        "no error");
  CHECK(onHost([&] {
          socket->addSourceSpecificMembership("198.18.0.2", group);
        }) == "no error");
  // Leaving a source that was not joined: EADDRNOTAVAIL in a group the
  // socket is in, EINVAL in one it is not in (both the kernel's).
  CHECK(onHost([&] {
          socket->dropSourceSpecificMembership("198.18.0.3", group);
        }) ==
        sys("EADDRNOTAVAIL", "dropSourceSpecificMembership", EADDRNOTAVAIL));
  CHECK(onHost([&] {
          socket->dropSourceSpecificMembership("198.18.0.3", "239.9.9.6");
        }) == sys("EINVAL", "dropSourceSpecificMembership", EINVAL));

  // udp6: an unknown interface zone is EINVAL (unparsable), a group that
  // was never joined EADDRNOTAVAIL.
  auto* six = host.open(inbox, "six", dgram::Type::udp6);
  host.bind(six, 0);
  CHECK(onHost([&] { six->addMembership("ff12::1", "::%lan0"); }) ==
        "no error");
  CHECK(onHost([&] { six->addMembership("ff02::2"); }) == "no error");
  CHECK(onHost([&] { six->dropMembership("ff12::9", "::%lan0"); }) ==
        sys("EADDRNOTAVAIL", "dropMembership", EADDRNOTAVAIL));
  CHECK(onHost([&] {
          six->addSourceSpecificMembership("2001:db8::2", "ff3e::8000:1",
                                           "::%lan0");
        }) == "no error");
  INFO(inbox.dump());
}
