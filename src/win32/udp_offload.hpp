// Windows' UDP offloads, as the Winsock socket uses them: segmentation of
// a run of equal datagrams by the stack or the NIC (USO: a
// UDP_SEND_MSG_SIZE control message on WSASendMsg) and the coalescing of
// received ones (URO: UDP_RECV_MAX_COALESCED_SIZE, each coalesced buffer
// saying its segment size in a UDP_COALESCED_INFO control message). The
// Winsock counterpart of src/posix/udp_offload.hpp. Windows 10 2004 /
// Server 2022 and later, NIC permitting; wine refuses both options.
// Layer: platform (IOCP).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common/segment_run.hpp"
#include "win32/control_messages.hpp"

// mingw-w64's headers (10 and 11) lack these; the values are the
// Windows SDK's (ws2ipdef.h).
#ifndef UDP_SEND_MSG_SIZE
#define UDP_SEND_MSG_SIZE 2
#endif
#ifndef UDP_RECV_MAX_COALESCED_SIZE
#define UDP_RECV_MAX_COALESCED_SIZE 3
#endif
#ifndef UDP_COALESCED_INFO
#define UDP_COALESCED_INFO 3
#endif

namespace dgram::detail::offload {

/// One segmented send at most: segments per call (Windows takes up to
/// 512; 64 bounds the copy a run needs), and the UDP payload of the whole
/// (IPv4's largest).
constexpr std::size_t kMaxSegments = 64;
constexpr std::size_t kMaxBytes = 65507;
constexpr SegmentLimits kLimits{kMaxSegments, kMaxBytes};
/// What a coalesced receive may hold (the largest UDP payload).
constexpr DWORD kMaxCoalesced = 65507;

/// Room for the one DWORD control message each offload uses.
constexpr std::size_t kControlSpace = 32;

/// Whether the system can segment sends on `socket`: it knows the
/// option (Windows answers WSAEINVAL or WSAENOPROTOOPT where it does
/// not).
inline bool canSegment(SOCKET socket) {
  DWORD size = 0;
  int length = sizeof size;
  return ::getsockopt(socket, IPPROTO_UDP, UDP_SEND_MSG_SIZE,
                      reinterpret_cast<char*>(&size), &length) == 0;
}

/// Asks the system to coalesce received datagrams on `socket`; returns
/// whether it will.
inline bool enableCoalescing(SOCKET socket) {
  DWORD size = kMaxCoalesced;
  return ::setsockopt(socket, IPPROTO_UDP, UDP_RECV_MAX_COALESCED_SIZE,
                      reinterpret_cast<const char*>(&size), sizeof size) == 0;
}

/// Attaches "cut this send into `segment`-byte datagrams" to the message
/// `control` writes.
inline void setSegmentSize(ControlWriter& control, std::uint32_t segment) {
  DWORD value = segment;
  control.add(IPPROTO_UDP, UDP_SEND_MSG_SIZE, &value, sizeof value);
}

/// Reads one control message: if it is UDP_COALESCED_INFO, the size of
/// the datagrams coalesced into the buffer goes into `segment`. Returns
/// whether it was.
inline bool readSegmentSize(int level, int type, const unsigned char* data,
                            std::size_t size, std::size_t& segment) {
  if (level != IPPROTO_UDP || type != UDP_COALESCED_INFO ||
      size < sizeof(DWORD))
    return false;
  DWORD value = 0;
  std::memcpy(&value, data, sizeof value);
  segment = value;
  return true;
}

}  // namespace dgram::detail::offload
