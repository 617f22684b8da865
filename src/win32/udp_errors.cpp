// The UDP error policy (see udp_errors.hpp).
// Layer: platform (IOCP).
#include "win32/udp_errors.hpp"

#include "win32/error_map.hpp"
#include "win32/winsock.hpp"

namespace dgram::detail {
namespace {

// An overlapped receive completes with the Win32 form of an error (the
// NTSTATUS translated by WSAGetOverlappedResult), a non-blocking one with
// the WSA form: both are listed.
bool isPortUnreachable(int error) {
  return error == WSAECONNRESET || error == WSAECONNREFUSED ||
         error == static_cast<int>(ERROR_PORT_UNREACHABLE) ||
         error == static_cast<int>(ERROR_CONNECTION_REFUSED);
}
bool isHostUnreachable(int error) {
  return error == WSAEHOSTUNREACH ||
         error == static_cast<int>(ERROR_HOST_UNREACHABLE);
}
bool isNetworkUnreachable(int error) {
  return error == WSAENETUNREACH ||
         error == static_cast<int>(ERROR_NETWORK_UNREACHABLE);
}
bool isProtocolUnreachable(int error) {
  return error == static_cast<int>(ERROR_PROTOCOL_UNREACHABLE);
}

}  // namespace

ReceiveFailure classifyReceiveError(int error) noexcept {
  if (error == WSA_OPERATION_ABORTED || error == WSAEINTR)
    return ReceiveFailure::cancelled;
  if (isPortUnreachable(error) || isHostUnreachable(error) ||
      isNetworkUnreachable(error) || isProtocolUnreachable(error))
    return ReceiveFailure::unreachable;
  if (error == WSAENETRESET) return ReceiveFailure::expired;
  // WSA_INVALID_HANDLE is ERROR_INVALID_HANDLE.
  if (error == WSAENOTSOCK || error == WSAEBADF || error == WSA_INVALID_HANDLE)
    return ReceiveFailure::deadHandle;
  return ReceiveFailure::transient;
}

SysError udpErrorCode(int error) noexcept {
  // Linux's names for the same ICMP messages (icmp_err_convert).
  if (isPortUnreachable(error)) return sysError(Errc::kECONNREFUSED);
  if (isHostUnreachable(error)) return sysError(Errc::kEHOSTUNREACH);
  if (isNetworkUnreachable(error)) return sysError(Errc::kENETUNREACH);
  if (isProtocolUnreachable(error)) return sysError(Errc::kENOPROTOOPT);
  return sysErrorFromWinsock(error);
}

}  // namespace dgram::detail
