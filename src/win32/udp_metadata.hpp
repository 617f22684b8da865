// Per-datagram metadata beyond the sender, as the Winsock socket uses it:
// where a datagram arrived (IP_PKTINFO / IPV6_PKTINFO), the TOS or traffic
// class byte it carried (IP_RECVTOS / IPV6_RECVTCLASS), and the source a
// send leaves from (IN_PKTINFO / IN6_PKTINFO on WSASendMsg). The Winsock
// counterpart of src/posix/udp_metadata.hpp; the same Arrival comes out.
// Layer: platform (IOCP).
//
// Windows differs from Linux in three ways that matter here:
// - a dual-stack socket gets IPv4 traffic's metadata through the IPv4
//   options (IP_PKTINFO, IP_RECVTOS set on the IPv6 socket), reported as
//   IN_PKTINFO / IP_TOS: the address is turned into its IPv4-mapped form;
// - the received TOS comes as a control message of type IP_TOS (an INT),
//   the traffic class as IPV6_TCLASS (an INT);
// - an IPv4-mapped source on a dual-stack socket is given as IN_PKTINFO
//   with the IPv4 address (msquic does the same).
// An option the system refuses leaves the feature off (features() says
// so); wine refuses none of these but ignores every control message of
// WSASendMsg (docs/windows.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bsd/bsd_socket.hpp"
#include "common/platform_socket.hpp"
#include "win32/control_messages.hpp"

namespace dgram::detail::metadata {

/// Room for what a received datagram may carry with both options on: on
/// a dual-stack socket an IPv4 datagram can come with both pktinfo forms
/// and a TOS byte (four WSA_CMSG_SPACE of at most 20 bytes: 160).
constexpr std::size_t kReceiveSpace = 160;
/// Room for a source address on a send.
constexpr std::size_t kSendSpace = 48;

/// Asks the system to say where each datagram arrived. An IPv6 socket is
/// told for its IPv4 traffic too (best effort: a v6-only socket has
/// none).
inline bool enablePktInfo(SOCKET socket, Family family) {
  if (family == Family::IPv4)
    return !bsd::setIntOption(socket, IPPROTO_IP, IP_PKTINFO, 1);
  if (bsd::setIntOption(socket, IPPROTO_IPV6, IPV6_PKTINFO, 1)) return false;
  (void)bsd::setIntOption(socket, IPPROTO_IP, IP_PKTINFO, 1);
  return true;
}

/// Asks the system for each datagram's TOS / traffic class byte. An IPv6
/// socket needs both options: IPv4 traffic carries a TOS byte.
inline bool enableTos(SOCKET socket, Family family) {
  if (bsd::setIntOption(socket, IPPROTO_IP, IP_RECVTOS, 1)) return false;
  return family == Family::IPv4 ||
         !bsd::setIntOption(socket, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
}

/// Attaches the source `request` names (if any) to the message `control`
/// writes, for a socket of `family`.
inline void setSource(ControlWriter& control, Family family,
                      const SendRequest& request) {
  if (!request.hasSource) return;
  const IpAddress& source = request.source;
  const bool mapped = isIPv4Mapped(source);
  if (family == Family::IPv4 || mapped) {
    IN_PKTINFO info{};
    std::memcpy(&info.ipi_addr, source.bytes.data() + (mapped ? 12 : 0), 4);
    info.ipi_ifindex = request.sourceInterface;
    control.add(IPPROTO_IP, IP_PKTINFO, &info, sizeof info);
  } else {
    IN6_PKTINFO info{};
    std::memcpy(&info.ipi6_addr, source.bytes.data(), 16);
    info.ipi6_ifindex = request.sourceInterface;
    control.add(IPPROTO_IPV6, IPV6_PKTINFO, &info, sizeof info);
  }
}

/// Records where a datagram arrived: `address` (4 or 16 bytes, as
/// `addressFamily` says) on a socket of `socketFamily` (an IPv6 socket
/// reports an IPv4 destination in its IPv4-mapped form).
inline void setLocal(Arrival& arrival, Family socketFamily,
                     Family addressFamily, const void* address,
                     std::uint32_t interfaceIndex) {
  IpAddress local;
  local.family = addressFamily;
  std::memcpy(local.bytes.data(), address,
              addressFamily == Family::IPv4 ? 4 : 16);
  arrival.local = addressFamily == Family::IPv4 && socketFamily == Family::IPv6
                      ? mapToIPv6(local)
                      : local;
  arrival.interfaceIndex = interfaceIndex;
  arrival.hasLocal = true;
}

/// Reads one control message into `arrival` if it is metadata: the
/// destination and interface, or the TOS byte. Returns whether it was.
inline bool read(Family socketFamily, int level, int type,
                 const unsigned char* data, std::size_t size,
                 Arrival& arrival) {
  if (level == IPPROTO_IP && type == IP_PKTINFO && size >= sizeof(IN_PKTINFO)) {
    // A dual-stack socket may get both forms for one IPv4 datagram; the
    // IPv6 one, already mapped, says the same.
    if (arrival.hasLocal) return true;
    IN_PKTINFO info;
    std::memcpy(&info, data, sizeof info);
    setLocal(arrival, socketFamily, Family::IPv4, &info.ipi_addr,
             info.ipi_ifindex);
    return true;
  }
  if (level == IPPROTO_IPV6 && type == IPV6_PKTINFO &&
      size >= sizeof(IN6_PKTINFO)) {
    IN6_PKTINFO info;
    std::memcpy(&info, data, sizeof info);
    setLocal(arrival, Family::IPv6, Family::IPv6, &info.ipi6_addr,
             info.ipi6_ifindex);
    // A link-local destination means nothing without its interface.
    if (IN6_IS_ADDR_LINKLOCAL(&info.ipi6_addr))
      arrival.local.scopeId = info.ipi6_ifindex;
    return true;
  }
  bool tos = level == IPPROTO_IP && type == IP_TOS;
  bool tclass = level == IPPROTO_IPV6 && type == IPV6_TCLASS;
  if ((tos || tclass) && size >= 1) {
    // An INT (little-endian: its first byte is the value); one byte
    // accepted too.
    int value = data[0];
    if (size >= sizeof(int)) std::memcpy(&value, data, sizeof value);
    arrival.tos = static_cast<std::int16_t>(value & 0xff);
    return true;
  }
  return false;
}

}  // namespace dgram::detail::metadata
