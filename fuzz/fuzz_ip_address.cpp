// IP address parsing and formatting, differentially against the OS:
// parseIp must accept exactly what inet_pton (plus if_nametoindex for a
// zone) accepts, with the same bytes; formatIp must print what inet_ntop
// prints (plus the zone); and parse(format(x)) == x for every address.
//
// Every input is used twice: as text to parse, and as raw bytes that make
// an address to format.
#include <array>

#include "common/platform_socket.hpp"
#include "fuzz_support.hpp"
#include "bsd/sockaddr.hpp"

namespace {

using dgram::Family;
using dgram::detail::IpAddress;

std::string describe(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return "'" + out + "'";
}

// What inet_ntop and if_indextoname make of an address: the text formatIp
// must produce.
std::string osFormat(const IpAddress& ip) {
  char text[INET6_ADDRSTRLEN];
  int af = ip.family == Family::IPv4 ? AF_INET : AF_INET6;
  if (::inet_ntop(af, ip.bytes.data(), text, sizeof text) == nullptr)
    fuzz::fail("inet_ntop failed");
  std::string out = text;
  if (ip.family == Family::IPv6 && ip.scopeId != 0) {
    char name[IF_NAMESIZE];
    if (::if_indextoname(ip.scopeId, name) != nullptr)
      out += std::string("%") + name;
    else
      out += "%" + std::to_string(ip.scopeId);
  }
  return out;
}

// Formats `ip`, compares with the OS, then parses the text back.
void checkFormat(const IpAddress& ip) {
  char text[dgram::detail::kMaxIpText];
  std::size_t n = dgram::detail::formatIp(ip, text, dgram::detail::indexToZone);
  std::string_view got(text, n);
  fuzz::check(n < sizeof text && text[n] == '\0', "formatIp: no NUL");
  std::string expected = osFormat(ip);
  fuzz::check(got == expected, "formatIp gave " + describe(got) + ", the OS " +
                                   describe(expected));
  fuzz::check(dgram::detail::toIpString(ip, dgram::detail::indexToZone) == got,
              "toIpString differs from formatIp");
  auto back =
      dgram::detail::parseIp(got, ip.family, dgram::detail::zoneToIndex);
  fuzz::check(back && *back == ip, "round trip failed for " + describe(got));

  // The kernel's form of it must round-trip too.
  dgram::detail::Endpoint endpoint{ip, 4242};
  sockaddr_storage sa;
  dgram::detail::toSockaddr(endpoint, sa);
  dgram::detail::Endpoint again;
  fuzz::check(
      dgram::detail::fromSockaddr(reinterpret_cast<sockaddr*>(&sa), again) &&
          again.ip == ip && again.port == 4242,
      "sockaddr round trip failed for " + describe(got));
}

void checkParse(std::string_view text) {
  using dgram::detail::parseIp;
  for (Family family : {Family::IPv4, Family::IPv6}) {
    auto got = parseIp(text, family, dgram::detail::zoneToIndex);
    auto expected = fuzz::osParseIp(text, family);
    const char* name = family == Family::IPv4 ? "IPv4" : "IPv6";
    fuzz::check(
        got.has_value() == expected.has_value(),
        std::string("parseIp(") + name + ") " +
            (got ? "accepts " : "rejects ") + describe(text) +
            (expected ? ", inet_pton accepts it" : ", the OS does not"));
    if (!got) continue;
    fuzz::check(*got == *expected, std::string("parseIp(") + name +
                                       ") bytes differ for " + describe(text));
    checkFormat(*got);
  }
  bool literal = dgram::detail::isIpLiteral(text);
  fuzz::check(literal == fuzz::osIsLiteral(text),
              "isIpLiteral disagrees on " + describe(text));
  auto any = dgram::detail::parseAnyIp(text, dgram::detail::zoneToIndex);
  fuzz::check(!any || literal, "parseAnyIp accepts a non-literal");
}

// An address made from raw bytes: family, 16 bytes, and a scope id that
// is mostly small (so that real interfaces come up) but may be anything.
void checkBytes(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  IpAddress ip;
  ip.family = in.flag() ? Family::IPv6 : Family::IPv4;
  for (auto& b : ip.bytes)
    b = in.byte();
  if (ip.family == Family::IPv4) {
    std::fill(ip.bytes.begin() + 4, ip.bytes.end(), 0);
  } else {
    std::uint8_t scope = in.byte();
    if (scope & 0x80)
      ip.scopeId = in.integer<std::uint32_t>();
    else
      ip.scopeId = scope & 0x3;
  }
  checkFormat(ip);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  checkParse(std::string_view(reinterpret_cast<const char*>(data), size));
  checkBytes(data, size);
  return 0;
}
