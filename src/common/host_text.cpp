// How bind, connect and send read their host text: see host_text.hpp for
// the rules and their order.
// Layer: common state machine.
#include "common/host_text.hpp"

#include <cstring>

#include "common/idna.hpp"

namespace dgram::detail {
namespace {

// libuv's buffer for getaddrinfo's name is 256 bytes, NUL included.
constexpr std::size_t kMaxLookupName = 255;
// RFC 1035's limits, as glibc's ns_name_pton checks them.
constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxWireName = 255;

bool isDigit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool isLetterOrDigit(char c) noexcept {
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// A byte no host name can hold: refused before anything else.
bool isForbiddenByte(char c) noexcept {
  auto byte = static_cast<unsigned char>(c);
  return byte <= 0x20 || byte == 0x7f;
}

// The characters of a zone in Node's IP-literal check.
bool isNodeZoneChar(char c) noexcept {
  return isLetterOrDigit(c) || c == '-' || c == '.' || c == ':';
}

IpAddress ipOf(Family family, const std::uint8_t* bytes) {
  IpAddress ip;
  ip.family = family;
  std::memcpy(ip.bytes.data(), bytes, family == Family::IPv4 ? 4 : 16);
  return ip;
}

bool isName(HostKind kind) noexcept {
  return kind == HostKind::name || kind == HostKind::hostsOnly;
}

HostReading found(const IpAddress& ip, Family family) {
  HostReading reading;
  reading.kind =
      ip.family == family ? HostKind::address : HostKind::otherFamily;
  reading.ip = ip;
  return reading;
}

HostReading refused(const char* code) {
  HostReading reading;
  reading.code = code;
  return reading;
}

// Step 2: Node's net.isIP, with the zone read as libuv reads it.
std::optional<IpAddress> nodeLiteral(std::string_view text,
                                     ZoneToIndex zoneToIndex) {
  std::uint8_t bytes[16];
  if (parseIPv4(text, bytes)) return ipOf(Family::IPv4, bytes);
  std::size_t percent = text.find('%');
  if (!parseIPv6(text.substr(0, percent), bytes)) return std::nullopt;
  IpAddress ip = ipOf(Family::IPv6, bytes);
  if (percent == std::string_view::npos) return ip;
  std::string_view zone = text.substr(percent + 1);
  if (zone.empty()) return std::nullopt;
  for (char c : zone) {
    if (!isNodeZoneChar(c)) return std::nullopt;
  }
  // An unknown zone is no zone (libuv ignores it), not an error.
  ip.scopeId = zoneToIndex != nullptr ? zoneToIndex(zone) : 0;
  return ip;
}

// glibc reads a zone it accepts for getaddrinfo as an interface name (on
// link-local addresses) or a decimal number of at most 32 bits.
bool glibcReadsZone(const IpAddress& ip, std::string_view zone,
                    ZoneToIndex zoneToIndex) {
  if (zone.empty()) return false;
  const std::uint8_t* b = ip.bytes.data();
  // Link-local unicast, and interface- or link-local multicast.
  bool linkScoped =
      isLinkLocalUnicast(ip) ||
      (b[0] == 0xff && ((b[1] & 0x0f) == 1 || (b[1] & 0x0f) == 2));
  if (linkScoped && zoneToIndex != nullptr) {
    bool decimal = true;
    for (char c : zone)
      decimal = decimal && isDigit(c);
    // zoneToIndex reads digits as an index on some platforms: only a
    // name counts here, digits are read below.
    if (!decimal && zoneToIndex(zone) != 0) return true;
  }
  std::uint64_t value = 0;
  for (char c : zone) {
    if (!isDigit(c)) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > UINT32_MAX) return false;
  }
  return true;
}

// Step 5 for IPv6 text: `text` holds a '%' and Node's check refused it.
std::optional<HostReading> zonedNumber(std::string_view text, Family family,
                                       ZoneToIndex zoneToIndex) {
  std::size_t percent = text.find('%');
  if (percent == std::string_view::npos) return std::nullopt;
  std::uint8_t bytes[16];
  if (!parseIPv6(text.substr(0, percent), bytes)) return std::nullopt;
  IpAddress ip = ipOf(Family::IPv6, bytes);
  // glibc's IPv4 path takes an IPv4-mapped address as its IPv4 part once
  // the zone is read; any other IPv6 text is of the other family, whatever
  // its zone (`::1%` is EAI_ADDRFAMILY, `::ffff:0:81%` ENOTFOUND).
  if (family == Family::IPv4 && !isIPv4Mapped(ip))
    return refused("EAI_ADDRFAMILY");
  if (!glibcReadsZone(ip, text.substr(percent + 1), zoneToIndex))
    return refused("ENOTFOUND");
  // Node turns getaddrinfo's answer into text without the zone.
  if (family == Family::IPv4) return found(unmapIPv4(ip), family);
  return found(ip, family);
}

// Step 6: what glibc's gethostbyname (getaddrinfo's IPv4 path) refuses
// as a number that is no address.
bool isDigitsAndDots(std::string_view text) noexcept {
  if (text.empty() || !isDigit(text.front()) || text.back() == '.')
    return false;
  for (char c : text) {
    if (!isDigit(c) && c != '.') return false;
  }
  return true;
}

bool isOnion(std::string_view name) noexcept {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  constexpr std::string_view suffix = ".onion";
  if (name.size() < suffix.size()) return false;
  std::string_view tail = name.substr(name.size() - suffix.size());
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    char c = tail[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

// Steps 4 to 8 on ASCII text.
HostReading readAscii(std::string_view text, Family family,
                      ZoneToIndex zoneToIndex) {
  for (char c : text) {
    if (isForbiddenByte(c)) return refused("ENOTFOUND");
  }
  // Node converts every name with UTS 46 first: a broken "xn--" label
  // fails there.
  if (!hasValidAceLabels(text)) return refused("EINVAL");
  if (text.size() > kMaxLookupName) return refused("EINVAL");
  std::uint8_t quad[4];
  if (parseInetAton(text, quad)) {
    if (family == Family::IPv6) return refused("EAI_ADDRFAMILY");
    return found(ipOf(Family::IPv4, quad), family);
  }
  if (auto zoned = zonedNumber(text, family, zoneToIndex)) return *zoned;
  if (family == Family::IPv4 && isDigitsAndDots(text))
    return refused("ENOTFOUND");
  if (isOnion(text)) return refused("ENOTFOUND");
  HostReading reading;
  reading.kind = isDnsHostName(text) ? HostKind::name : HostKind::hostsOnly;
  return reading;
}

}  // namespace

bool isDnsHostName(std::string_view name) noexcept {
  if (name == ".") return true;  // the root
  std::size_t wire = 1;          // the root label's length byte
  std::size_t label = 0;         // bytes in the current label
  bool firstLabel = true;
  for (std::size_t at = 0; at < name.size(); ++at) {
    char c = name[at];
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return false;
    if (c == '.') {
      if (label == 0) return false;  // an empty label
      wire += 1 + label;
      label = 0;
      firstLabel = false;
      continue;
    }
    if (c == '\\') {
      // "\DDD" is the byte DDD, "\X" is X: the label holds a byte that
      // must itself be a host name character.
      if (++at == name.size()) return false;
      c = name[at];
      if (isDigit(c)) {
        if (name.size() - at < 3 || !isDigit(name[at + 1]) ||
            !isDigit(name[at + 2]))
          return false;
        int value =
            (c - '0') * 100 + (name[at + 1] - '0') * 10 + (name[at + 2] - '0');
        if (value > 255) return false;
        c = static_cast<char>(value);
        at += 2;
      }
    }
    if (!isLetterOrDigit(c) && c != '-' && c != '_') return false;
    if (firstLabel && label == 0 && c == '-') return false;
    if (++label > kMaxLabel) return false;
  }
  if (label > 0) wire += 1 + label;
  return wire <= kMaxWireName;
}

HostReading readHost(std::string_view host, Family family,
                     ZoneToIndex zoneToIndex, std::string* query) {
  for (char c : host) {
    if (isForbiddenByte(c)) return refused("ENOTFOUND");
  }
  if (auto ip = nodeLiteral(host, zoneToIndex)) return found(*ip, family);
  bool ascii = true;
  for (char c : host)
    ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    HostReading reading = readAscii(host, family, zoneToIndex);
    if (query != nullptr && isName(reading.kind)) query->assign(host);
    return reading;
  }
  std::string converted;
  if (const char* code = toAsciiHost(host, converted)) return refused(code);
  HostReading reading = readAscii(converted, family, zoneToIndex);
  if (query != nullptr && isName(reading.kind)) *query = std::move(converted);
  return reading;
}

std::optional<IpAddress> numericHost(std::string_view host, Family family,
                                     ZoneToIndex zoneToIndex) {
  // The common case first, in one pass: a literal of the socket's family.
  IpAddress ip;
  ip.family = family;
  if (family == Family::IPv4) {
    if (parseIPv4(host, ip.bytes.data())) return ip;
  } else if (host.find('%') == std::string_view::npos &&
             parseIPv6(host, ip.bytes.data())) {
    return ip;
  }
  if (host.empty()) return std::nullopt;
  HostReading reading = readHost(host, family, zoneToIndex);
  if (reading.kind != HostKind::address) return std::nullopt;
  return reading.ip;
}

}  // namespace dgram::detail
