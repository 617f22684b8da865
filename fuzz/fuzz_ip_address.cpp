// IP address parsing and formatting, differentially against the OS:
// parseIp must accept exactly what inet_pton (plus if_nametoindex for a
// zone) accepts, with the same bytes; formatIp must print what inet_ntop
// prints (plus the zone); and parse(format(x)) == x for every address.
//
// Host text (host_text.hpp, how bind/connect/send read it as Node does)
// against glibc: parseInetAton is inet_aton on the whole text; Node's IP
// literals are inet_pton's (with a zone of Node's characters, read by
// if_nametoindex); for other ASCII text an address or EAI_ADDRFAMILY is
// exactly what getaddrinfo(AI_NUMERICHOST) says; isDnsHostName is
// res_hnok; and Punycode decodes what it encodes.
//
// Every input is used twice: as text to parse, and as raw bytes that make
// an address to format.
#include <netdb.h>
#include <resolv.h>

#include <array>
#include <cctype>

#include "bsd/sockaddr.hpp"
#include "common/host_text.hpp"
#include "common/idna.hpp"
#include "common/platform_socket.hpp"
#include "fuzz_support.hpp"

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

bool hasNulOrSpace(std::string_view text) {
  for (char c : text) {
    if (c == '\0' || std::isspace(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

// parseInetAton against glibc's inet_aton, which stops at whitespace: on
// text without any, its success means the whole text was read.
void checkInetAton(std::string_view text) {
  std::uint8_t got[4];
  bool ours = dgram::detail::parseInetAton(text, got);
  in_addr os{};
  bool theirs = false;
  if (!hasNulOrSpace(text)) {
    std::string copy(text);
    theirs = ::inet_aton(copy.c_str(), &os) == 1;
  }
  fuzz::check(ours == theirs, std::string("parseInetAton ") +
                                  (ours ? "accepts " : "rejects ") +
                                  describe(text) + ", inet_aton does not");
  if (ours)
    fuzz::check(std::memcmp(got, &os, 4) == 0,
                "parseInetAton bytes differ for " + describe(text));
}

// Node's IP literal: what inet_pton reads, an IPv6 one with an optional
// zone of [0-9A-Za-z.:-]+ that if_nametoindex reads (0: no zone).
std::optional<IpAddress> nodeLiteral(std::string_view text) {
  if (auto v4 = fuzz::osParseIp(text, Family::IPv4)) return v4;
  std::size_t percent = text.find('%');
  IpAddress ip;
  ip.family = Family::IPv6;
  if (!fuzz::osParse(text.substr(0, percent), AF_INET6, ip.bytes.data()))
    return std::nullopt;
  if (percent == std::string_view::npos) return ip;
  std::string zone(text.substr(percent + 1));
  if (zone.empty() || zone.find_first_not_of(
                          "0123456789abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ-.:") != std::string::npos)
    return std::nullopt;
  ip.scopeId = zone.size() < IF_NAMESIZE ? ::if_nametoindex(zone.c_str()) : 0;
  return ip;
}

// getaddrinfo(AI_NUMERICHOST): the address, or the EAI_* code.
int osNumericHost(const std::string& text, Family family, IpAddress& out) {
  addrinfo hints{};
  hints.ai_family = family == Family::IPv4 ? AF_INET : AF_INET6;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* result = nullptr;
  int status = ::getaddrinfo(text.c_str(), nullptr, &hints, &result);
  if (status != 0) return status;
  dgram::detail::Endpoint endpoint;
  bool ok = dgram::detail::fromSockaddr(result->ai_addr, endpoint);
  ::freeaddrinfo(result);
  fuzz::check(ok, "getaddrinfo answered another family");
  out = endpoint.ip;
  out.scopeId = 0;  // Node's text of the answer has no zone
  return 0;
}

bool isAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

void checkHostReading(std::string_view text, Family family) {
  using dgram::detail::HostKind;
  if (text.empty()) return;  // bind/connect/send take it as no host
  const char* name = family == Family::IPv4 ? "udp4" : "udp6";
  std::string query;
  auto got =
      dgram::detail::readHost(text, family, dgram::detail::zoneToIndex, &query);
  auto what = [&](const std::string& problem) {
    return std::string("readHost(") + name + ") " + describe(text) + ": " +
           problem;
  };
  bool numeric = got.kind == HostKind::address;
  auto fast =
      dgram::detail::numericHost(text, family, dgram::detail::zoneToIndex);
  fuzz::check(fast.has_value() == numeric && (!fast || *fast == got.ip),
              what("numericHost disagrees"));
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      fuzz::check(
          got.kind == HostKind::refused && std::string(got.code) == "ENOTFOUND",
          what("a control byte is not refused"));
      return;
    }
  }
  if (auto literal = nodeLiteral(text)) {
    HostKind kind =
        literal->family == family ? HostKind::address : HostKind::otherFamily;
    fuzz::check(got.kind == kind && got.ip == *literal,
                what("not read as Node's IP literal"));
    return;
  }
  fuzz::check(got.kind != HostKind::otherFamily,
              what("not Node's literal, yet of the other family"));
  if (got.kind == HostKind::name || got.kind == HostKind::hostsOnly) {
    fuzz::check(isAscii(query), what("a query beyond ASCII"));
    fuzz::check(
        (got.kind == HostKind::name) == (::res_hnok(query.c_str()) != 0),
        what("DNS or not, res_hnok says otherwise"));
  }
  if (!isAscii(text) || text.size() > 255) return;
  if (got.kind == HostKind::refused && std::string(got.code) == "EINVAL")
    return;  // a broken "xn--" label, refused before getaddrinfo
  IpAddress os;
  int status = osNumericHost(std::string(text), family, os);
  if (status == 0) {
    fuzz::check(numeric && got.ip == os, what("getaddrinfo reads an address"));
  } else if (status == EAI_ADDRFAMILY) {
    fuzz::check(got.kind == HostKind::refused &&
                    std::string(got.code) == "EAI_ADDRFAMILY",
                what("getaddrinfo says EAI_ADDRFAMILY"));
  } else {
    fuzz::check(!numeric && !(got.kind == HostKind::refused &&
                              std::string(got.code) == "EAI_ADDRFAMILY"),
                what("getaddrinfo reads no number"));
  }
}

void checkHostText(std::string_view text) {
  checkInetAton(text);
  for (Family family : {Family::IPv4, Family::IPv6})
    checkHostReading(text, family);
  if (!hasNulOrSpace(text) && isAscii(text)) {
    std::string copy(text);
    fuzz::check(
        dgram::detail::isDnsHostName(text) == (::res_hnok(copy.c_str()) != 0),
        "isDnsHostName and res_hnok disagree on " + describe(text));
  }
}

// Punycode: decoding what was encoded gives the code points back.
void checkPunycode(const std::uint8_t* data, std::size_t size) {
  std::u32string points;
  for (std::size_t i = 0; i + 2 < size && points.size() < 64; i += 3) {
    char32_t c = (static_cast<char32_t>(data[i]) << 16 |
                  static_cast<char32_t>(data[i + 1]) << 8 | data[i + 2]) %
                 0x110000;
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    points.push_back(c);
  }
  std::string encoded;
  if (!dgram::detail::punycodeEncode(points.data(), points.size(), encoded))
    return;
  std::u32string decoded;
  fuzz::check(
      dgram::detail::punycodeDecode(encoded, decoded) && decoded == points,
      "Punycode does not decode what it encoded: " + encoded);
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
  std::string_view text(reinterpret_cast<const char*>(data), size);
  checkParse(text);
  checkHostText(text);
  checkBytes(data, size);
  checkPunycode(data, size);
  return 0;
}
