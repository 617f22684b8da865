// What a UDP socket does the same way on POSIX and Winsock: the socket
// options, bind, connect, the address queries and the send queue's
// bookkeeping, written once over the BSD socket calls both systems share
// (the differences are in posix/bsd_types.hpp and win32/bsd_types.hpp). The
// platform sockets (posix/udp_io.cpp, win32/udp_io.cpp) derive from it and keep
// only what really differs: readiness or completion, recvmmsg or WSARecvFrom.
// Layer: shared BSD sockets.
#pragma once

#include "bsd/platform.hpp"
#include "common/platform_socket.hpp"

namespace dgram::detail {

namespace bsd {

/// setsockopt with an int value.
SysError setIntOption(Handle socket, int level, int name, int value);

/// The options chosen at creation (SO_REUSEADDR, SO_REUSEPORT where the
/// system has it, else ENOTSUP; IPV6_V6ONLY on IPv6 sockets).
SysError applyOpenOptions(Handle socket, Family family,
                          const OpenOptions& options);

}  // namespace bsd

class BsdSocket : public PlatformSocket {
 public:
  explicit BsdSocket(SocketEvents& events) noexcept : events_(events) {}

  std::size_t queuedBytes() const noexcept final { return queue_.bytes(); }
  std::size_t queuedCount() const noexcept final { return queue_.count(); }

  SysError bind(const Endpoint& local) override;
  SysError connect(const Endpoint& remote) override;
  SysError localAddress(Endpoint& out) const override;
  SysError remoteAddress(Endpoint& out) const override;

  SysError setBroadcast(bool on) override;
  SysError setTTL(int ttl) override;
  SysError setTOS(int tos) override;
  SysError setMulticastTTL(int ttl) override;
  SysError setMulticastLoopback(bool on) override;
  SysError setMulticastInterface(const IpAddress& address) override;
  SysError membership(const IpAddress& group, const IpAddress* interfaceAddress,
                      bool join) override;
  SysError sourceMembership(const IpAddress& source, const IpAddress& group,
                            const IpAddress* interfaceAddress,
                            bool join) override;
  SysError bufferSize(BufferKind kind, int& size) override;

 protected:
  /// The Socket this reports to.
  SocketEvents& events_;

  /// The open system socket, and the family it was opened (or adopted)
  /// with.
  virtual bsd::Handle handle() const noexcept = 0;
  virtual Family socketFamily() const noexcept = 0;

 private:
  /// An option that is IP_x on IPv4 sockets and IPV6_y on IPv6 sockets.
  SysError setPerFamily(int ipv4Name, int ipv6Name, int value);
};

}  // namespace dgram::detail
