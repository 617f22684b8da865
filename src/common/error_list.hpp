// The one list of the system error codes the library reports: Node's code,
// the POSIX errno, the Windows error, and libuv's number on Windows (what
// Node reports as err.errno there). Common code makes the `Errc` enum and
// the code strings from it; posix/errno_map.cpp and win32/error_map.cpp
// make their translation tables from it, so a code is added in one place.
//
// Columns hold tokens only the platform that expands them reads (`EACCES`
// is read on POSIX, `WSAEACCES` on Windows); 0 means "none on this side".
// On POSIX err.errno is -errno; codes without an errno (name lookup's) use
// libuv's fixed number on both sides. Windows errors that map onto a code
// as aliases (Win32 errors of overlapped calls) are in win32/error_map.cpp.
// Node's message for these errors is "<syscall> <code>[ <address>]", made
// at the public edge (common/errors.cpp); no per-code text is needed.
// Layer: common state machine.
#pragma once

// X(code, POSIX errno, Windows error, libuv number on Windows)
#define DGRAM_ERROR_LIST(X)                                      \
  X(E2BIG, E2BIG, 0, -4093)                                      \
  X(EACCES, EACCES, WSAEACCES, -4092)                            \
  X(EADDRINUSE, EADDRINUSE, WSAEADDRINUSE, -4091)                \
  X(EADDRNOTAVAIL, EADDRNOTAVAIL, WSAEADDRNOTAVAIL, -4090)       \
  X(EAFNOSUPPORT, EAFNOSUPPORT, WSAEAFNOSUPPORT, -4089)          \
  X(EAGAIN, EAGAIN, WSAEWOULDBLOCK, -4088)                       \
  X(EALREADY, EALREADY, WSAEALREADY, -4084)                      \
  X(EBADF, EBADF, WSAEBADF, -4083)                               \
  X(EBUSY, EBUSY, WSAEINPROGRESS, -4082)                         \
  X(ECANCELED, ECANCELED, WSA_OPERATION_ABORTED, -4081)          \
  X(ECONNABORTED, ECONNABORTED, WSAECONNABORTED, -4079)          \
  X(ECONNREFUSED, ECONNREFUSED, WSAECONNREFUSED, -4078)          \
  X(ECONNRESET, ECONNRESET, WSAECONNRESET, -4077)                \
  X(EDESTADDRREQ, EDESTADDRREQ, WSAEDESTADDRREQ, -4076)          \
  X(EEXIST, EEXIST, 0, -4075)                                    \
  X(EFAULT, EFAULT, WSAEFAULT, -4074)                            \
  X(EHOSTUNREACH, EHOSTUNREACH, WSAEHOSTUNREACH, -4073)          \
  X(EINTR, EINTR, WSAEINTR, -4072)                               \
  X(EINVAL, EINVAL, WSAEINVAL, -4071)                            \
  X(EIO, EIO, 0, -4070)                                          \
  X(EISCONN, EISCONN, WSAEISCONN, -4069)                         \
  X(EMFILE, EMFILE, WSAEMFILE, -4066)                            \
  X(EMSGSIZE, EMSGSIZE, WSAEMSGSIZE, -4065)                      \
  X(ENAMETOOLONG, ENAMETOOLONG, WSAENAMETOOLONG, -4064)          \
  X(ENETDOWN, ENETDOWN, WSAENETDOWN, -4063)                      \
  X(ENETUNREACH, ENETUNREACH, WSAENETUNREACH, -4062)             \
  X(ENFILE, ENFILE, 0, -4061)                                    \
  X(ENOBUFS, ENOBUFS, WSAENOBUFS, -4060)                         \
  X(ENODEV, ENODEV, 0, -4059)                                    \
  X(ENOENT, ENOENT, 0, -4058)                                    \
  X(ENOMEM, ENOMEM, WSA_NOT_ENOUGH_MEMORY, -4057)                \
  X(ENOSYS, ENOSYS, WSASYSNOTREADY, -4054)                       \
  X(ENOTCONN, ENOTCONN, WSAENOTCONN, -4053)                      \
  X(ENOTSOCK, ENOTSOCK, WSAENOTSOCK, -4050)                      \
  X(ENOTSUP, ENOTSUP, WSAEOPNOTSUPP, -4049)                      \
  X(EPERM, EPERM, 0, -4048)                                      \
  X(EPIPE, EPIPE, WSAESHUTDOWN, -4047)                           \
  X(EPROTONOSUPPORT, EPROTONOSUPPORT, WSAEPROTONOSUPPORT, -4045) \
  X(EPROTOTYPE, EPROTOTYPE, WSAEPROTOTYPE, -4044)                \
  X(ESHUTDOWN, ESHUTDOWN, 0, -4042)                              \
  X(ETIMEDOUT, ETIMEDOUT, WSAETIMEDOUT, -4039)                   \
  X(ENOPROTOOPT, ENOPROTOOPT, WSAENOPROTOOPT, -4035)             \
  X(EHOSTDOWN, EHOSTDOWN, WSAEHOSTDOWN, -4031)                   \
  X(ESOCKTNOSUPPORT, ESOCKTNOSUPPORT, WSAESOCKTNOSUPPORT, -4025) \
  X(EAI_ADDRFAMILY, 0, 0, -3000)                                 \
  X(EAI_AGAIN, 0, WSATRY_AGAIN, -3001)                           \
  X(EAI_BADFLAGS, 0, 0, -3002)                                   \
  X(EAI_CANCELED, 0, 0, -3003)                                   \
  X(EAI_FAIL, 0, WSANO_RECOVERY, -3004)                          \
  X(EAI_FAMILY, 0, 0, -3005)                                     \
  X(EAI_MEMORY, 0, 0, -3006)                                     \
  X(EAI_NODATA, 0, WSANO_DATA, -3007)                            \
  X(EAI_NONAME, 0, 0, -3008)                                     \
  X(ENOTFOUND, 0, WSAHOST_NOT_FOUND, -3008)                      \
  X(UNKNOWN, 0, 0, -4094)
