// SysError: the one error currency between common code and the platform.
// Layer: common state machine.
#pragma once

namespace dgram::detail {

/// A failed system call, already translated by the platform layer into
/// Node's terms: `code` is Node's code string ("EADDRINUSE"), `errnum` is
/// what Node reports as err.errno on this platform. A default value means
/// success.
struct SysError {
  int errnum = 0;
  const char* code = nullptr;

  explicit operator bool() const noexcept { return code != nullptr; }
};

/// Errors the common code raises itself, mapped by the platform to the
/// platform's numbers (ECANCELED, EBADF, EINVAL, ...).
SysError sysErrorFromName(const char* code) noexcept;

}  // namespace dgram::detail
