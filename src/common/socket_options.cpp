// SocketImpl: addresses, socket options, multicast membership and buffer
// sizes. Each checks Node's preconditions in Node's order, then asks the
// platform.
// Layer: common state machine.
#include "common/errors.hpp"
#include "common/loop_core.hpp"
#include "common/socket_impl.hpp"

namespace dgram::detail {
namespace {

AddressInfo toAddressInfo(const Endpoint& endpoint) {
  AddressInfo info;
  // As Node: a zone only on a link-local address ("fe80::1%eth0"); a
  // socket bound to "ff02::1%lo" is at "ff02::1".
  IpAddress ip = endpoint.ip;
  if (!isLinkLocalUnicast(ip)) ip.scopeId = 0;
  info.address = toIpString(ip, indexToZone);
  info.family = endpoint.ip.family;
  info.port = endpoint.port;
  return info;
}

[[noreturn]] void throwEinval(const char* syscall) {
  throw errnoException(sysErrorFromName("EINVAL"), syscall);
}

}  // namespace

AddressInfo SocketImpl::address() const {
  healthCheck();
  requireBound("getsockname");
  Endpoint local;
  if (SysError err = io()->localAddress(local))
    throw errnoException(err, "getsockname");
  return toAddressInfo(local);
}

AddressInfo SocketImpl::remoteAddress() const {
  healthCheck();
  if (connectState_ != ConnectState::connected) throw errSocketNotConnected();
  Endpoint remote;
  if (SysError err = io()->remoteAddress(remote))
    throw errnoException(err, "getpeername");
  return toAddressInfo(remote);
}

void SocketImpl::setBroadcast(bool flag) {
  healthCheck();
  requireBound("setBroadcast");
  if (SysError err = io()->setBroadcast(flag))
    throw errnoException(err, "setBroadcast");
}

void SocketImpl::setTTL(int ttl) {
  healthCheck();
  if (ttl < 1 || ttl > 255) throwEinval("setTTL");
  requireBound("setTTL");
  if (SysError err = io()->setTTL(ttl)) throw errnoException(err, "setTTL");
}

void SocketImpl::setTOS(int tos) {
  healthCheck();
  if (tos < 0 || tos > 255) throwEinval("setTOS");
  requireBound("setTOS");
  if (SysError err = io()->setTOS(tos)) throw errnoException(err, "setTOS");
}

void SocketImpl::setMulticastTTL(int ttl) {
  healthCheck();
  if (ttl < 0 || ttl > 255) throwEinval("setMulticastTTL");
  requireBound("setMulticastTTL");
  if (SysError err = io()->setMulticastTTL(ttl))
    throw errnoException(err, "setMulticastTTL");
}

void SocketImpl::setMulticastLoopback(bool flag) {
  healthCheck();
  requireBound("setMulticastLoopback");
  if (SysError err = io()->setMulticastLoopback(flag))
    throw errnoException(err, "setMulticastLoopback");
}

void SocketImpl::setMulticastInterface(std::string_view iface) {
  healthCheck();
  // IPv6 takes "::%eth1" or "%eth1"-style forms: an address with a zone
  // whose scope id names the interface.
  std::string text(iface);
  if (family() == Family::IPv6 && !text.empty() && text.front() == '%')
    text = "::" + text;
  auto address = parseIp(text, family(), zoneToIndex);
  if (!address) {
    // A well-formed address whose zone names no interface is refused
    // explicitly (libuv would silently fall back to the default one).
    if (family() == Family::IPv6 && isIpLiteral(text))
      throw errnoException(sysErrorFromName("EADDRNOTAVAIL"),
                           "setMulticastInterface");
    throwEinval("setMulticastInterface");
  }
  requireBound("setMulticastInterface");
  if (SysError err = io()->setMulticastInterface(*address))
    throw errnoException(err, "setMulticastInterface");
}

void SocketImpl::bindForMembership() {
  // Node (through libuv) binds an unbound socket to a random port on every
  // interface before joining, at once; here it also becomes 'listening',
  // on a later turn, the way every bind does (startBinding).
  if (SysError err = openAndBind(anyAddress(family()), 0))
    throw errnoException(err, "bind");
  startBinding();
  later([this] {
    if (!closed_) startListening();
  });
}

SysError SocketImpl::applyMembership(const PendingMembership& membership) {
  const IpAddress* iface = membership.iface ? &*membership.iface : nullptr;
  if (membership.source)
    return io()->sourceMembership(*membership.source, membership.group, iface,
                                  membership.join);
  return io()->membership(membership.group, iface, membership.join);
}

void SocketImpl::requestMembership(PendingMembership membership) {
  // The platform socket is reached only once it is open and bound: an
  // unbound socket binds now; one whose bind waits for its turn (or a
  // lookup) has none yet, and the membership waits behind the bind, in
  // call order with the sends and connects queued there. It does not
  // hold back close() as they do (Node's queue is for sends): a socket
  // closed before it is bound never applies it.
  if (bindState_ == BindState::unbound) bindForMembership();
  if (!io() || !io()->isOpen()) {
    rare().pending.emplace_back(std::move(membership));
    return;
  }
  if (SysError err = applyMembership(membership))
    throw errnoException(err, membership.syscall);
}

void SocketImpl::applyQueuedMembership(const PendingMembership& membership) {
  // Past the call that asked for it: what the kernel refuses is an
  // 'error', emitted on its own turn (the deferred path, as for every
  // platform error).
  if (SysError err = applyMembership(membership)) {
    Error error = errnoException(err, membership.syscall);
    later([this, error] {
      if (!closed_) emitError(error);
    });
  }
}

void SocketImpl::membership(std::string_view group, std::string_view iface,
                            bool join) {
  const char* syscall = join ? "addMembership" : "dropMembership";
  healthCheck();
  if (group.empty()) throw errMissingArgs("multicastAddress");
  // An IPv6 socket may join IPv4 groups too (dual stack), as in Node.
  auto groupIp = family() == Family::IPv6
                     ? parseAnyIp(group, zoneToIndex)
                     : parseIp(group, family(), zoneToIndex);
  if (!groupIp) throwEinval(syscall);
  std::optional<IpAddress> ifaceIp;
  if (!iface.empty()) {
    ifaceIp = parseIp(iface, groupIp->family, zoneToIndex);
    if (!ifaceIp) throwEinval(syscall);
  }
  requestMembership(
      PendingMembership{*groupIp, ifaceIp, std::nullopt, join, syscall});
}

void SocketImpl::sourceMembership(std::string_view source,
                                  std::string_view group,
                                  std::string_view iface, bool join) {
  const char* syscall =
      join ? "addSourceSpecificMembership" : "dropSourceSpecificMembership";
  healthCheck();
  // Node checks only that both are strings: an empty one is not "missing"
  // there (unlike addMembership's group) but fails to parse, EINVAL.
  auto sourceIp = parseIp(source, family(), zoneToIndex);
  auto groupIp = parseIp(group, family(), zoneToIndex);
  if (!sourceIp || !groupIp) throwEinval(syscall);
  std::optional<IpAddress> ifaceIp;
  if (!iface.empty()) {
    ifaceIp = parseIp(iface, family(), zoneToIndex);
    if (!ifaceIp) throwEinval(syscall);
  }
  requestMembership(
      PendingMembership{*groupIp, ifaceIp, *sourceIp, join, syscall});
}

int SocketImpl::bufferSize(BufferKind kind, std::optional<int> size) {
  healthCheck();
  bool recv = kind == BufferKind::receive;
  if (size && *size <= 0) throw errSocketBadBufferSize();
  if (!io() || !io()->isOpen())
    throw errSocketBufferSize(sysErrorFromName("EBADF"), recv);
  int value = size.value_or(0);
  if (SysError err = io()->bufferSize(kind, value))
    throw errSocketBufferSize(err, recv);
  return value;
}

}  // namespace dgram::detail
