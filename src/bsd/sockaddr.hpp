// Conversions between the platform-free Endpoint and the system's socket
// addresses (sockaddr_in / sockaddr_in6), the same on POSIX and Winsock.
// Layer: shared BSD sockets.
#pragma once

#include <cstring>

#include "bsd/platform.hpp"
#include "common/ip_address.hpp"

namespace dgram::detail {

/// Fills `out` from `endpoint`; returns the length to pass to the system.
inline bsd::AddressLength toSockaddr(const IpAddress& ip, std::uint16_t port,
                                     sockaddr_storage& out) {
  // Only the part the system reads is cleared: this runs once per send.
  if (ip.family == Family::IPv4) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&out);
    std::memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    std::memcpy(&sa->sin_addr, ip.bytes.data(), 4);
    return static_cast<bsd::AddressLength>(sizeof(sockaddr_in));
  }
  auto* sa = reinterpret_cast<sockaddr_in6*>(&out);
  std::memset(sa, 0, sizeof *sa);
  sa->sin6_family = AF_INET6;
  sa->sin6_port = htons(port);
  std::memcpy(&sa->sin6_addr, ip.bytes.data(), 16);
  sa->sin6_scope_id = ip.scopeId;
  return static_cast<bsd::AddressLength>(sizeof(sockaddr_in6));
}

inline bsd::AddressLength toSockaddr(const Endpoint& endpoint,
                                     sockaddr_storage& out) {
  return toSockaddr(endpoint.ip, endpoint.port, out);
}

/// Reads an AF_INET/AF_INET6 address; returns false for other families.
/// `sa` need not be aligned (addresses from other libraries may not be).
inline bool fromSockaddr(const void* sa, Endpoint& out) {
  out = Endpoint{};
  sockaddr_storage storage;
  std::memcpy(&storage, sa, sizeof(sockaddr));
  if (storage.ss_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, sa, sizeof in);
    out.ip.family = Family::IPv4;
    std::memcpy(out.ip.bytes.data(), &in.sin_addr, 4);
    out.port = ntohs(in.sin_port);
    return true;
  }
  if (storage.ss_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, sa, sizeof in6);
    out.ip.family = Family::IPv6;
    std::memcpy(out.ip.bytes.data(), &in6.sin6_addr, 16);
    out.ip.scopeId = in6.sin6_scope_id;
    out.port = ntohs(in6.sin6_port);
    return true;
  }
  return false;
}

}  // namespace dgram::detail
