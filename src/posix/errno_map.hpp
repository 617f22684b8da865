// errno -> Node's codes (Errc) and numbers (-errno).
// Layer: platform (readiness backends).
#pragma once

#include "common/sys_error.hpp"

namespace dgram::detail {

/// Translates an errno value; unknown values become Errc::kUNKNOWN.
SysError sysErrorFromErrno(int err) noexcept;

}  // namespace dgram::detail
