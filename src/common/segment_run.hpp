// Which queued sends may leave together as one segmented send (Linux GSO,
// Windows USO): the rule both platforms batch by, so they join the same
// datagrams.
// Layer: common (platform-neutral; each platform passes its limits).
#pragma once

#include <cstddef>

#include "common/platform_socket.hpp"

namespace dgram::detail {

/// Whether two sends leave from the same source address and interface.
inline bool sameSource(const SendRequest& a, const SendRequest& b) noexcept {
  if (a.hasSource != b.hasSource) return false;
  return !a.hasSource ||
         (a.source == b.source && a.sourceInterface == b.sourceInterface);
}

/// The limits of one segmented send on a platform.
struct SegmentLimits {
  std::size_t maxSegments;
  std::size_t maxBytes;
};

/// Whether `next` may follow `last` in a segmented run whose segment size
/// is `segment`, holding `datagrams` datagrams and `bytes` bytes so far:
/// same destination and source, no larger, within `limits`; a shorter
/// datagram (`last`) ends the run.
inline bool joinsSegmentRun(const SendRequest& last, const SendRequest& next,
                            std::size_t segment, std::size_t datagrams,
                            std::size_t bytes, SegmentLimits limits) noexcept {
  if (last.size != segment || next.size == 0 || next.size > segment)
    return false;
  if (datagrams >= limits.maxSegments || bytes + next.size > limits.maxBytes)
    return false;
  if (last.hasDestination != next.hasDestination) return false;
  if (!sameSource(last, next)) return false;
  return !last.hasDestination ||
         (last.destination.ip == next.destination.ip &&
          last.destination.port == next.destination.port);
}

}  // namespace dgram::detail
