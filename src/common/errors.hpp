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
/// ERR_BUFFER_OUT_OF_BOUNDS without a name: "Attempt to access memory
/// outside buffer bounds" (Buffer reads and writes past a short buffer).
Error errBufferOutOfBounds();
/// ERR_OUT_OF_RANGE: 'The value of "<name>" is out of range. It must be
/// <range>. Received <received>'.
Error errOutOfRange(std::string_view name, std::string_view range,
                    std::string_view received);
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

/// ERR_SOCKET_BAD_PORT, in C++ words: "Received 0." where Node says
/// "Received type number (0).", and "Received no port (...)" where it says
/// "Received undefined." (`given` false: no port passed at all).
/// `allowZero` selects ">= 0" or "> 0".
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
