// Socket addresses and host entries handed to common code by other
// libraries (c-ares).
// Layer: shared BSD sockets.
#include "bsd/sockaddr.hpp"

#include "common/platform_socket.hpp"

namespace dgram::detail {

bool endpointFromSockaddr(const void* address, Endpoint& out) {
  return fromSockaddr(address, out);
}

bool addressFromHostent(const void* entry, IpAddress& out) {
  const auto* host = static_cast<const hostent*>(entry);
  if (host->h_addr_list == nullptr || host->h_addr_list[0] == nullptr)
    return false;
  out = IpAddress{};
  if (host->h_addrtype == AF_INET && host->h_length == 4) {
    out.family = Family::IPv4;
  } else if (host->h_addrtype == AF_INET6 && host->h_length == 16) {
    out.family = Family::IPv6;
  } else {
    return false;
  }
  std::memcpy(out.bytes.data(), host->h_addr_list[0],
              static_cast<std::size_t>(host->h_length));
  return true;
}

}  // namespace dgram::detail
