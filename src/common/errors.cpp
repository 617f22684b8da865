// Node's error constructors (errors.hpp): code and message as lib/dgram.js
// and lib/internal/errors.js spell them.
// Layer: common state machine.
#include "common/errors.hpp"

namespace dgram::detail {

Error errSocketAlreadyBound() {
  return Error("ERR_SOCKET_ALREADY_BOUND", "Socket is already bound");
}
Error errSocketNotRunning() {
  return Error("ERR_SOCKET_DGRAM_NOT_RUNNING", "Not running");
}
Error errSocketIsConnected() {
  return Error("ERR_SOCKET_DGRAM_IS_CONNECTED", "Already connected");
}
Error errSocketNotConnected() {
  return Error("ERR_SOCKET_DGRAM_NOT_CONNECTED", "Not connected");
}
Error errSocketBadType() {
  return Error("ERR_SOCKET_BAD_TYPE",
               "Bad socket type specified. Valid types are: udp4, udp6");
}
Error errSocketBadBufferSize() {
  return Error("ERR_SOCKET_BAD_BUFFER_SIZE",
               "Buffer size must be a positive integer");
}
Error errMissingArgs(std::string_view name) {
  return Error("ERR_MISSING_ARGS",
               "The \"" + std::string(name) + "\" argument must be specified");
}
Error errBufferOutOfBounds(std::string_view name) {
  return Error("ERR_BUFFER_OUT_OF_BOUNDS",
               "\"" + std::string(name) + "\" is outside of buffer bounds");
}
Error errBufferOutOfBounds() {
  return Error("ERR_BUFFER_OUT_OF_BOUNDS",
               "Attempt to access memory outside buffer bounds");
}
Error errOutOfRange(std::string_view name, std::string_view range,
                    std::string_view received) {
  return Error("ERR_OUT_OF_RANGE", "The value of \"" + std::string(name) +
                                       "\" is out of range. It must be " +
                                       std::string(range) + ". Received " +
                                       std::string(received));
}
Error errInvalidFdType(std::string_view type) {
  return Error("ERR_INVALID_FD_TYPE",
               "Unsupported fd type: " + std::string(type));
}
Error errLoopReentered() {
  return Error("ERR_INVALID_STATE",
               "Invalid state: the loop is already running: run() or "
               "runOnce() called from inside one of its callbacks");
}
Error errCallbackMissing(std::string_view name) {
  return Error("ERR_INVALID_ARG_TYPE",
               "The \"" + std::string(name) +
                   "\" argument must be of type function. Received an "
                   "empty std::function");
}
Error errUnknownSignal(int signum) {
  return Error("ERR_UNKNOWN_SIGNAL",
               "Unknown signal: " + std::to_string(signum));
}
Error errInvalidArgValue(std::string_view name, std::string_view value) {
  return Error("ERR_INVALID_ARG_VALUE", "The argument '" + std::string(name) +
                                            "' is invalid. Received '" +
                                            std::string(value) + "'");
}

Error errSocketBadPort(int port, bool given, bool allowZero) {
  std::string message = "Port should be ";
  message += allowZero ? ">=" : ">";
  // Node's "Received type number (0)." and "Received undefined." speak of
  // JavaScript values; a C++ port is an int, or was not passed at all.
  message += " 0 and < 65536. Received ";
  message += given ? std::to_string(port) + "."
                   : "no port (the socket is not connected).";
  return Error("ERR_SOCKET_BAD_PORT", message);
}

Error errSocketBufferSize(SysError err, bool recv) {
  std::string syscall = recv ? "uv_recv_buffer_size" : "uv_send_buffer_size";
  return Error::system(err.errnum, "ERR_SOCKET_BUFFER_SIZE", syscall, {}, 0,
                       "Could not get or set buffer size: " + syscall +
                           " returned " + errcName(err.code));
}

Error errnoException(SysError err, std::string syscall) {
  return Error::system(err.errnum, errcName(err.code), std::move(syscall));
}

Error exceptionWithHostPort(SysError err, std::string syscall,
                            std::string address, int port) {
  return Error::system(err.errnum, errcName(err.code), std::move(syscall),
                       std::move(address), port);
}

}  // namespace dgram::detail
