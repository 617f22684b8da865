// dgram::Error: the one exception and error-value type of the library.
// Layer: public API.
#pragma once

#include <stdexcept>
#include <string>

#include "dgram/export.hpp"

DGRAM_DLL_WARNINGS_PUSH

namespace dgram {

/// An error as Node reports it: `code()` is Node's `err.code` string
/// (`ERR_SOCKET_BAD_PORT`, `EADDRINUSE`, `ENOTFOUND`...), `what()` is
/// Node's `err.message`. System errors also carry `errnum()` (Node's
/// negative `err.errno`), `syscall()` and, where Node sets them,
/// `address()` and `port()`.
class DGRAM_API Error : public std::runtime_error {
 public:
  /// A plain error such as a custom lookup reports: code and message.
  Error(std::string code, const std::string& message);

  /// A system error as Node builds it: the message is
  /// "<syscall> <code>[ <address>[:<port>]]" unless `message` is given.
  static Error system(int errnum, std::string code, std::string syscall,
                      std::string address = {}, int port = 0,
                      std::string message = {});

  /// A failed name lookup as Node's dns.lookup reports it: syscall
  /// "getaddrinfo", `hostname()` set, message "getaddrinfo <code> <host>"
  /// unless `message` is given.
  static Error lookup(int errnum, std::string code, std::string hostname,
                      std::string message = {});

  /// Node's `err.code`: `ERR_SOCKET_BAD_PORT`, `EADDRINUSE`, `ENOTFOUND`...
  /// (the table in docs/errors.md lists them all).
  const std::string& code() const noexcept { return code_; }
  /// Node's `err.errno`: a negative errno (libuv's numbers) for system and
  /// lookup errors, 0 for `ERR_*` codes.
  int errnum() const noexcept { return errnum_; }
  /// The call that failed (`bind`, `send`, `getaddrinfo`...); empty for
  /// `ERR_*` codes.
  const std::string& syscall() const noexcept { return syscall_; }
  /// The address involved (bind, connect and send errors), else empty.
  const std::string& address() const noexcept { return address_; }
  /// The port involved (bind, connect and send errors), else 0.
  int port() const noexcept { return port_; }
  /// The name that failed to resolve (lookup errors only).
  const std::string& hostname() const noexcept { return hostname_; }

 private:
  std::string code_;
  int errnum_ = 0;
  std::string syscall_;
  std::string address_;
  int port_ = 0;
  std::string hostname_;
};

}  // namespace dgram

DGRAM_DLL_WARNINGS_POP
