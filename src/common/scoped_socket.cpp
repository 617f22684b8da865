// dgram::ScopedSocket: closes its socket when it goes out of scope.
// Layer: public API.
#include "dgram/socket.hpp"

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
  try {
    socket->close();
  } catch (const Error&) {
    // Already closed (ERR_SOCKET_DGRAM_NOT_RUNNING): nothing left to do.
  }
}

}  // namespace dgram
