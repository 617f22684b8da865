// The Winsock side of the shared BSD-socket layer (src/bsd): the few types
// and calls in which Winsock differs from POSIX sockets.
// Layer: platform (IOCP).
#pragma once

#include "common/sys_error.hpp"
#include "win32/error_map.hpp"
#include "win32/winsock.hpp"

namespace dgram::detail::bsd {

/// A socket as the system names it.
using Handle = SOCKET;
/// The length argument of bind, connect, getsockname, getsockopt.
using AddressLength = int;

inline constexpr Handle kInvalidHandle = INVALID_SOCKET;

/// The error of the socket call that just failed.
inline SysError lastError() noexcept {
  return sysErrorFromWinsock(::WSAGetLastError());
}

/// What the system calls "operation not supported" (ENOTSUP).
inline SysError notSupported() noexcept {
  return sysErrorFromName("ENOTSUP");
}

// Winsock takes option values as char pointers.
inline int setOption(Handle socket, int level, int name, const void* value,
                     AddressLength length) noexcept {
  return ::setsockopt(socket, level, name, static_cast<const char*>(value),
                      length);
}

inline int getOption(Handle socket, int level, int name, void* value,
                     AddressLength* length) noexcept {
  return ::getsockopt(socket, level, name, static_cast<char*>(value), length);
}

inline int closeHandle(Handle socket) noexcept {
  return ::closesocket(socket);
}

}  // namespace dgram::detail::bsd
