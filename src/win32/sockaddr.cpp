// Socket addresses handed to common code by other libraries (c-ares).
#include "win32/sockaddr.hpp"

#include "common/platform_socket.hpp"

namespace dgram::detail {

bool endpointFromSockaddr(const void* address, Endpoint& out) {
  const auto* sa = static_cast<const sockaddr*>(address);
  sockaddr_storage storage{};
  if (sa->sa_family == AF_INET)
    std::memcpy(&storage, sa, sizeof(sockaddr_in));
  else if (sa->sa_family == AF_INET6)
    std::memcpy(&storage, sa, sizeof(sockaddr_in6));
  else
    return false;
  return fromSockaddr(storage, out);
}

}  // namespace dgram::detail
