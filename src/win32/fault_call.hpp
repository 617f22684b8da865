// Windows side of the fault-injection seam (common/fault_injection.hpp):
// wraps a Winsock or Win32 call so that a test can make it fail with a
// chosen error, set where the caller reads it (WSASetLastError, which
// GetLastError also returns), or replaces the status an overlapped call
// completed with. Without DGRAM_FAULT_INJECTION it is the plain call.
// Layer: platform (IOCP).
#pragma once

#include "common/fault_injection.hpp"
#include "win32/winsock.hpp"

namespace dgram::detail {

/// Calls `real()` unless a fault is armed for `call`, in which case it sets
/// the last error and returns `failure` (SOCKET_ERROR, INVALID_SOCKET,
/// nullptr...) as the failing call would.
template <class Result, class RealCall>
Result faultableWinCall(fault::Call call, Result failure, RealCall&& real) {
  if (int error = fault::take(call)) {
    ::WSASetLastError(error);
    return failure;
  }
  return real();
}

/// An option call that says whether the system has a feature (an
/// offload probe): `real()` unless a fault is armed for `call`, which
/// then decides: fault::kSucceed accepts without asking the system, any
/// other value refuses with that error (set as the last error).
template <class RealCall>
bool faultableProbe(fault::Call call, RealCall&& real) {
  int armed = fault::take(call);
  if (armed == fault::kSucceed) return true;
  if (armed != 0) {
    ::WSASetLastError(armed);
    return false;
  }
  return real();
}

/// The status an overlapped call completed with (0 or a WSA error), or the
/// error armed for `call` instead.
inline int faultableStatus(fault::Call call, int status) {
  if (int error = fault::take(call)) return error;
  return status;
}

}  // namespace dgram::detail
