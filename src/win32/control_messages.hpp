// Control messages of WSASendMsg and WSARecvMsg, written and read in
// caller-provided space: the offloads (udp_offload.hpp) and the receive
// metadata (udp_metadata.hpp) each add or look for their own, and one
// datagram may carry several (a segment size and a source address). The
// Winsock counterpart of src/posix/control_messages.hpp; the layout is
// the WSA_CMSG_* macros' (a WSACMSGHDR, then its data, each aligned).
// Layer: platform (IOCP).
#pragma once

#include <cstddef>
#include <cstring>

#include "win32/winsock.hpp"

namespace dgram::detail {

/// Appends control messages to a WSAMSG, in `space` (aligned for
/// WSACMSGHDR; the message points at it from the first one on). Nothing
/// is attached until something is added.
class ControlWriter {
 public:
  ControlWriter(WSAMSG& message, char* space, std::size_t capacity) noexcept
      : message_(message), space_(space), capacity_(capacity) {}

  /// Adds one message; returns false (adding nothing) when it does not
  /// fit, which callers size their space to avoid.
  bool add(int level, int type, const void* data, std::size_t size) noexcept {
    std::size_t room = WSA_CMSG_SPACE(size);
    if (used_ + room > capacity_) return false;
    char* at = space_ + used_;
    std::memset(at, 0, room);
    // `space` is aligned for WSACMSGHDR and every message starts at a
    // WSA_CMSG_SPACE multiple, so each header is aligned too.
    auto* header = reinterpret_cast<WSACMSGHDR*>(at);
    header->cmsg_len = WSA_CMSG_LEN(size);
    header->cmsg_level = level;
    header->cmsg_type = type;
    std::memcpy(WSA_CMSG_DATA(header), data, size);
    used_ += room;
    message_.Control.buf = space_;
    message_.Control.len = static_cast<ULONG>(used_);
    return true;
  }

  /// Bytes written so far.
  std::size_t used() const noexcept { return used_; }

 private:
  WSAMSG& message_;
  char* space_;
  std::size_t capacity_;
  std::size_t used_ = 0;
};

/// Calls `fn(level, type, data, size)` for each control message the
/// first `length` bytes of `control` hold (as WSARecvMsg left them).
/// Stops at a malformed one (a length shorter than its header, or past
/// the end).
template <typename F>
void forEachControlMessage(const char* control, std::size_t length, F&& fn) {
  if (!control) return;
  std::size_t offset = 0;
  const std::size_t header = WSA_CMSG_LEN(0);
  while (offset + sizeof(WSACMSGHDR) <= length) {
    WSACMSGHDR message;
    std::memcpy(&message, control + offset, sizeof message);
    if (message.cmsg_len < header || offset + message.cmsg_len > length) return;
    fn(message.cmsg_level, message.cmsg_type,
       reinterpret_cast<const unsigned char*>(control + offset + header),
       static_cast<std::size_t>(message.cmsg_len - header));
    offset += WSA_CMSGHDR_ALIGN(message.cmsg_len);
  }
}

}  // namespace dgram::detail
