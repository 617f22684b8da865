// Bugs the fuzz targets (fuzz/) found, one test each. The crashing inputs
// are also kept in fuzz/corpus/<target>/bug_<name>.
#include "support/catch.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.hpp"
#include "common/platform_socket.hpp"
#include "support/helpers.hpp"

using namespace std::string_view_literals;

// fuzz_ip_address, bug_nul_in_zone_accepted: the POSIX zone lookup handed
// the zone to if_nametoindex as a C string, so everything from a NUL on
// was dropped and "::1%lo\0junk" parsed as ::1%lo.
TEST_CASE("a zone with a NUL byte names no interface", "[address]") {
  using dgram::detail::parseIp;
  using dgram::detail::zoneToIndex;
  CHECK(zoneToIndex("lo\0"sv) == 0);
  CHECK(zoneToIndex("lo\0junk"sv) == 0);
  CHECK_FALSE(parseIp("::1%lo\0junk"sv, dgram::Family::IPv6, zoneToIndex));
  CHECK_FALSE(parseIp("fe80::1%\0"sv, dgram::Family::IPv6, zoneToIndex));
  CHECK_FALSE(dgram::detail::parseAnyIp("::1%1\0"sv, zoneToIndex));
}

// fuzz_multicast, bug_nul_in_zone_accepted: the same bug let
// setMulticastInterface("::%lo\0") select lo instead of failing.
TEST_CASE("setMulticastInterface refuses a zone with a NUL byte",
          "[options][address]") {
  if (!test::haveIPv6()) {
    WARN("skipped: no IPv6 loopback on this machine");
    return;
  }
  dgram::Loop loop;
  auto socket = test::makeSocket(loop, dgram::Type::udp6);
  bool listening = false;
  socket->bind(0, "::1", [&] { listening = true; });
  REQUIRE(test::runUntil(loop, [&] { return listening; }));
  std::optional<dgram::Error> thrown;
  try {
    socket->setMulticastInterface("::%lo\0"sv);
  } catch (const dgram::Error& e) {
    thrown = e;
  }
  REQUIRE(thrown);
  CHECK(thrown->code() == "EADDRNOTAVAIL");
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}
