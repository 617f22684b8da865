// Winsock and Win32 error codes -> Node's codes (Errc) and
// the numbers Node reports on Windows as err.errno (libuv's UV_E* values,
// which on Windows are fixed negative numbers, not the CRT's errno).
// Layer: platform (IOCP).
#pragma once

#include "common/sys_error.hpp"

namespace dgram::detail {

/// Translates a WSAGetLastError() or GetLastError() value; unknown values
/// become Errc::kUNKNOWN.
SysError sysErrorFromWinsock(int error) noexcept;

}  // namespace dgram::detail
