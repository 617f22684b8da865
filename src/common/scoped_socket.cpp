// dgram::ScopedSocket: closes its socket when it goes out of scope.
// Layer: public API.
#include "dgram/socket.hpp"

#include <optional>

namespace dgram {

ScopedSocket& ScopedSocket::operator=(ScopedSocket&& other) noexcept {
  if (this != &other) {
    reset();
    socket_ = std::move(other.socket_);
  }
  return *this;
}

ScopedSocket::~ScopedSocket() {
  reset();
}

void ScopedSocket::reset() {
  if (!socket_) return;
  auto socket = std::move(socket_);
  // An error can only say it was closed already
  // (ERR_SOCKET_DGRAM_NOT_RUNNING): nothing left to do then.
  std::optional<Error> alreadyClosed;
  socket->close({}, alreadyClosed);
}

}  // namespace dgram
