// IP address parsing and formatting (src/common/ip_address): fixed tables
// of valid and invalid texts, zones, round trips, and a differential check
// against the OS's inet_pton / inet_ntop (glibc; these tests are Linux-only
// for now) over the tables and a few thousand pseudo-random inputs.

// Not on Windows: the oracle is glibc's inet_pton/inet_ntop and the "lo"
// interface. The parser is platform-free and fully tested on Linux.
#ifndef _WIN32

#include <arpa/inet.h>
#include <net/if.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>
#include "support/catch.hpp"

#include "common/ip_address.hpp"

using dgram::Family;
using dgram::detail::IpAddress;

namespace {

using namespace std::string_view_literals;

using Bytes16 = std::array<std::uint8_t, 16>;

// if_nametoindex needs a NUL-terminated name no longer than IF_NAMESIZE-1.
std::uint32_t osZoneToIndex(std::string_view zone) {
  char name[IF_NAMESIZE];
  if (zone.size() >= sizeof name) return 0;
  if (zone.find('\0') != std::string_view::npos) return 0;
  std::memcpy(name, zone.data(), zone.size());
  name[zone.size()] = '\0';
  return if_nametoindex(name);
}

std::size_t osIndexToZone(std::uint32_t index, char* out, std::size_t cap) {
  char name[IF_NAMESIZE];
  if (if_indextoname(index, name) == nullptr) return 0;
  std::size_t n = std::strlen(name);
  if (n > cap) n = cap;
  std::memcpy(out, name, n);
  return n;
}

int osFamily(Family family) {
  return family == Family::IPv4 ? AF_INET : AF_INET6;
}

// The OS's verdict on `text` (which must not contain a NUL).
std::optional<Bytes16> osParse(std::string_view text, Family family) {
  Bytes16 bytes{};
  std::string copy(text);
  if (inet_pton(osFamily(family), copy.c_str(), bytes.data()) != 1) {
    return std::nullopt;
  }
  return bytes;
}

// Ours, through the plain (zone-less) parsers, in the same shape.
std::optional<Bytes16> ourParse(std::string_view text, Family family) {
  Bytes16 bytes{};
  bool ok = family == Family::IPv4
                ? dgram::detail::parseIPv4(text, bytes.data())
                : dgram::detail::parseIPv6(text, bytes.data());
  if (!ok) return std::nullopt;
  return bytes;
}

std::string osFormat(const Bytes16& bytes, Family family) {
  char text[INET6_ADDRSTRLEN];
  const char* r = inet_ntop(osFamily(family), bytes.data(), text, sizeof text);
  REQUIRE(r != nullptr);
  return text;
}

std::string ourFormat(const Bytes16& bytes, Family family,
                      std::uint32_t scopeId = 0) {
  IpAddress ip;
  ip.family = family;
  ip.bytes = bytes;
  ip.scopeId = scopeId;
  char text[dgram::detail::kMaxIpText];
  std::size_t n = dgram::detail::formatIp(ip, text, &osIndexToZone);
  REQUIRE(n < sizeof text);
  REQUIRE(text[n] == '\0');
  REQUIRE(std::strlen(text) == n);
  return std::string(text, n);
}

// A text with its family; `canonical` is inet_ntop's output for it, or
// nullptr when the text is invalid.
struct Case {
  std::string_view text;
  Family family;
  const char* canonical;
};

const Case kCases[] = {
    // IPv4, valid.
    {"1.2.3.4", Family::IPv4, "1.2.3.4"},
    {"0.0.0.0", Family::IPv4, "0.0.0.0"},
    {"255.255.255.255", Family::IPv4, "255.255.255.255"},
    {"127.0.0.1", Family::IPv4, "127.0.0.1"},
    {"10.0.100.250", Family::IPv4, "10.0.100.250"},
    {"1.2.3.0", Family::IPv4, "1.2.3.0"},
    // IPv4, invalid: no shorthand, octal, hex, spaces, garbage.
    {"127.1", Family::IPv4, nullptr},
    {"0177.0.0.1", Family::IPv4, nullptr},
    {"2130706433", Family::IPv4, nullptr},
    {"0x7f.0.0.1", Family::IPv4, nullptr},
    {"1.2.3.4 ", Family::IPv4, nullptr},
    {" 1.2.3.4", Family::IPv4, nullptr},
    {"1.2.3.4\n", Family::IPv4, nullptr},
    {"1.2.3.4\0x"sv, Family::IPv4, nullptr},
    {"256.0.0.1", Family::IPv4, nullptr},
    {"1.2.3.256", Family::IPv4, nullptr},
    {"1.2.3.1000", Family::IPv4, nullptr},
    {"", Family::IPv4, nullptr},
    {"01.2.3.4", Family::IPv4, nullptr},
    {"1.2.3.04", Family::IPv4, nullptr},
    {"00.0.0.0", Family::IPv4, nullptr},
    {"000.1.2.3", Family::IPv4, nullptr},
    {"1.2.3", Family::IPv4, nullptr},
    {"1.2.3.4.", Family::IPv4, nullptr},
    {".1.2.3", Family::IPv4, nullptr},
    {"1..2.3", Family::IPv4, nullptr},
    {"1.2.3.4.5", Family::IPv4, nullptr},
    {"+1.2.3.4", Family::IPv4, nullptr},
    {"1.2.3.-4", Family::IPv4, nullptr},
    {"1.2.3.255a", Family::IPv4, nullptr},
    {"1.2.3.4%1", Family::IPv4, nullptr},
    {"1.2.3.4/24", Family::IPv4, nullptr},
    {"1.2.3.4:80", Family::IPv4, nullptr},
    {"::1", Family::IPv4, nullptr},
    {"localhost", Family::IPv4, nullptr},
    // IPv6, valid; canonical text shows inet_ntop's choices.
    {"::", Family::IPv6, "::"},
    {"::1", Family::IPv6, "::1"},
    {"1::", Family::IPv6, "1::"},
    {"::ffff:1.2.3.4", Family::IPv6, "::ffff:1.2.3.4"},
    {"::FFFF:1.2.3.4", Family::IPv6, "::ffff:1.2.3.4"},
    {"::ffff:0:0", Family::IPv6, "::ffff:0.0.0.0"},
    {"::ffff", Family::IPv6, "::ffff"},
    {"::ff00", Family::IPv6, "::ff00"},
    {"::2", Family::IPv6, "::2"},
    {"::1:0:0", Family::IPv6, "::1:0:0"},
    {"::1.2.3.4", Family::IPv6, "::1.2.3.4"},
    {"::0.1.2.3", Family::IPv6, "::0.1.2.3"},
    {"::0:1.2.3.4", Family::IPv6, "::1.2.3.4"},
    {"::0.0.0.1", Family::IPv6, "::1"},
    {"::0.0.0.0", Family::IPv6, "::"},
    {"::255.255.255.255", Family::IPv6, "::255.255.255.255"},
    {"::ffff:0:1.2.3.4", Family::IPv6, "::ffff:0:102:304"},
    {"1:2:3:4:5:6:7:8", Family::IPv6, "1:2:3:4:5:6:7:8"},
    {"0:0:0:0:0:0:0:0", Family::IPv6, "::"},
    {"0000::1", Family::IPv6, "::1"},
    {"0001:0002::000a", Family::IPv6, "1:2::a"},
    {"ABCD::EF", Family::IPv6, "abcd::ef"},
    {"aBcD:EFef::", Family::IPv6, "abcd:efef::"},
    {"1:2:3:4:5:6:1.2.3.4", Family::IPv6, "1:2:3:4:5:6:102:304"},
    {"1::1.2.3.4", Family::IPv6, "1::102:304"},
    {"1:2:3:4:5::1.2.3.4", Family::IPv6, "1:2:3:4:5:0:102:304"},
    {"1:2:3:4:5:6:7::", Family::IPv6, "1:2:3:4:5:6:7:0"},
    {"::1:2:3:4:5:6:7", Family::IPv6, "0:1:2:3:4:5:6:7"},
    {"1:0:3:4:5:6:7:8", Family::IPv6, "1:0:3:4:5:6:7:8"},
    {"1:0:0:1:0:0:0:0", Family::IPv6, "1:0:0:1::"},
    {"1:0:0:2:0:0:3:4", Family::IPv6, "1::2:0:0:3:4"},
    {"1:0:0:0:2:0:0:0", Family::IPv6, "1::2:0:0:0"},
    {"0:0:1:0:0:0:0:0", Family::IPv6, "0:0:1::"},
    {"2001:db8:0:0:1:0:0:1", Family::IPv6, "2001:db8::1:0:0:1"},
    {"fe80::1", Family::IPv6, "fe80::1"},
    {"ff02::1:ff00:1", Family::IPv6, "ff02::1:ff00:1"},
    {"0000:0000:0000:0000:0000:0000:255.255.255.255", Family::IPv6,
     "::255.255.255.255"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", Family::IPv6,
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    // IPv6, invalid.
    {"", Family::IPv6, nullptr},
    {":", Family::IPv6, nullptr},
    {":::", Family::IPv6, nullptr},
    {":::1", Family::IPv6, nullptr},
    {"1:::2", Family::IPv6, nullptr},
    {"1::2::3", Family::IPv6, nullptr},
    {"::1::", Family::IPv6, nullptr},
    {"1:2:3:4:5:6:7:8:9", Family::IPv6, nullptr},
    {"1:2:3:4:5:6:7", Family::IPv6, nullptr},
    {"1:2:3:4:5:6:7:8::", Family::IPv6, nullptr},
    {"::1:2:3:4:5:6:7:8", Family::IPv6, nullptr},
    {"1:2:3:4:5:6:7::8", Family::IPv6, nullptr},
    {"1::2:3:4:5:6:7:8", Family::IPv6, nullptr},
    {"::1/64", Family::IPv6, nullptr},
    {":1::", Family::IPv6, nullptr},
    {":1:2:3:4:5:6:7:8", Family::IPv6, nullptr},
    {"1:", Family::IPv6, nullptr},
    {"1::2:", Family::IPv6, nullptr},
    {"::1:", Family::IPv6, nullptr},
    {"1:2:3:4:5:6:7:8:", Family::IPv6, nullptr},
    {"00000::1", Family::IPv6, nullptr},
    {"12345::", Family::IPv6, nullptr},
    {"::g", Family::IPv6, nullptr},
    {"::1 ", Family::IPv6, nullptr},
    {" ::1", Family::IPv6, nullptr},
    {"[::1]", Family::IPv6, nullptr},
    {"::1\0x"sv, Family::IPv6, nullptr},
    {"1.2.3.4", Family::IPv6, nullptr},
    {"::01.2.3.4", Family::IPv6, nullptr},
    {"::1.2.3", Family::IPv6, nullptr},
    {"::1.2.3.4.5", Family::IPv6, nullptr},
    {"::1.2.3.4:1", Family::IPv6, nullptr},
    {"::1.2.3.4x", Family::IPv6, nullptr},
    {"::1.2.3.4::", Family::IPv6, nullptr},
    {"1.2.3.4::", Family::IPv6, nullptr},
    {"1.2.3.4::1", Family::IPv6, nullptr},
    {"::ffff:1.2.3.4::", Family::IPv6, nullptr},
    {"::1234.1.1.1", Family::IPv6, nullptr},
    {"::a.1.1.1", Family::IPv6, nullptr},
    {"::ffff:256.1.1.1", Family::IPv6, nullptr},
    {"1:2:3:4:5:6:7:1.2.3.4", Family::IPv6, nullptr},
    {"1:2:3:4:5:6::1.2.3.4", Family::IPv6, nullptr},
    {"1:2:3:4:5:6:7:8.1.2.3", Family::IPv6, nullptr},
    {"1:2:3:4:5:6:1.2.3.4:8", Family::IPv6, nullptr},
    {"-1::", Family::IPv6, nullptr},
    {"0x1::", Family::IPv6, nullptr},
    // Too long: 100 characters.
    {"1111:2222:3333:4444:5555:6666:7777:8888:1111:2222:3333:4444:5555:"
     "6666:7777:8888:1111:2222:3333:4444",
     Family::IPv6, nullptr},
};

std::string describe(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
      out += kHex[static_cast<unsigned char>(c) & 0xf];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("address table: parse and format as inet_pton/inet_ntop do",
          "[address]") {
  for (const Case& c : kCases) {
    INFO("text \"" << describe(c.text) << "\" as " << c.family);
    auto ours = ourParse(c.text, c.family);
    CHECK(ours.has_value() == (c.canonical != nullptr));
    auto parsed = dgram::detail::parseIp(c.text, c.family, &osZoneToIndex);
    CHECK(parsed.has_value() == ours.has_value());
    if (ours && parsed) {
      CHECK(parsed->family == c.family);
      CHECK(parsed->bytes == *ours);
      CHECK(parsed->scopeId == 0);
      CHECK(ourFormat(*ours, c.family) == c.canonical);
    }
  }
}

TEST_CASE("address table: differential against the OS", "[address]") {
  for (const Case& c : kCases) {
    // inet_pton sees a C string: an embedded NUL would cut the text short.
    if (c.text.find('\0') != std::string_view::npos) continue;
    for (Family family : {Family::IPv4, Family::IPv6}) {
      INFO("text \"" << describe(c.text) << "\" as " << family);
      auto ours = ourParse(c.text, family);
      auto os = osParse(c.text, family);
      REQUIRE(ours.has_value() == os.has_value());
      if (ours) {
        CHECK(*ours == *os);
        CHECK(ourFormat(*ours, family) == osFormat(*os, family));
      }
    }
  }
}

TEST_CASE("parseIp: zones", "[address]") {
  using dgram::detail::parseIp;
  std::uint32_t lo = if_nametoindex("lo");
  REQUIRE(lo != 0);

  auto named = parseIp("fe80::1%lo", Family::IPv6, &osZoneToIndex);
  REQUIRE(named);
  CHECK(named->scopeId == lo);
  CHECK(named->bytes == *ourParse("fe80::1", Family::IPv6));

  // The plain parser takes no zone; inet_pton takes none either.
  std::uint8_t raw[16];
  CHECK_FALSE(dgram::detail::parseIPv6("fe80::1%lo", raw));
  CHECK_FALSE(dgram::detail::parseIPv6("fe80::1%1", raw));
  CHECK_FALSE(osParse("fe80::1%1", Family::IPv6));

  auto numeric = parseIp("fe80::1%1", Family::IPv6, &osZoneToIndex);
  REQUIRE(numeric);
  CHECK(numeric->scopeId == 1);

  // Numeric zones need no callback; names do.
  CHECK(parseIp("fe80::1%7", Family::IPv6, nullptr)->scopeId == 7);
  CHECK_FALSE(parseIp("fe80::1%lo", Family::IPv6, nullptr));

  CHECK(parseIp("fe80::1%4294967295", Family::IPv6, nullptr)->scopeId ==
        UINT32_MAX);
  CHECK(parseIp("fe80::1%0000000001", Family::IPv6, nullptr)->scopeId == 1);
  CHECK(parseIp("fe80::1%0", Family::IPv6, nullptr)->scopeId == 0);
  CHECK(parseIp("::ffff:1.2.3.4%2", Family::IPv6, nullptr)->scopeId == 2);

  const std::string_view invalid[] = {
      "fe80::1%",
      "fe80::1%nosuchif",
      "fe80::1%4294967296",
      "fe80::1%99999999999999999999",
      "fe80::1%-1",
      "fe80::1%lo%lo",
      "fe80::1%lo\0"sv,
      "%lo",
      "%1",
      "fe80::%1::1",
      "1.2.3.4%1",
      "fe80::1%lo0123456789abcdef",
  };
  for (std::string_view text : invalid) {
    INFO("text \"" << describe(text) << "\"");
    CHECK_FALSE(parseIp(text, Family::IPv6, &osZoneToIndex));
    CHECK_FALSE(parseIp(text, Family::IPv4, &osZoneToIndex));
  }

  // 100 characters with a long zone name: longer than any formatted text.
  std::string longZone = "fe80::1%" + std::string(92, 'a');
  REQUIRE(longZone.size() == 100);
  CHECK_FALSE(parseIp(longZone, Family::IPv6, &osZoneToIndex));
  std::string longIndex = "fe80::1%" + std::string(91, '0') + "1";
  CHECK_FALSE(parseIp(longIndex, Family::IPv6, nullptr));
}

TEST_CASE("parseAnyIp and isIpLiteral", "[address]") {
  using dgram::detail::isIpLiteral;
  using dgram::detail::parseAnyIp;
  CHECK(parseAnyIp("1.2.3.4", nullptr)->family == Family::IPv4);
  CHECK(parseAnyIp("::1", nullptr)->family == Family::IPv6);
  CHECK(parseAnyIp("::ffff:1.2.3.4", nullptr)->family == Family::IPv6);
  CHECK(parseAnyIp("fe80::1%lo", &osZoneToIndex)->scopeId ==
        if_nametoindex("lo"));
  CHECK_FALSE(parseAnyIp("localhost", &osZoneToIndex));
  CHECK_FALSE(parseAnyIp("127.1", &osZoneToIndex));
  CHECK_FALSE(parseAnyIp("", &osZoneToIndex));

  CHECK(isIpLiteral("1.2.3.4"));
  CHECK(isIpLiteral("::"));
  CHECK(isIpLiteral("fe80::1%3"));
  // Syntax only: a zone name need not exist here.
  CHECK(isIpLiteral("fe80::1%nosuchif"));
  CHECK_FALSE(isIpLiteral("fe80::1%"));
  CHECK_FALSE(isIpLiteral("fe80::1%4294967296"));
  CHECK_FALSE(isIpLiteral("1.2.3.4%1"));
  CHECK_FALSE(isIpLiteral("localhost"));
  CHECK_FALSE(isIpLiteral("127.1"));
  CHECK_FALSE(isIpLiteral("example.com"));
  CHECK_FALSE(isIpLiteral(""));
}

TEST_CASE("anyAddress and loopbackAddress", "[address]") {
  using dgram::detail::toIpString;
  CHECK(toIpString(dgram::detail::anyAddress(Family::IPv4), nullptr).str() ==
        "0.0.0.0");
  CHECK(toIpString(dgram::detail::anyAddress(Family::IPv6), nullptr).str() ==
        "::");
  CHECK(
      toIpString(dgram::detail::loopbackAddress(Family::IPv4), nullptr).str() ==
      "127.0.0.1");
  CHECK(
      toIpString(dgram::detail::loopbackAddress(Family::IPv6), nullptr).str() ==
      "::1");
  CHECK(dgram::detail::loopbackAddress(Family::IPv6).scopeId == 0);
}

namespace {

// An IndexToZone that claims more than it may write, to check clamping.
std::size_t greedyZone(std::uint32_t /*index*/, char* out, std::size_t cap) {
  std::memset(out, 'z', cap);
  return cap + 10;
}
std::size_t noZone(std::uint32_t, char*, std::size_t) {
  return 0;
}

}  // namespace

TEST_CASE("formatIp: zones", "[address]") {
  using dgram::detail::formatIp;
  using dgram::detail::kMaxIpText;
  using dgram::detail::toIpString;
  std::uint32_t lo = if_nametoindex("lo");
  REQUIRE(lo != 0);
  IpAddress ip = *dgram::detail::parseIp("fe80::1", Family::IPv6, nullptr);

  ip.scopeId = lo;
  CHECK(toIpString(ip, &osIndexToZone).str() == "fe80::1%lo");
  CHECK(toIpString(ip, nullptr).str() == "fe80::1%" + std::to_string(lo));
  CHECK(toIpString(ip, &noZone).str() == "fe80::1%" + std::to_string(lo));
  // The formatted zone parses back to the same address.
  CHECK(dgram::detail::parseIp(toIpString(ip, &osIndexToZone), Family::IPv6,
                               &osZoneToIndex) == ip);

  ip.scopeId = 987654;  // no such interface: the index is printed
  CHECK(toIpString(ip, &osIndexToZone).str() == "fe80::1%987654");
  ip.scopeId = UINT32_MAX;
  CHECK(toIpString(ip, &osIndexToZone).str() == "fe80::1%4294967295");

  // The longest text still fits, NUL included.
  IpAddress wide = *dgram::detail::parseIp(
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295", Family::IPv6,
      nullptr);
  CHECK(toIpString(wide, nullptr).str() ==
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295");

  // A callback that over-reports is clamped to the buffer.
  char text[kMaxIpText + 8];
  std::memset(text, '#', sizeof text);
  std::size_t n = formatIp(wide, text, &greedyZone);
  CHECK(n == kMaxIpText - 1);
  CHECK(text[n] == '\0');
  CHECK(text[kMaxIpText] == '#');
  CHECK(std::string_view(text, 40) ==
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%");

  // IPv4 has no zone, whatever scopeId says.
  IpAddress v4 = dgram::detail::loopbackAddress(Family::IPv4);
  v4.scopeId = 3;
  CHECK(toIpString(v4, &osIndexToZone).str() == "127.0.0.1");
  CHECK(formatIp(v4, text, nullptr) == 9);
  CHECK(std::string_view(text) == "127.0.0.1");
}

namespace {

// Random bytes with many zero (and some 0xffff) groups, so that zero runs,
// ties and the embedded-IPv4 forms all occur often.
Bytes16 randomIPv6(std::mt19937& rng) {
  Bytes16 bytes{};
  unsigned shape = rng() % 4;
  for (int i = 0; i < 8; ++i) {
    std::uint32_t r = rng();
    std::uint16_t word;
    switch (r % 8) {
      case 0:
      case 1:
      case 2:
        word = 0;
        break;
      case 3:
        word = 0xffff;
        break;
      case 4:
        word = static_cast<std::uint16_t>((r >> 8) & 0xf);
        break;
      default:
        word = static_cast<std::uint16_t>(r >> 16);
        break;
    }
    bytes[2 * i] = static_cast<std::uint8_t>(word >> 8);
    bytes[2 * i + 1] = static_cast<std::uint8_t>(word & 0xff);
  }
  // Force the IPv4-mapped / -compatible prefixes now and then.
  if (shape == 1 || shape == 2) {
    for (int i = 0; i < 10; ++i)
      bytes[i] = 0;
    std::uint8_t fill = shape == 1 ? 0xff : 0;
    bytes[10] = fill;
    bytes[11] = fill;
  }
  return bytes;
}

Bytes16 randomIPv4(std::mt19937& rng) {
  Bytes16 bytes{};
  for (int i = 0; i < 4; ++i) {
    std::uint32_t r = rng();
    bytes[i] = static_cast<std::uint8_t>(r % 4 == 0 ? 0 : r >> 8);
  }
  return bytes;
}

// Small edits of a valid text: the near-misses a parser gets wrong.
std::string mutate(std::string text, std::mt19937& rng) {
  static constexpr char kAlphabet[] = "0123456789abcdefABCDEFg:.:.% x";
  int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits; ++e) {
    std::size_t pos = text.empty() ? 0 : rng() % (text.size() + 1);
    char c = kAlphabet[rng() % (sizeof kAlphabet - 1)];
    switch (rng() % 3) {
      case 0:
        text.insert(pos, 1, c);
        break;
      case 1:
        if (pos < text.size()) text.erase(pos, 1);
        break;
      default:
        if (pos < text.size()) text[pos] = c;
        break;
    }
  }
  return text;
}

}  // namespace

TEST_CASE("random addresses: format as inet_ntop, round trip", "[address]") {
  std::mt19937 rng(20240611);
  int bad = 0;
  for (int i = 0; i < 4000; ++i) {
    Family family = i % 4 == 0 ? Family::IPv4 : Family::IPv6;
    Bytes16 bytes = family == Family::IPv4 ? randomIPv4(rng) : randomIPv6(rng);
    std::string ours = ourFormat(bytes, family);
    std::string os = osFormat(bytes, family);
    auto back = dgram::detail::parseIp(ours, family, nullptr);
    auto osBack = osParse(ours, family);
    bool ok = ours == os && back && back->bytes == bytes && osBack &&
              *osBack == bytes;
    if (!ok && ++bad <= 5) {
      CAPTURE(ours, os);
      FAIL_CHECK("format or round trip differs from the OS");
    }
  }
  CHECK(bad == 0);
}

TEST_CASE("random addresses: round trip with a scope id", "[address]") {
  std::mt19937 rng(7);
  int bad = 0;
  for (int i = 0; i < 1000; ++i) {
    IpAddress ip;
    ip.family = Family::IPv6;
    ip.bytes = randomIPv6(rng);
    ip.scopeId = rng() % 3 == 0 ? 0 : rng();
    char text[dgram::detail::kMaxIpText];
    std::size_t n = dgram::detail::formatIp(ip, text, nullptr);
    if (dgram::detail::toIpString(ip, nullptr).view() !=
            std::string_view(text, n) &&
        ++bad <= 5) {
      FAIL_CHECK("toIpString differs from formatIp: " << text);
    }
    auto back = dgram::detail::parseIp(dgram::detail::toIpString(ip, nullptr),
                                       Family::IPv6, nullptr);
    if (back != ip && ++bad <= 5) {
      CAPTURE(dgram::detail::toIpString(ip, nullptr).str());
      FAIL_CHECK("text with a zone did not parse back");
    }
  }
  CHECK(bad == 0);
}

TEST_CASE("random near-miss texts: parse as inet_pton", "[address]") {
  std::mt19937 rng(1234567);
  int bad = 0;
  int valid = 0;
  int total = 0;
  for (int i = 0; i < 6000; ++i) {
    Family source = i % 3 == 0 ? Family::IPv4 : Family::IPv6;
    Bytes16 bytes = source == Family::IPv4 ? randomIPv4(rng) : randomIPv6(rng);
    std::string text = mutate(osFormat(bytes, source), rng);
    for (Family family : {Family::IPv4, Family::IPv6}) {
      ++total;
      auto ours = ourParse(text, family);
      auto os = osParse(text, family);
      if (os) ++valid;
      if (ours != os && ++bad <= 5) {
        CAPTURE(text, family);
        FAIL_CHECK("parse differs from inet_pton");
      }
    }
  }
  CHECK(bad == 0);
  // The mutations must leave a fair share valid, or the check proves little.
  CHECK(valid > total / 20);
  CHECK(valid < total / 2);
}

#endif  // _WIN32
