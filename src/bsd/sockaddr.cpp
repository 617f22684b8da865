// Socket addresses handed to common code by other libraries (c-ares).
// Layer: shared BSD sockets.
#include "bsd/sockaddr.hpp"

#include "common/platform_socket.hpp"

namespace dgram::detail {

bool endpointFromSockaddr(const void* address, Endpoint& out) {
  return fromSockaddr(address, out);
}

}  // namespace dgram::detail
