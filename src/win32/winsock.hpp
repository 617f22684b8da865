// Winsock for the rest of src/win32: the system headers in the order they
// need, and the library's private WSAStartup. Users never see any of this
// (the public headers include no Windows header).
// Layer: platform (IOCP).
#pragma once

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif

// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <mstcpip.h>
#include <windows.h>
// clang-format on

// The UDP and provider ioctls live in mswsock.h or mstcpip.h depending on
// the SDK, some behind version guards, and mingw-w64 10 has no
// SIO_UDP_NETRESET: the documented values where a header lacks them.
#ifndef SIO_UDP_CONNRESET
#define SIO_UDP_CONNRESET _WSAIOW(IOC_VENDOR, 12)
#endif
#ifndef SIO_UDP_NETRESET
#define SIO_UDP_NETRESET _WSAIOW(IOC_VENDOR, 15)
#endif
#ifndef SIO_BSP_HANDLE_POLL
#define SIO_BSP_HANDLE_POLL _WSAIOR(IOC_WS2, 29)
#endif
#ifndef SIO_BASE_HANDLE
#define SIO_BASE_HANDLE _WSAIOR(IOC_WS2, 34)
#endif

namespace dgram::detail {

/// Starts Winsock once per process (thread-safe); never cleans it up (see
/// winsock.cpp). Every loop calls it before it touches a socket; throws
/// dgram::Error if Winsock refuses.
void ensureWinsock();

}  // namespace dgram::detail
