// Per-datagram metadata beyond the sender, as the POSIX socket uses it:
// where a datagram arrived (IP_PKTINFO / IPV6_RECVPKTINFO), the TOS or
// traffic class byte it carried (IP_RECVTOS / IPV6_RECVTCLASS), and the
// source a send leaves from (IP_PKTINFO / IPV6_PKTINFO on sendmsg).
// Compiled where the system defines them (Linux, macOS); elsewhere the
// functions report "not available" and sockets work without them.
// Layer: platform (readiness backends).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bsd/bsd_socket.hpp"
#include "common/platform_socket.hpp"
#include "posix/control_messages.hpp"

#if defined(IP_PKTINFO) && defined(IPV6_RECVPKTINFO) && defined(IPV6_PKTINFO)
#define DGRAM_HAVE_PKTINFO 1
#endif
#if defined(IP_RECVTOS) && defined(IPV6_RECVTCLASS) && defined(IPV6_TCLASS)
#define DGRAM_HAVE_RECVTOS 1
#endif

namespace dgram::detail::metadata {

/// Room for what a received datagram may carry with both options on
/// (destination and interface, and a TOS byte), on either family.
constexpr std::size_t kReceiveSpace = 96;
/// Room for a source address on a send.
constexpr std::size_t kSendSpace = 48;

/// Asks the kernel to say where each datagram arrived. An IPv6 socket is
/// told for its IPv4 traffic too (as IPv4-mapped addresses).
inline bool enablePktInfo(int fd, Family family) {
#ifdef DGRAM_HAVE_PKTINFO
  return family == Family::IPv4
             ? !bsd::setIntOption(fd, IPPROTO_IP, IP_PKTINFO, 1)
             : !bsd::setIntOption(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
#else
  (void)fd;
  (void)family;
  return false;
#endif
}

/// Asks the kernel for each datagram's TOS / traffic class byte. An IPv6
/// socket needs both options: IPv4 traffic carries a TOS byte.
inline bool enableTos(int fd, Family family) {
#ifdef DGRAM_HAVE_RECVTOS
  if (bsd::setIntOption(fd, IPPROTO_IP, IP_RECVTOS, 1)) return false;
  return family == Family::IPv4 ||
         !bsd::setIntOption(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
#else
  (void)fd;
  (void)family;
  return false;
#endif
}

/// Whether a send can name its source here.
constexpr bool canChooseSource() noexcept {
#ifdef DGRAM_HAVE_PKTINFO
  return true;
#else
  return false;
#endif
}

/// Attaches the source `request` names (if any) to the message `control`
/// writes, for a socket of `family`.
inline void setSource(ControlWriter& control, Family family,
                      const SendRequest& request) {
#ifdef DGRAM_HAVE_PKTINFO
  if (!request.hasSource) return;
  if (family == Family::IPv4) {
    in_pktinfo info{};
    info.ipi_ifindex = static_cast<int>(request.sourceInterface);
    std::memcpy(&info.ipi_spec_dst, request.source.bytes.data(), 4);
    control.add(IPPROTO_IP, IP_PKTINFO, &info, sizeof info);
  } else {
    in6_pktinfo info{};
    info.ipi6_ifindex = request.sourceInterface;
    std::memcpy(&info.ipi6_addr, request.source.bytes.data(), 16);
    control.add(IPPROTO_IPV6, IPV6_PKTINFO, &info, sizeof info);
  }
#else
  (void)control;
  (void)family;
  (void)request;
#endif
}

/// Records where a datagram arrived: `address` (4 or 16 bytes, as the
/// family says) and the interface index.
inline void setLocal(Arrival& arrival, Family family, const void* address,
                     std::uint32_t interfaceIndex) {
  arrival.local = IpAddress{};
  arrival.local.family = family;
  std::memcpy(arrival.local.bytes.data(), address,
              family == Family::IPv4 ? 4 : 16);
  arrival.interfaceIndex = interfaceIndex;
  arrival.hasLocal = true;
}

/// Reads what `header` carries into `arrival`: the destination and
/// interface, and the TOS byte, where the kernel attached them.
inline void read(const msghdr& header, Arrival& arrival) {
  forEachControlMessage(header, [&](int level, int type,
                                    const unsigned char* data,
                                    std::size_t size) {
#ifdef DGRAM_HAVE_PKTINFO
    if (level == IPPROTO_IP && type == IP_PKTINFO &&
        size >= sizeof(in_pktinfo)) {
      in_pktinfo info;
      std::memcpy(&info, data, sizeof info);
      setLocal(arrival, Family::IPv4, &info.ipi_addr,
               static_cast<std::uint32_t>(info.ipi_ifindex));
      return;
    }
    if (level == IPPROTO_IPV6 && type == IPV6_PKTINFO &&
        size >= sizeof(in6_pktinfo)) {
      in6_pktinfo info;
      std::memcpy(&info, data, sizeof info);
      setLocal(arrival, Family::IPv6, &info.ipi6_addr, info.ipi6_ifindex);
      // A link-local destination means nothing without its interface.
      if (IN6_IS_ADDR_LINKLOCAL(&info.ipi6_addr))
        arrival.local.scopeId = info.ipi6_ifindex;
      return;
    }
#endif  // DGRAM_HAVE_PKTINFO
#ifdef DGRAM_HAVE_RECVTOS
    // Linux reports IPv4's as IP_TOS (one byte), BSDs as IP_RECVTOS;
    // IPv6's traffic class comes as an int.
    bool tos = level == IPPROTO_IP && (type == IP_TOS || type == IP_RECVTOS);
    bool tclass = level == IPPROTO_IPV6 && type == IPV6_TCLASS;
    if ((tos || tclass) && size >= 1) {
      int value = data[0];
      if (size >= sizeof(int)) std::memcpy(&value, data, sizeof value);
      arrival.tos = static_cast<std::int16_t>(value & 0xff);
    }
#endif  // DGRAM_HAVE_RECVTOS
    (void)level;
    (void)type;
    (void)data;
    (void)size;
  });
}

}  // namespace dgram::detail::metadata
