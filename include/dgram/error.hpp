// dgram::Error: the one exception and error-value type of the library.
// Layer: public API.
#pragma once

#include <stdexcept>
#include <string>

namespace dgram {

/// An error as Node reports it: `code()` is Node's `err.code` string
/// (`ERR_SOCKET_BAD_PORT`, `EADDRINUSE`, `ENOTFOUND`...), `what()` is
/// Node's `err.message`. System errors also carry `errnum()` (Node's
/// negative `err.errno`), `syscall()` and, where Node sets them,
/// `address()` and `port()`.
class Error : public std::runtime_error {
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

  const std::string& code() const noexcept { return code_; }
  int errnum() const noexcept { return errnum_; }
  const std::string& syscall() const noexcept { return syscall_; }
  const std::string& address() const noexcept { return address_; }
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
