// How much memory a Socket reserves inside itself for its platform socket
// (see makePlatformSocket in platform_socket.hpp), so that creating a
// socket costs one allocation instead of two.
// Layer: common state machine.
#pragma once

#include <cstddef>

#include "common/platform_socket.hpp"

namespace dgram::detail {

/// The space: what a POSIX platform socket holds besides its send queue
/// (two vtable pointers, its event sink, a retry timer, the descriptor and
/// its state: 40 bytes on 64-bit systems), plus the queue.
/// POSIX sockets must fit (a static_assert in posix/udp_io.cpp says so); a
/// larger one (Windows' IOCP socket) goes to the heap.
inline constexpr std::size_t kPlatformSocketSpace = 40 + sizeof(SendQueue);

}  // namespace dgram::detail
