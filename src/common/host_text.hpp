// How bind, connect and send read their host text: as Node v20 reads it on
// Linux with glibc (dgram's lookup is dns.lookup: Node's own IP-literal
// check, then libuv's IDNA conversion and getaddrinfo). Everything about
// what text is an address, and what is refused without asking anyone, is
// decided here; a resolver only ever sees real names (c-ares' own literal
// parsing never decides). test/node_address_table.cpp checks the result
// against a table recorded from Node; docs/errors.md lists where dgram
// differs on purpose.
//
// In order, for a host that is not empty:
//  1. A byte no host name can hold (a control character, space or DEL):
//     ENOTFOUND. Deliberate: Node cuts the text at a NUL and reads the rest.
//  2. Node's IP literal (net.isIP): a strict dotted quad, or IPv6 text with
//     an optional zone of [0-9A-Za-z.:-]+. The zone is read by the
//     platform's zoneToIndex as libuv reads it (an interface name on POSIX,
//     so "::1%nosuchif0" and "::1%1" are ::1 without a zone); a literal of
//     the other family fails on its syscall (EINVAL).
//  3. Text with bytes beyond ASCII is converted to the ASCII name Node asks
//     for (see idna.hpp), then read from step 4 on.
//  4. 256 bytes or more: EINVAL (libuv's limit for getaddrinfo's name).
//  5. getaddrinfo's numbers: inet_aton's forms ("127.1", "0x7f.1",
//     "127.0.0.010" = 127.0.0.8) are the address on udp4 and
//     EAI_ADDRFAMILY on udp6; IPv6 text with a zone Node's check refused
//     ("::1%", "fe80::1%eth_0") is EAI_ADDRFAMILY on udp4 and, on udp6,
//     the address without its zone if glibc can read the zone, else
//     ENOTFOUND.
//  6. udp4 only: digits and dots that are no address ("127.0.0.08",
//     "1.2.3.4.5"): ENOTFOUND (glibc's gethostbyname refuses them).
//  7. ".onion" names: ENOTFOUND (RFC 7686: never sent to DNS; c-ares
//     refuses them too). Deliberate: glibc asks DNS.
//  8. Anything else is a name: the hosts file, then DNS if DNS can carry
//     it (glibc's res_hnok: labels of [0-9A-Za-z_-], 1..63 bytes, 253 in
//     all, the first not starting with '-'), else the hosts file only.
// Layer: common state machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.hpp"

namespace dgram::detail {

/// What a host text is.
enum class HostKind : std::uint8_t {
  address,      ///< an address of the asked family: use it, no lookup
  otherFamily,  ///< an IP literal of the other family: its syscall fails
  refused,      ///< a lookup error, without asking anyone: `code`
  name,         ///< a name: the hosts file, then DNS
  hostsOnly,    ///< a name DNS cannot carry: the hosts file only
};

struct HostReading {
  HostKind kind = HostKind::refused;
  IpAddress ip;                ///< address / otherFamily
  const char* code = nullptr;  ///< refused: "ENOTFOUND", "EINVAL"...
};

/// Reads `host` (not empty) for a socket of `family`. For names,
/// `query` (if given) receives the ASCII name to look up.
HostReading readHost(std::string_view host, Family family,
                     ZoneToIndex zoneToIndex, std::string* query = nullptr);

/// The address `host` names for `family` without any lookup (readHost's
/// HostKind::address), or nothing. A plain dotted quad or IPv6 literal
/// costs one pass: this is on the send path.
std::optional<IpAddress> numericHost(std::string_view host, Family family,
                                     ZoneToIndex zoneToIndex);

/// Whether `name` (ASCII) is a host name DNS can carry, as glibc's
/// res_hnok decides (backslash escapes read as in a zone file).
bool isDnsHostName(std::string_view name) noexcept;

}  // namespace dgram::detail
