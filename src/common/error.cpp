// dgram::Error: construction and Node's message shape for system errors.
// Layer: public API.
#include "dgram/error.hpp"

#include <utility>

namespace dgram {

Error::Error(std::string code, const std::string& message)
    : std::runtime_error(message), code_(std::move(code)) {}

Error Error::system(int errnum, std::string code, std::string syscall,
                    std::string address, int port, std::string message) {
  if (message.empty()) {
    // Node's message shape: "<syscall> <code>[ <address>[:<port>]]".
    message = syscall + " " + code;
    if (!address.empty()) {
      message += " " + address;
      if (port > 0) message += ":" + std::to_string(port);
    }
  }
  Error error(std::move(code), message);
  error.errnum_ = errnum;
  error.syscall_ = std::move(syscall);
  error.address_ = std::move(address);
  error.port_ = port;
  return error;
}

Error Error::lookup(int errnum, std::string code, std::string hostname,
                    std::string message) {
  if (message.empty()) message = "getaddrinfo " + code + " " + hostname;
  Error error =
      system(errnum, std::move(code), "getaddrinfo", {}, 0, std::move(message));
  error.hostname_ = std::move(hostname);
  return error;
}

}  // namespace dgram
