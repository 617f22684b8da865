// errno -> Node's code strings and numbers (errno_map.hpp).
// Layer: platform (readiness backends).
#include "posix/errno_map.hpp"

#include <cerrno>
#include <cstring>

namespace dgram::detail {
namespace {

struct Name {
  int err;
  const char* code;
};

// The errno values a UDP socket, its options and name lookup can produce,
// spelled as Node spells them (libuv's UV_E* names without the prefix).
constexpr Name kNames[] = {
    {EACCES, "EACCES"},
    {EADDRINUSE, "EADDRINUSE"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
    {EAFNOSUPPORT, "EAFNOSUPPORT"},
    {EAGAIN, "EAGAIN"},
    {EALREADY, "EALREADY"},
    {EBADF, "EBADF"},
    {EBUSY, "EBUSY"},
    {ECANCELED, "ECANCELED"},
    {ECONNREFUSED, "ECONNREFUSED"},
    {ECONNRESET, "ECONNRESET"},
    {EDESTADDRREQ, "EDESTADDRREQ"},
    {EEXIST, "EEXIST"},
    {EFAULT, "EFAULT"},
    {EHOSTUNREACH, "EHOSTUNREACH"},
    {EINTR, "EINTR"},
    {EINVAL, "EINVAL"},
    {EIO, "EIO"},
    {EISCONN, "EISCONN"},
    {EMFILE, "EMFILE"},
    {EMSGSIZE, "EMSGSIZE"},
    {ENETDOWN, "ENETDOWN"},
    {ENETUNREACH, "ENETUNREACH"},
    {ENFILE, "ENFILE"},
    {ENOBUFS, "ENOBUFS"},
    {ENODEV, "ENODEV"},
    {ENOENT, "ENOENT"},
    {ENOMEM, "ENOMEM"},
    {ENOPROTOOPT, "ENOPROTOOPT"},
    {ENOSYS, "ENOSYS"},
    {ENOTCONN, "ENOTCONN"},
    {ENOTSOCK, "ENOTSOCK"},
    {ENOTSUP, "ENOTSUP"},
    {EPERM, "EPERM"},
    {EPIPE, "EPIPE"},
    {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
    {EPROTOTYPE, "EPROTOTYPE"},
    {ETIMEDOUT, "ETIMEDOUT"},
};

}  // namespace

SysError sysErrorFromErrno(int err) noexcept {
  for (const Name& name : kNames) {
    if (name.err == err) return {-err, name.code};
  }
  return {-err, "UNKNOWN"};
}

SysError sysErrorFromName(const char* code) noexcept {
  for (const Name& name : kNames) {
    if (std::strcmp(name.code, code) == 0) return {-name.err, name.code};
  }
  return {-EINVAL, "EINVAL"};
}

}  // namespace dgram::detail
