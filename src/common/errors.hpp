// Node's error constructors for the dgram module (ERR_SOCKET_* and the
// system-error shapes), so every throw site reads like lib/dgram.js.
// Layer: common state machine.
#pragma once

#include <string>
#include <string_view>

#include "common/sys_error.hpp"
#include "dgram/error.hpp"

namespace dgram::detail {

Error errSocketAlreadyBound();
Error errSocketNotRunning();
Error errSocketIsConnected();
Error errSocketNotConnected();
Error errSocketBadType();
Error errSocketBadBufferSize();
Error errMissingArgs(std::string_view name);
Error errBufferOutOfBounds(std::string_view name);
Error errInvalidFdType(std::string_view type);
Error errInvalidArgValue(std::string_view name, std::string_view value);
/// ERR_INVALID_STATE (Node's code for a call in the wrong state): run() or
/// runOnce() of a loop from inside one of that loop's callbacks.
Error errLoopReentered();
/// ERR_INVALID_ARG_TYPE for an empty callback (Node: a callback that is
/// not a function, "Received undefined").
Error errCallbackMissing(std::string_view name);
/// ERR_UNKNOWN_SIGNAL: a signal number this platform does not have.
Error errUnknownSignal(int signum);

/// ERR_SOCKET_BAD_PORT. `given` is false when no port was passed at all
/// ("Received undefined."); `allowZero` selects ">= 0" or "> 0".
Error errSocketBadPort(int port, bool given, bool allowZero);

/// ERR_SOCKET_BUFFER_SIZE: a get/set of a buffer size that the system
/// refused (EBADF when unbound).
Error errSocketBufferSize(SysError err, bool recv);

/// Node's ErrnoException: "<syscall> <code>".
Error errnoException(SysError err, std::string syscall);

/// Node's ExceptionWithHostPort: "<syscall> <code> <address>:<port>".
Error exceptionWithHostPort(SysError err, std::string syscall,
                            std::string address, int port);

}  // namespace dgram::detail
