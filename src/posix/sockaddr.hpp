// Conversions between the platform-free Endpoint and POSIX sockaddrs.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "common/ip_address.hpp"

namespace dgram::detail {

/// Fills `out` from `endpoint`; returns the length to pass to the kernel.
inline socklen_t toSockaddr(const Endpoint& endpoint, sockaddr_storage& out) {
  // Only the part the kernel reads is cleared: this runs once per send.
  if (endpoint.ip.family == Family::IPv4) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&out);
    std::memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(endpoint.port);
    std::memcpy(&sa->sin_addr, endpoint.ip.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sa = reinterpret_cast<sockaddr_in6*>(&out);
  std::memset(sa, 0, sizeof *sa);
  sa->sin6_family = AF_INET6;
  sa->sin6_port = htons(endpoint.port);
  std::memcpy(&sa->sin6_addr, endpoint.ip.bytes.data(), 16);
  sa->sin6_scope_id = endpoint.ip.scopeId;
  return sizeof(sockaddr_in6);
}

/// Reads an AF_INET/AF_INET6 sockaddr; returns false for other families.
inline bool fromSockaddr(const sockaddr* sa, Endpoint& out) {
  out = Endpoint{};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    out.ip.family = Family::IPv4;
    std::memcpy(out.ip.bytes.data(), &in->sin_addr, 4);
    out.port = ntohs(in->sin_port);
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    out.ip.family = Family::IPv6;
    std::memcpy(out.ip.bytes.data(), &in6->sin6_addr, 16);
    out.ip.scopeId = in6->sin6_scope_id;
    out.port = ntohs(in6->sin6_port);
    return true;
  }
  return false;
}

}  // namespace dgram::detail
