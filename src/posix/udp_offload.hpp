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

#include "common/segment_run.hpp"
#include "posix/control_messages.hpp"

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
constexpr SegmentLimits kLimits{kMaxSegments, kMaxBytes};

/// Room for the one int-sized control message each offload uses (a
/// segment size either way).
constexpr std::size_t kControlSpace = 32;

/// Whether sends on `fd` can be segmented: the kernel can (Linux 4.18 and
/// later) and this build makes runs of datagrams to segment, which only
/// the sendmmsg path does (a build without it sends each datagram alone,
/// so GSO would be reported active and never used).
inline bool canSegment(int fd) {
#if defined(DGRAM_HAVE_UDP_OFFLOAD) && defined(DGRAM_HAVE_SENDMMSG)
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

/// Attaches "cut this send into `segment`-byte datagrams" to the message
/// `control` writes.
inline void setSegmentSize(ControlWriter& control, std::uint16_t segment) {
#ifdef DGRAM_HAVE_UDP_OFFLOAD
  control.add(SOL_UDP, UDP_SEGMENT, &segment, sizeof segment);
#else
  (void)control;
  (void)segment;
#endif
}

/// The size of the datagrams the kernel coalesced into the buffer
/// `header` describes, or 0 if it holds a single datagram.
inline std::size_t coalescedSegmentSize(const msghdr& header) {
  std::size_t segment = 0;
#ifdef DGRAM_HAVE_UDP_OFFLOAD
  forEachControlMessage(
      header,
      [&](int level, int type, const unsigned char* data, std::size_t size) {
        if (level != SOL_UDP || type != UDP_GRO || size < sizeof(int)) return;
        int value = 0;
        std::memcpy(&value, data, sizeof value);
        if (value > 0) segment = static_cast<std::size_t>(value);
      });
#else
  (void)header;
#endif
  return segment;
}

}  // namespace dgram::detail::offload
