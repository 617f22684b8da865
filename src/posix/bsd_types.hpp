// The POSIX side of the shared BSD-socket layer (src/bsd): the few types
// and calls in which POSIX sockets differ from Winsock.
// Layer: platform (readiness backends).
#pragma once

#include <netdb.h>  // hostent, from c-ares' hosts-file reader
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/sys_error.hpp"
#include "posix/errno_map.hpp"

namespace dgram::detail::bsd {

/// A socket as the system names it.
using Handle = int;
/// The length argument of bind, connect, getsockname, getsockopt.
using AddressLength = socklen_t;

inline constexpr Handle kInvalidHandle = -1;

/// The error of the socket call that just failed.
inline SysError lastError() noexcept {
  return sysErrorFromErrno(errno);
}

/// What the system calls "operation not supported" (ENOTSUP).
inline SysError notSupported() noexcept {
  return sysErrorFromErrno(ENOTSUP);
}

inline int setOption(Handle socket, int level, int name, const void* value,
                     AddressLength length) noexcept {
  return ::setsockopt(socket, level, name, value, length);
}

inline int getOption(Handle socket, int level, int name, void* value,
                     AddressLength* length) noexcept {
  return ::getsockopt(socket, level, name, value, length);
}

inline int closeHandle(Handle socket) noexcept {
  return ::close(socket);
}

}  // namespace dgram::detail::bsd
