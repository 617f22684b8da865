// Control messages (ancillary data) of sendmsg and recvmsg, written and
// read in caller-provided space: the offloads (udp_offload.hpp) and the
// receive metadata (udp_metadata.hpp) each add or look for their own, and
// one datagram may carry several (a segment size and a source address).
// Layer: platform (readiness backends).
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstring>

namespace dgram::detail {

/// Appends control messages to a message header, in `space` (aligned for
/// cmsghdr; the header points at it from the first message on). Nothing is
/// attached until something is added.
class ControlWriter {
 public:
  ControlWriter(msghdr& header, unsigned char* space,
                std::size_t capacity) noexcept
      : header_(header), space_(space), capacity_(capacity) {}

  /// Adds one message; returns false (adding nothing) when it does not
  /// fit, which callers size their space to avoid.
  bool add(int level, int type, const void* data, std::size_t size) noexcept {
    std::size_t room = CMSG_SPACE(size);
    if (used_ + room > capacity_) return false;
    unsigned char* at = space_ + used_;
    std::memset(at, 0, room);
    // `space` is aligned for cmsghdr and every message starts at a
    // CMSG_SPACE multiple, so each header is aligned too.
    auto* message = reinterpret_cast<cmsghdr*>(at);
    message->cmsg_level = level;
    message->cmsg_type = type;
    message->cmsg_len = CMSG_LEN(size);
    std::memcpy(CMSG_DATA(message), data, size);
    used_ += room;
    header_.msg_control = space_;
    header_.msg_controllen = used_;
    return true;
  }

 private:
  msghdr& header_;
  unsigned char* space_;
  std::size_t capacity_;
  std::size_t used_ = 0;
};

/// Calls `fn(level, type, data, size)` for each control message a
/// received header carries.
template <typename F>
void forEachControlMessage(const msghdr& header, F&& fn) {
  if (!header.msg_control || header.msg_controllen == 0) return;
  auto& mutableHeader = const_cast<msghdr&>(header);
  for (cmsghdr* message = CMSG_FIRSTHDR(&mutableHeader); message;
       message = CMSG_NXTHDR(&mutableHeader, message)) {
    if (message->cmsg_len < CMSG_LEN(0)) return;  // malformed: stop
    std::size_t size = message->cmsg_len - CMSG_LEN(0);
    fn(message->cmsg_level, message->cmsg_type,
       static_cast<const unsigned char*>(CMSG_DATA(message)), size);
  }
}

}  // namespace dgram::detail
