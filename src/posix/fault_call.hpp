// POSIX side of the fault-injection seam: wraps a system call so that a
// test can make it fail with a chosen errno (common/fault_injection.hpp).
// Without DGRAM_FAULT_INJECTION it is the plain call.
// Layer: platform (readiness backends).
#pragma once

#include <cerrno>

#include "common/fault_injection.hpp"

namespace dgram::detail {

/// Calls `real()` unless a fault is armed for `call`, in which case it sets
/// errno and returns -1 as the failing system call would.
template <class RealCall>
auto faultableCall(fault::Call call, RealCall&& real) -> decltype(real()) {
  if (int error = fault::take(call)) {
    errno = error;
    return -1;
  }
  return real();
}

}  // namespace dgram::detail
