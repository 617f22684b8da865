// How bind, connect and send read host text (src/common/host_text.hpp),
// rule by rule; test/node_address_table.cpp checks the whole against Node.
#include "support/catch.hpp"

#ifndef _WIN32
#include <net/if.h>  // if_nametoindex: zones as POSIX reads them
#endif               // _WIN32

#include <string>

#include "common/host_text.hpp"
#include "common/idna.hpp"
#include "common/platform_socket.hpp"

namespace {

using dgram::Family;
using dgram::detail::HostKind;
using dgram::detail::HostReading;

HostReading read(std::string_view host, Family family,
                 std::string* query = nullptr) {
  return dgram::detail::readHost(host, family, dgram::detail::zoneToIndex,
                                 query);
}

std::string text(const HostReading& reading) {
  switch (reading.kind) {
    case HostKind::address:
      return "=" + dgram::detail::toIpString(reading.ip, nullptr).str();
    case HostKind::otherFamily:
      return "other " + dgram::detail::toIpString(reading.ip, nullptr).str();
    case HostKind::refused:
      return std::string("!") + reading.code;
    case HostKind::name:
      return "name";
    case HostKind::hostsOnly:
      return "hosts";
  }
  return "?";
}

std::string v4(std::string_view host) {
  return text(read(host, Family::IPv4));
}
std::string v6(std::string_view host) {
  return text(read(host, Family::IPv6));
}

std::string aton(std::string_view host) {
  std::uint8_t b[4];
  if (!dgram::detail::parseInetAton(host, b)) return "-";
  return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." +
         std::to_string(b[2]) + "." + std::to_string(b[3]);
}

}  // namespace

TEST_CASE("parseInetAton reads numbers as inet_aton does", "[address]") {
  CHECK(aton("127.0.0.1") == "127.0.0.1");
  CHECK(aton("127.1") == "127.0.0.1");
  CHECK(aton("127.0.1") == "127.0.0.1");
  CHECK(aton("2130706433") == "127.0.0.1");
  CHECK(aton("0x7f.1") == "127.0.0.1");
  CHECK(aton("0X7F000001") == "127.0.0.1");
  CHECK(aton("0177.0.0.1") == "127.0.0.1");
  CHECK(aton("127.0.0.010") == "127.0.0.8");
  CHECK(aton("0127.0.0.1") == "87.0.0.1");
  CHECK(aton("1.2.3") == "1.2.0.3");
  CHECK(aton("127.16777215") == "127.255.255.255");
  CHECK(aton("4294967295") == "255.255.255.255");
  CHECK(aton("0") == "0.0.0.0");
  CHECK(aton("00") == "0.0.0.0");
  for (const char* bad : {"",
                          "08",
                          "127.0.0.08",
                          "0x",
                          "0x.1",
                          "1.0x",
                          "0x7g.1",
                          "0x0x7f.1",
                          "4294967296",
                          "0x100000000",
                          "18446744073709551617",
                          "127.16777216",
                          "127.0.65536",
                          "256.1.1.1",
                          "1.2.3.4.5",
                          "1..2",
                          ".1",
                          "1.",
                          "+1",
                          "-1",
                          " 1",
                          "1 ",
                          "1e5",
                          "127.0.0.0400"}) {
    INFO(bad);
    CHECK(aton(bad) == "-");
  }
}

TEST_CASE("host text: Node's IP literals", "[address][lookup]") {
  CHECK(v4("127.0.0.1") == "=127.0.0.1");
  CHECK(v6("127.0.0.1") == "other 127.0.0.1");
  CHECK(v6("::1") == "=::1");
  CHECK(v4("::1") == "other ::1");
  CHECK(v6("::FFFF:127.0.0.1") == "=::ffff:127.0.0.1");
  CHECK(v6("::1%nosuchif0") == "=::1");
  CHECK(v4("::1%nosuchif0") == "other ::1");
  CHECK(v6("::1%a-b.c:d") == "=::1");
#ifndef _WIN32
  // A zone is read as libuv reads it on POSIX: an interface name, or none
  // (digits too are a name: Windows reads them as an index).
  std::uint32_t lo = if_nametoindex("lo");
  REQUIRE(lo != 0);
  CHECK(read("fe80::1%lo", Family::IPv6).ip.scopeId == lo);
  CHECK(read("::1%nosuchif0", Family::IPv6).ip.scopeId == 0);
  CHECK(read("fe80::1%99999", Family::IPv6).ip.scopeId == 0);
  CHECK(read(std::string("::1%") + std::string(300, 'x'), Family::IPv6)
            .ip.scopeId == 0);
#endif  // _WIN32
}

TEST_CASE("host text: getaddrinfo's numbers", "[address][lookup]") {
  CHECK(v4("127.0.0.010") == "=127.0.0.8");
  CHECK(v6("127.0.0.010") == "!EAI_ADDRFAMILY");
  CHECK(v4("0x7f.1") == "=127.0.0.1");
  CHECK(v4("1") == "=0.0.0.1");
  // IPv6 text with a zone Node's check refuses: glibc's own reading.
  CHECK(v4("::1%") == "!EAI_ADDRFAMILY");
  CHECK(v6("::1%") == "!ENOTFOUND");
  // glibc's IPv4 path takes an IPv4-mapped address as its IPv4 part, and
  // fails its zone before it asks the family (found by fuzz_ip_address).
  CHECK(v4("::ffff:0:81%") == "!ENOTFOUND");
  CHECK(v4("::ffff:1.2.3.4%") == "!ENOTFOUND");
  CHECK(v6("::ffff:0:81%") == "!ENOTFOUND");
  CHECK(v6("fe80::1%eth_0") == "!ENOTFOUND");
  CHECK(v6("::1%lo%x") == "!ENOTFOUND");
  CHECK(v6("::1%lo/64") == "!ENOTFOUND");
  CHECK(v6("fe80::1%7_") == "!ENOTFOUND");
}

TEST_CASE("host text: refused without asking anyone", "[address][lookup]") {
  // Digits and dots that are no address: glibc's IPv4 path refuses them,
  // its IPv6 path asks DNS.
  CHECK(v4("127.0.0.08") == "!ENOTFOUND");
  CHECK(v6("127.0.0.08") == "name");
  CHECK(v4("1.2.3.4.5") == "!ENOTFOUND");
  CHECK(v4("127.0.0.08.") == "name");
  // Control bytes, spaces, DEL.
  CHECK(v4(std::string("127.0.0.1\0x", 11)) == "!ENOTFOUND");
  CHECK(v4(" 127.0.0.1") == "!ENOTFOUND");
  CHECK(v4("a\x7f") == "!ENOTFOUND");
  // libuv's limit on a name's length.
  CHECK(v4(std::string(256, 'a')) == "!EINVAL");
  CHECK(v4("example.onion") == "!ENOTFOUND");
  CHECK(v6("EXAMPLE.ONION.") == "!ENOTFOUND");
  // Broken Punycode.
  CHECK(v4("xn--zz") == "!EINVAL");
  CHECK(v4("a.XN--") == "!EINVAL");
  CHECK(v4("xn--bcher-kva.example") == "name");
}

TEST_CASE("host text: names, for DNS or the hosts file only",
          "[address][lookup]") {
  CHECK(v4("example.com") == "name");
  CHECK(v4("a_b.example") == "name");
  CHECK(v4("a\\065") == "name");
  CHECK(v4(".") == "name");
  for (const char* hostsOnly :
       {"[::1]", "1.2.3.4:80", "::1/64", "127.0.0.1/8", "127.0.0.1%lo", "-a",
        "a..b", ".a", "a!b", "a\\.b", "odd!name"}) {
    INFO(hostsOnly);
    CHECK(v4(hostsOnly) == "hosts");
    CHECK(v6(hostsOnly) == "hosts");
  }
  CHECK(v4(std::string(63, 'a') + ".example") == "name");
  CHECK(v4(std::string(64, 'a') + ".example") == "hosts");
}

TEST_CASE("host text: names beyond ASCII become Punycode",
          "[address][lookup][idna]") {
  std::string query;
  CHECK(text(read("b\xc3\xbc"
                  "cher.example",
                  Family::IPv4, &query)) == "name");
  CHECK(query == "xn--bcher-kva.example");
  read(
      "B\xc3\xbc"
      "cher\xe3\x80\x82"
      "Example",
      Family::IPv4, &query);
  CHECK(query == "xn--bcher-kva.example");
  // Fullwidth digits and full stops are ASCII once read.
  CHECK(v4("\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.0.0.1") == "=127.0.0.1");
  CHECK(v4("127\xe3\x80\x82"
           "0\xef\xbc\x8e"
           "0\xef\xbd\xa1"
           "1") == "=127.0.0.1");
  // A Unicode space is a space; broken UTF-8 is refused as Node refuses
  // what it turns into (U+FFFD).
  CHECK(v4("127.0.0.1\xe3\x80\x80") == "!ENOTFOUND");
  CHECK(v4("a\xc3") == "!EINVAL");
  CHECK(v4("a\xef\xbf\xbd") == "!EINVAL");
  CHECK(v4("\xed\xa0\x80") == "!EINVAL");  // a surrogate
  CHECK(v4("\xc0\xae") == "!EINVAL");      // overlong '.'
  // Too long once encoded.
  std::string long60;
  for (int i = 0; i < 60; ++i)
    long60 += "\xc3\xbc";
  CHECK(v4(long60 + ".example") == "hosts");
}

TEST_CASE("Punycode as RFC 3492 (values from Node's punycode module)",
          "[idna]") {
  auto encode = [](std::u32string points) {
    std::string out;
    REQUIRE(dgram::detail::punycodeEncode(points.data(), points.size(), out));
    std::u32string back;
    CHECK(dgram::detail::punycodeDecode(out, back));
    CHECK(back == points);
    return out;
  };
  CHECK(encode(U"b\u00fccher") == "bcher-kva");
  CHECK(encode(U"m\u00fcnchen") == "mnchen-3ya");
  CHECK(encode(U"\u4f8b\u3048") == "r8jz45g");
  CHECK(encode(U"\u30c6\u30b9\u30c8") == "zckzah");
  CHECK(encode(U"a-\u00fc") == "a--yka");
  CHECK(encode(U"\U0001F600") == "e28h");
  CHECK(encode(U"\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645"
               U"\u0648\u0634\u0639\u0631\u0628\u064A\u061F") ==
        "egbpdaj6bu4bxfgehfvwxn");
  std::u32string out;
  CHECK_FALSE(dgram::detail::punycodeDecode("zz", out));
  CHECK_FALSE(dgram::detail::punycodeDecode("0", out));
  CHECK_FALSE(dgram::detail::punycodeDecode("-", out));
  CHECK_FALSE(dgram::detail::punycodeDecode("99999999999", out));
}

TEST_CASE("isDnsHostName is glibc's res_hnok", "[address][lookup]") {
  using dgram::detail::isDnsHostName;
  CHECK(isDnsHostName("a.b"));
  CHECK(isDnsHostName("a-"));
  CHECK(isDnsHostName("x.-a"));
  CHECK(isDnsHostName("_a"));
  CHECK(isDnsHostName("a\\065"));
  CHECK(isDnsHostName("a."));
  CHECK_FALSE(isDnsHostName("-a"));
  CHECK_FALSE(isDnsHostName("a\\.b"));
  CHECK_FALSE(isDnsHostName("a\\"));
  CHECK_FALSE(isDnsHostName("a\\25"));
  CHECK_FALSE(isDnsHostName("a\\256"));
  CHECK_FALSE(isDnsHostName(".."));
  CHECK_FALSE(isDnsHostName("a..b"));
  std::string name253;
  while (name253.size() < 253)
    name253 += std::string(62, 'b') + ".";
  name253.resize(253);
  CHECK(isDnsHostName(name253));
  CHECK_FALSE(isDnsHostName(name253 + "b"));
}
