// The Windows error map. Two tables: Node's code strings with the errnum
// Node reports for them on Windows (libuv's fixed UV_E* numbers), and the
// Winsock / Win32 codes that map onto them. Codes are the same strings on
// every platform: WSAEADDRINUSE is "EADDRINUSE", as on Linux.
// Layer: platform (IOCP).
#include "win32/error_map.hpp"

#include <cstring>

#include "win32/winsock.hpp"

namespace dgram::detail {
namespace {

struct Code {
  const char* name;
  int errnum;
};

// Node's err.errno on Windows for each code (uv_errno_t values).
constexpr Code kCodes[] = {
    {"E2BIG", -4093},
    {"EACCES", -4092},
    {"EADDRINUSE", -4091},
    {"EADDRNOTAVAIL", -4090},
    {"EAFNOSUPPORT", -4089},
    {"EAGAIN", -4088},
    {"EALREADY", -4084},
    {"EBADF", -4083},
    {"EBUSY", -4082},
    {"ECANCELED", -4081},
    {"ECONNABORTED", -4079},
    {"ECONNREFUSED", -4078},
    {"ECONNRESET", -4077},
    {"EDESTADDRREQ", -4076},
    {"EEXIST", -4075},
    {"EFAULT", -4074},
    {"EHOSTUNREACH", -4073},
    {"EINTR", -4072},
    {"EINVAL", -4071},
    {"EIO", -4070},
    {"EISCONN", -4069},
    {"EMFILE", -4066},
    {"EMSGSIZE", -4065},
    {"ENAMETOOLONG", -4064},
    {"ENETDOWN", -4063},
    {"ENETUNREACH", -4062},
    {"ENFILE", -4061},
    {"ENOBUFS", -4060},
    {"ENODEV", -4059},
    {"ENOENT", -4058},
    {"ENOMEM", -4057},
    {"ENOSYS", -4054},
    {"ENOTCONN", -4053},
    {"ENOTSOCK", -4050},
    {"ENOTSUP", -4049},
    {"EPERM", -4048},
    {"EPIPE", -4047},
    {"EPROTONOSUPPORT", -4045},
    {"EPROTOTYPE", -4044},
    {"ESHUTDOWN", -4042},
    {"ETIMEDOUT", -4039},
    {"ENOPROTOOPT", -4035},
    {"EHOSTDOWN", -4031},
    {"ESOCKTNOSUPPORT", -4025},
    // Name lookup (getaddrinfo's codes, the same numbers everywhere).
    {"EAI_ADDRFAMILY", -3000},
    {"EAI_AGAIN", -3001},
    {"EAI_BADFLAGS", -3002},
    {"EAI_CANCELED", -3003},
    {"EAI_FAIL", -3004},
    {"EAI_FAMILY", -3005},
    {"EAI_MEMORY", -3006},
    {"EAI_NODATA", -3007},
    {"EAI_NONAME", -3008},
    {"ENOTFOUND", -3008},  // Node's name for EAI_NONAME
    {"UNKNOWN", -4094},
};

struct Mapping {
  int error;
  const char* name;
};

// Winsock errors first, then the Win32 errors an overlapped socket
// operation completes with.
constexpr Mapping kMappings[] = {
    {WSAEINTR, "EINTR"},
    {WSAEBADF, "EBADF"},
    {WSAEACCES, "EACCES"},
    {WSAEFAULT, "EFAULT"},
    {WSAEINVAL, "EINVAL"},
    {WSAEMFILE, "EMFILE"},
    {WSAEWOULDBLOCK, "EAGAIN"},
    {WSAEINPROGRESS, "EBUSY"},
    {WSAEALREADY, "EALREADY"},
    {WSAENOTSOCK, "ENOTSOCK"},
    {WSAEDESTADDRREQ, "EDESTADDRREQ"},
    {WSAEMSGSIZE, "EMSGSIZE"},
    {WSAEPROTOTYPE, "EPROTOTYPE"},
    {WSAENOPROTOOPT, "ENOPROTOOPT"},
    {WSAEPROTONOSUPPORT, "EPROTONOSUPPORT"},
    {WSAESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"},
    {WSAEOPNOTSUPP, "ENOTSUP"},
    {WSAEPFNOSUPPORT, "EAFNOSUPPORT"},
    {WSAEAFNOSUPPORT, "EAFNOSUPPORT"},
    {WSAEADDRINUSE, "EADDRINUSE"},
    {WSAEADDRNOTAVAIL, "EADDRNOTAVAIL"},
    {WSAENETDOWN, "ENETDOWN"},
    {WSAENETUNREACH, "ENETUNREACH"},
    {WSAENETRESET, "ECONNRESET"},
    {WSAECONNABORTED, "ECONNABORTED"},
    {WSAECONNRESET, "ECONNRESET"},
    {WSAENOBUFS, "ENOBUFS"},
    {WSAEISCONN, "EISCONN"},
    {WSAENOTCONN, "ENOTCONN"},
    {WSAESHUTDOWN, "EPIPE"},
    {WSAETIMEDOUT, "ETIMEDOUT"},
    {WSAECONNREFUSED, "ECONNREFUSED"},
    {WSAENAMETOOLONG, "ENAMETOOLONG"},
    {WSAEHOSTDOWN, "EHOSTDOWN"},
    {WSAEHOSTUNREACH, "EHOSTUNREACH"},
    {WSAEDISCON, "EPIPE"},
    {WSANOTINITIALISED, "ENOSYS"},
    {WSASYSNOTREADY, "ENOSYS"},
    {WSAVERNOTSUPPORTED, "ENOSYS"},
    {WSA_NOT_ENOUGH_MEMORY, "ENOMEM"},
    {WSA_OPERATION_ABORTED, "ECANCELED"},
    {WSA_INVALID_HANDLE, "EBADF"},
    {WSA_INVALID_PARAMETER, "EINVAL"},
    {WSAHOST_NOT_FOUND, "ENOTFOUND"},
    {WSATRY_AGAIN, "EAI_AGAIN"},
    {WSANO_RECOVERY, "EAI_FAIL"},
    {WSANO_DATA, "EAI_NODATA"},
    {ERROR_ACCESS_DENIED, "EACCES"},
    {ERROR_NOT_ENOUGH_MEMORY, "ENOMEM"},
    {ERROR_OUTOFMEMORY, "ENOMEM"},
    {ERROR_NOT_SUPPORTED, "ENOTSUP"},
    {ERROR_NETNAME_DELETED, "ECONNRESET"},
    {ERROR_INVALID_FUNCTION, "EINVAL"},
    {ERROR_INVALID_HANDLE, "EBADF"},
    {ERROR_INVALID_PARAMETER, "EINVAL"},
    {ERROR_MORE_DATA, "EMSGSIZE"},
    {ERROR_HOST_UNREACHABLE, "EHOSTUNREACH"},
    {ERROR_NETWORK_UNREACHABLE, "ENETUNREACH"},
    {ERROR_PORT_UNREACHABLE, "ECONNREFUSED"},
    {ERROR_CONNECTION_REFUSED, "ECONNREFUSED"},
    {ERROR_CONNECTION_ABORTED, "ECONNABORTED"},
    {ERROR_SEM_TIMEOUT, "ETIMEDOUT"},
    {ERROR_TOO_MANY_OPEN_FILES, "EMFILE"},
};

SysError fromName(const char* name) noexcept {
  for (const Code& code : kCodes) {
    if (std::strcmp(code.name, name) == 0) return {code.errnum, code.name};
  }
  return {};
}

}  // namespace

SysError sysErrorFromWinsock(int error) noexcept {
  for (const Mapping& mapping : kMappings) {
    if (mapping.error == error) return fromName(mapping.name);
  }
  return fromName("UNKNOWN");
}

SysError sysErrorFromName(const char* code) noexcept {
  if (SysError err = fromName(code)) return err;
  return fromName("EINVAL");
}

}  // namespace dgram::detail
