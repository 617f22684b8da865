// What a failed receive on a Winsock UDP socket means, for the peek's
// completion and for the non-blocking reads alike (udp_io.cpp): one policy
// for both, so that no error can stop a socket from receiving by the path
// it happened to arrive on. And the code a UDP error is reported with,
// receiving or sending.
// Layer: platform (IOCP).
#pragma once

#include "common/sys_error.hpp"

namespace dgram::detail {

enum class ReceiveFailure {
  /// The receive was cancelled or interrupted: nothing happened, read
  /// again (WSA_OPERATION_ABORTED, WSAEINTR).
  cancelled,
  /// An ICMP error about an earlier send (port, host or network
  /// unreachable). Reported on a connected socket with the code POSIX
  /// gives; ignored on an unconnected one, as Node and libuv do, whatever
  /// SIO_UDP_CONNRESET did.
  unreachable,
  /// A TTL expired in transit (WSAENETRESET). Ignored: POSIX never
  /// reports it on a UDP socket, nor does Node on Windows.
  expired,
  /// The handle is gone (WSAENOTSOCK, WSAEBADF, an invalid handle):
  /// reported, and receiving stops, since every later call fails too.
  deadHandle,
  /// Anything else (no buffers, no memory, network down...): reported,
  /// and receiving goes on.
  transient,
};

/// Sorts a WSA or Win32 error of a receive.
ReceiveFailure classifyReceiveError(int error) noexcept;

/// The code a UDP socket's error is reported with: ICMP errors as POSIX
/// names them (a port-unreachable is ECONNREFUSED, not ECONNRESET), the
/// rest as the Windows error map says.
SysError udpErrorCode(int error) noexcept;

}  // namespace dgram::detail
