// errno -> Node's code strings ("EADDRINUSE") and numbers (-errno).
// Layer: platform (readiness backends).
#pragma once

#include "common/sys_error.hpp"

namespace dgram::detail {

/// Translates an errno value; unknown values become "UNKNOWN".
SysError sysErrorFromErrno(int err) noexcept;

}  // namespace dgram::detail
