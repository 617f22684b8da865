// Socket addresses handed to common code by other libraries (c-ares).
#include "posix/sockaddr.hpp"

#include "common/platform_socket.hpp"

namespace dgram::detail {

bool endpointFromSockaddr(const void* sockaddr, Endpoint& out) {
  return fromSockaddr(static_cast<const struct sockaddr*>(sockaddr), out);
}

}  // namespace dgram::detail
