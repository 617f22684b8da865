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
#include <windows.h>
// clang-format on

namespace dgram::detail {

/// Starts Winsock once per process (thread-safe) and cleans it up at exit.
/// Every loop calls it before it touches a socket; throws dgram::Error if
/// Winsock refuses.
void ensureWinsock();

}  // namespace dgram::detail
