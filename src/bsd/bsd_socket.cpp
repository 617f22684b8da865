// BsdSocket: the socket calls POSIX and Winsock share (see bsd_socket.hpp).
// Layer: shared BSD sockets.
#include "bsd/bsd_socket.hpp"

#include <cstring>

#include "bsd/sockaddr.hpp"

namespace dgram::detail {

namespace bsd {

SysError setIntOption(Handle socket, int level, int name, int value) {
  if (setOption(socket, level, name, &value, sizeof value) != 0)
    return lastError();
  return {};
}

SysError applyOpenOptions(Handle socket, Family family,
                          const OpenOptions& options) {
  if (options.reuseAddr) {
    if (SysError err = setIntOption(socket, SOL_SOCKET, SO_REUSEADDR, 1))
      return err;
  }
  if (options.reusePort) {
#ifdef SO_REUSEPORT
    if (SysError err = setIntOption(socket, SOL_SOCKET, SO_REUSEPORT, 1))
      return err;
#else
    // Windows has no SO_REUSEPORT, and SO_REUSEADDR there is something
    // else (any socket may steal the port): refuse rather than pretend.
    return notSupported();
#endif  // SO_REUSEPORT
  }
  if (family == Family::IPv6)
    return setIntOption(socket, IPPROTO_IPV6, IPV6_V6ONLY, options.ipv6Only);
  return {};
}

namespace {

using NameCall = int (*)(Handle, sockaddr*, AddressLength*);

SysError nameOf(Handle socket, NameCall call, Endpoint& out) {
  sockaddr_storage sa{};
  AddressLength length = sizeof sa;
  if (call(socket, reinterpret_cast<sockaddr*>(&sa), &length) != 0)
    return lastError();
  if (!fromSockaddr(&sa, out)) return sysErrorFromName("EAFNOSUPPORT");
  return {};
}

// getsockname/getpeername as plain functions (on Windows they are
// WSAAPI-qualified, which a function pointer type must match).
int localName(Handle socket, sockaddr* sa, AddressLength* length) {
  return ::getsockname(socket, sa, length);
}
int peerName(Handle socket, sockaddr* sa, AddressLength* length) {
  return ::getpeername(socket, sa, length);
}

}  // namespace

}  // namespace bsd

SysError BsdSocket::bind(const Endpoint& local) {
  sockaddr_storage sa;
  bsd::AddressLength length = toSockaddr(local, sa);
  if (::bind(handle(), reinterpret_cast<sockaddr*>(&sa), length) != 0)
    return bsd::lastError();
  return {};
}

SysError BsdSocket::connect(const Endpoint& remote) {
  sockaddr_storage sa;
  bsd::AddressLength length = toSockaddr(remote, sa);
  if (::connect(handle(), reinterpret_cast<sockaddr*>(&sa), length) != 0)
    return bsd::lastError();
  return {};
}

SysError BsdSocket::localAddress(Endpoint& out) const {
  return bsd::nameOf(handle(), bsd::localName, out);
}

SysError BsdSocket::remoteAddress(Endpoint& out) const {
  return bsd::nameOf(handle(), bsd::peerName, out);
}

SysError BsdSocket::setPerFamily(int ipv4Name, int ipv6Name, int value) {
  return socketFamily() == Family::IPv4
             ? bsd::setIntOption(handle(), IPPROTO_IP, ipv4Name, value)
             : bsd::setIntOption(handle(), IPPROTO_IPV6, ipv6Name, value);
}

SysError BsdSocket::setBroadcast(bool on) {
  return bsd::setIntOption(handle(), SOL_SOCKET, SO_BROADCAST, on);
}

SysError BsdSocket::setTTL(int ttl) {
  return setPerFamily(IP_TTL, IPV6_UNICAST_HOPS, ttl);
}

SysError BsdSocket::setTOS(int tos) {
  if (socketFamily() == Family::IPv4)
    return bsd::setIntOption(handle(), IPPROTO_IP, IP_TOS, tos);
#ifdef IPV6_TCLASS
  if (SysError err =
          bsd::setIntOption(handle(), IPPROTO_IPV6, IPV6_TCLASS, tos))
    return err;
  // A dual-stack socket's IPv4 traffic carries the IPv4 TOS byte; an
  // IPv6-only socket has none, so a refusal changes nothing.
  (void)bsd::setIntOption(handle(), IPPROTO_IP, IP_TOS, tos);
  return {};
#else
  return bsd::setIntOption(handle(), IPPROTO_IP, IP_TOS, tos);
#endif  // IPV6_TCLASS
}

SysError BsdSocket::setMulticastTTL(int ttl) {
  return setPerFamily(IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS, ttl);
}

SysError BsdSocket::setMulticastLoopback(bool on) {
  return setPerFamily(IP_MULTICAST_LOOP, IPV6_MULTICAST_LOOP, on);
}

SysError BsdSocket::setMulticastInterface(const IpAddress& address) {
  if (socketFamily() == Family::IPv6) {
    return bsd::setIntOption(handle(), IPPROTO_IPV6, IPV6_MULTICAST_IF,
                             static_cast<int>(address.scopeId));
  }
  in_addr in{};
  std::memcpy(&in, address.bytes.data(), 4);
  if (bsd::setOption(handle(), IPPROTO_IP, IP_MULTICAST_IF, &in, sizeof in) !=
      0)
    return bsd::lastError();
  return {};
}

SysError BsdSocket::membership(const IpAddress& group,
                               const IpAddress* interfaceAddress, bool join) {
  int rc;
  if (group.family == Family::IPv4) {
    ip_mreq request{};
    std::memcpy(&request.imr_multiaddr, group.bytes.data(), 4);
    if (interfaceAddress)
      std::memcpy(&request.imr_interface, interfaceAddress->bytes.data(), 4);
    rc = bsd::setOption(handle(), IPPROTO_IP,
                        join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &request,
                        sizeof request);
  } else {
    ipv6_mreq request{};
    std::memcpy(&request.ipv6mr_multiaddr, group.bytes.data(), 16);
    request.ipv6mr_interface = interfaceAddress ? interfaceAddress->scopeId : 0;
    rc = bsd::setOption(handle(), IPPROTO_IPV6,
                        join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP,
                        &request, sizeof request);
  }
  return rc == 0 ? SysError{} : bsd::lastError();
}

SysError BsdSocket::sourceMembership(const IpAddress& source,
                                     const IpAddress& group,
                                     const IpAddress* interfaceAddress,
                                     bool join) {
  int rc;
  if (group.family == Family::IPv4) {
    ip_mreq_source request{};
    std::memcpy(&request.imr_multiaddr, group.bytes.data(), 4);
    std::memcpy(&request.imr_sourceaddr, source.bytes.data(), 4);
    if (interfaceAddress)
      std::memcpy(&request.imr_interface, interfaceAddress->bytes.data(), 4);
    rc = bsd::setOption(
        handle(), IPPROTO_IP,
        join ? IP_ADD_SOURCE_MEMBERSHIP : IP_DROP_SOURCE_MEMBERSHIP, &request,
        sizeof request);
  } else {
    // IPv6 has only the protocol-independent form.
    group_source_req request{};
    request.gsr_interface = interfaceAddress ? interfaceAddress->scopeId : 0;
    toSockaddr(Endpoint{group, 0}, request.gsr_group);
    toSockaddr(Endpoint{source, 0}, request.gsr_source);
    rc = bsd::setOption(
        handle(), IPPROTO_IPV6,
        join ? MCAST_JOIN_SOURCE_GROUP : MCAST_LEAVE_SOURCE_GROUP, &request,
        sizeof request);
  }
  return rc == 0 ? SysError{} : bsd::lastError();
}

SysError BsdSocket::bufferSize(BufferKind kind, int& size) {
  int name = kind == BufferKind::receive ? SO_RCVBUF : SO_SNDBUF;
  if (size > 0) {
    if (SysError err = bsd::setIntOption(handle(), SOL_SOCKET, name, size))
      return err;
  }
  bsd::AddressLength length = sizeof size;
  if (bsd::getOption(handle(), SOL_SOCKET, name, &size, &length) != 0)
    return bsd::lastError();
  return {};
}

}  // namespace dgram::detail
