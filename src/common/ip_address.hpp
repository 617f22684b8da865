// Platform-free IP addresses: parsing and formatting of IPv4, IPv6, zone
// ids and IPv4-mapped forms. Strict like inet_pton: no shorthand such as
// "127.1", no octal, no trailing garbage, no prefix lengths.
// Layer: common state machine.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "dgram/address.hpp"

namespace dgram::detail {

/// An IPv4 or IPv6 address in network byte order, with the IPv6 scope id
/// (interface index, 0 = none).
struct IpAddress {
  Family family = Family::IPv4;
  std::array<std::uint8_t, 16> bytes{};  ///< IPv4 uses the first 4
  std::uint32_t scopeId = 0;

  friend bool operator==(const IpAddress& a, const IpAddress& b) noexcept {
    // A fixed-size memcmp compiled inline (two word compares): this runs
    // for every datagram received (the sender cache) and sent.
    return a.family == b.family && a.scopeId == b.scopeId &&
           std::memcmp(a.bytes.data(), b.bytes.data(), 16) == 0;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) noexcept {
    return !(a == b);
  }
};

/// An address and a port: what a socket binds, connects and sends to.
struct Endpoint {
  IpAddress ip;
  std::uint16_t port = 0;
};

/// The any address (0.0.0.0 or ::) and the loopback (127.0.0.1 or ::1).
IpAddress anyAddress(Family family) noexcept;
IpAddress loopbackAddress(Family family) noexcept;

/// Parses dotted-quad IPv4 exactly as inet_pton(AF_INET): four decimal
/// parts 0..255, no leading zeros beyond a single "0", nothing else.
bool parseIPv4(std::string_view text, std::uint8_t out[4]) noexcept;

/// Parses IPv4 text as glibc's inet_aton reads a whole string (what
/// getaddrinfo accepts as a number): one to four parts separated by single
/// dots, each decimal, octal (leading 0) or hex (0x), the last part filling
/// the remaining bytes ("127.1" is 127.0.0.1, "0x7f.1" too, "0177.0.0.1"
/// too); every part but the last at most 255, nothing else around it.
bool parseInetAton(std::string_view text, std::uint8_t out[4]) noexcept;

/// Parses IPv6 text exactly as inet_pton(AF_INET6), without a zone:
/// hex groups, one "::", an optional trailing dotted quad.
bool parseIPv6(std::string_view text, std::uint8_t out[16]) noexcept;

/// Maps a zone (the part after '%') to an interface index. The platform
/// supplies it (if_nametoindex); it returns 0 for an unknown name.
using ZoneToIndex = std::uint32_t (*)(std::string_view zone);

/// Parses an address of the given family. IPv6 accepts "addr%zone": a
/// zone of decimal digits is an index, otherwise `zoneToIndex` resolves a
/// name; an empty or unknown zone makes the text invalid.
std::optional<IpAddress> parseIp(std::string_view text, Family family,
                                 ZoneToIndex zoneToIndex) noexcept;

/// Whether `ip` is an IPv6 link-local unicast address (fe80::/10): the
/// only kind whose zone Node shows (address(), remoteAddress()).
bool isLinkLocalUnicast(const IpAddress& ip) noexcept;

/// The IPv4-mapped IPv6 form of an IPv4 address (::ffff:a.b.c.d).
IpAddress mapToIPv6(const IpAddress& ipv4) noexcept;
/// Whether `ip` is an IPv4-mapped IPv6 address (::ffff:a.b.c.d).
bool isIPv4Mapped(const IpAddress& ip) noexcept;
/// The IPv4 address an IPv4-mapped one holds (mapToIPv6's inverse).
IpAddress unmapIPv4(const IpAddress& mapped) noexcept;

/// Parses either family (IPv4 first).
std::optional<IpAddress> parseAnyIp(std::string_view text,
                                    ZoneToIndex zoneToIndex) noexcept;

/// Whether `text` is a numeric address of either family (zone allowed).
bool isIpLiteral(std::string_view text) noexcept;

/// Maximum text length written by formatIp, including '%zone' and NUL.
constexpr std::size_t kMaxIpText = IpString::kCapacity;

/// Maps an interface index to its zone text. The platform supplies it:
/// the interface name on POSIX (if_indextoname), the decimal index on
/// Windows. Writes at most `cap` bytes (no NUL) and returns the length;
/// returns 0 if it has no name (then the decimal index is used).
using IndexToZone = std::size_t (*)(std::uint32_t index, char* out,
                                    std::size_t cap);

/// Formats like inet_ntop (RFC 5952: lower-case hex, longest run of two or
/// more zero groups as "::", the first on a tie; "::ffff:a.b.c.d" for
/// IPv4-mapped), then "%zone" when the IPv6 scope id is not 0. Writes a
/// NUL-terminated string into `out` (kMaxIpText bytes) and returns its
/// length. Never allocates.
std::size_t formatIp(const IpAddress& ip, char* out,
                     IndexToZone indexToZone) noexcept;

/// formatIp into an IpString.
IpString toIpString(const IpAddress& ip, IndexToZone indexToZone) noexcept;

}  // namespace dgram::detail
