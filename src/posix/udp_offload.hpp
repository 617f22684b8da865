// Linux's UDP offloads, as the POSIX socket uses them: segmentation of a
// run of equal datagrams by the kernel (UDP_SEGMENT, "GSO") and the
// coalescing of received ones (UDP_GRO). Elsewhere every function reports
// "not available" and the socket works one datagram at a time.
// Layer: platform (readiness backends).
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__linux__)
#include <netinet/in.h>
#include <netinet/udp.h>
#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#define DGRAM_HAVE_UDP_OFFLOAD 1
#endif  // __linux__

namespace dgram::detail::offload {

/// The kernel's limits for one segmented send: segments per call, and
/// the UDP payload of the whole (IPv4's largest; IPv6 allows 20 more).
constexpr std::size_t kMaxSegments = 64;
constexpr std::size_t kMaxBytes = 65507;

/// Room for one int-sized control message (a segment size either way).
constexpr std::size_t kControlSpace = 32;

/// Whether the kernel can segment sends on `fd` (Linux 4.18 and later).
inline bool canSegment(int fd) {
#ifdef DGRAM_HAVE_UDP_OFFLOAD
  int size = 0;
  socklen_t length = sizeof size;
  return ::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, &length) == 0;
#else
  (void)fd;
  return false;
#endif
}

/// Asks the kernel to coalesce received datagrams on `fd` (Linux 5.0 and
/// later); returns whether it will.
inline bool enableCoalescing(int fd) {
#ifdef DGRAM_HAVE_UDP_OFFLOAD
  int on = 1;
  return ::setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on) == 0;
#else
  (void)fd;
  return false;
#endif
}

/// Attaches "cut this send into `segment`-byte datagrams" to `header`,
/// using `control` (kControlSpace bytes, 8-aligned).
inline void setSegmentSize(msghdr& header, void* control,
                           std::uint16_t segment) {
#ifdef DGRAM_HAVE_UDP_OFFLOAD
  std::memset(control, 0, kControlSpace);
  header.msg_control = control;
  header.msg_controllen = CMSG_SPACE(sizeof(std::uint16_t));
  cmsghdr* message = CMSG_FIRSTHDR(&header);
  message->cmsg_level = SOL_UDP;
  message->cmsg_type = UDP_SEGMENT;
  message->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  std::memcpy(CMSG_DATA(message), &segment, sizeof segment);
#else
  (void)header;
  (void)control;
  (void)segment;
#endif
}

/// The size of the datagrams the kernel coalesced into the buffer
/// `header` describes, or 0 if it holds a single datagram.
inline std::size_t coalescedSegmentSize(const msghdr& header) {
#ifdef DGRAM_HAVE_UDP_OFFLOAD
  if (!header.msg_control || header.msg_controllen == 0) return 0;
  for (const cmsghdr* message = CMSG_FIRSTHDR(&header); message;
       message = CMSG_NXTHDR(const_cast<msghdr*>(&header),
                             const_cast<cmsghdr*>(message))) {
    if (message->cmsg_level == SOL_UDP && message->cmsg_type == UDP_GRO) {
      int size = 0;
      std::memcpy(&size, CMSG_DATA(message), sizeof size);
      return size > 0 ? static_cast<std::size_t>(size) : 0;
    }
  }
#else
  (void)header;
#endif
  return 0;
}

}  // namespace dgram::detail::offload
