// SocketImpl: addresses, socket options, multicast membership and buffer
// sizes. Each checks Node's preconditions in Node's order, then asks the
// platform. A failure goes to the caller's ErrorSink, or is raised when
// there is none (common/raise.hpp), and changes nothing.
// Layer: common state machine.
#include "common/errors.hpp"
#include "common/loop_core.hpp"
#include "common/raise.hpp"
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

Error einval(const char* syscall) {
  return errnoException(sysErrorFromName("EINVAL"), syscall);
}

}  // namespace

AddressInfo SocketImpl::address(ErrorSink sink) const {
  if (!healthy(sink) || !requireBound("getsockname", sink)) return {};
  Endpoint local;
  if (SysError err = io()->localAddress(local)) {
    fail(sink, errnoException(err, "getsockname"));
    return {};
  }
  return toAddressInfo(local);
}

AddressInfo SocketImpl::remoteAddress(ErrorSink sink) const {
  if (!healthy(sink)) return {};
  if (connectState_ != ConnectState::connected) {
    fail(sink, errSocketNotConnected());
    return {};
  }
  Endpoint remote;
  if (SysError err = io()->remoteAddress(remote)) {
    fail(sink, errnoException(err, "getpeername"));
    return {};
  }
  return toAddressInfo(remote);
}

void SocketImpl::setBroadcast(bool flag, ErrorSink sink) {
  if (!healthy(sink) || !requireBound("setBroadcast", sink)) return;
  if (SysError err = io()->setBroadcast(flag))
    fail(sink, errnoException(err, "setBroadcast"));
}

void SocketImpl::setTTL(int ttl, ErrorSink sink) {
  if (!healthy(sink)) return;
  if (ttl < 1 || ttl > 255) return void(fail(sink, einval("setTTL")));
  if (!requireBound("setTTL", sink)) return;
  if (SysError err = io()->setTTL(ttl))
    fail(sink, errnoException(err, "setTTL"));
}

void SocketImpl::setTOS(int tos, ErrorSink sink) {
  if (!healthy(sink)) return;
  if (tos < 0 || tos > 255) return void(fail(sink, einval("setTOS")));
  if (!requireBound("setTOS", sink)) return;
  if (SysError err = io()->setTOS(tos))
    fail(sink, errnoException(err, "setTOS"));
}

void SocketImpl::setMulticastTTL(int ttl, ErrorSink sink) {
  if (!healthy(sink)) return;
  if (ttl < 0 || ttl > 255) return void(fail(sink, einval("setMulticastTTL")));
  if (!requireBound("setMulticastTTL", sink)) return;
  if (SysError err = io()->setMulticastTTL(ttl))
    fail(sink, errnoException(err, "setMulticastTTL"));
}

void SocketImpl::setMulticastLoopback(bool flag, ErrorSink sink) {
  if (!healthy(sink) || !requireBound("setMulticastLoopback", sink)) return;
  if (SysError err = io()->setMulticastLoopback(flag))
    fail(sink, errnoException(err, "setMulticastLoopback"));
}

void SocketImpl::setMulticastInterface(std::string_view iface, ErrorSink sink) {
  if (!healthy(sink)) return;
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
      return void(fail(sink, errnoException(sysErrorFromName("EADDRNOTAVAIL"),
                                            "setMulticastInterface")));
    return void(fail(sink, einval("setMulticastInterface")));
  }
  if (!requireBound("setMulticastInterface", sink)) return;
  if (SysError err = io()->setMulticastInterface(*address))
    fail(sink, errnoException(err, "setMulticastInterface"));
}

bool SocketImpl::bindForMembership(ErrorSink sink) {
  // Node (through libuv) binds an unbound socket to a random port on every
  // interface before joining, at once; here it also becomes 'listening',
  // on a later turn, the way every bind does (startBinding).
  // It receives from 'listening' on, as every bind.
  if (SysError err = openAndBind(Endpoint{anyAddress(family()), 0}, false))
    return fail(sink, errnoException(err, "bind"));
  startBinding();
  later([this] {
    if (closed_) return;
    io()->startReceiving();
    startListening();
  });
  return true;
}

SysError SocketImpl::applyMembership(const PendingMembership& membership) {
  const IpAddress* iface = membership.iface ? &*membership.iface : nullptr;
  if (membership.source)
    return io()->sourceMembership(*membership.source, membership.group, iface,
                                  membership.join);
  return io()->membership(membership.group, iface, membership.join);
}

void SocketImpl::requestMembership(PendingMembership membership,
                                   ErrorSink sink) {
  // The platform socket is reached only once it is open and bound: an
  // unbound socket binds now; one whose bind waits for its turn (or a
  // lookup) has none yet, and the membership waits behind the bind, in
  // call order with the sends and connects queued there. It does not
  // hold back close() as they do (Node's queue is for sends): a socket
  // closed before it is bound never applies it.
  if (bindState_ == BindState::unbound && !bindForMembership(sink)) return;
  if (!io() || !io()->isOpen()) {
    rare().pending.emplace_back(std::move(membership));
    return;
  }
  if (SysError err = applyMembership(membership))
    fail(sink, errnoException(err, membership.syscall));
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
                            bool join, ErrorSink sink) {
  const char* syscall = join ? "addMembership" : "dropMembership";
  if (!healthy(sink)) return;
  if (group.empty())
    return void(fail(sink, errMissingArgs("multicastAddress")));
  // An IPv6 socket may join IPv4 groups too (dual stack), as in Node.
  auto groupIp = family() == Family::IPv6
                     ? parseAnyIp(group, zoneToIndex)
                     : parseIp(group, family(), zoneToIndex);
  if (!groupIp) return void(fail(sink, einval(syscall)));
  std::optional<IpAddress> ifaceIp;
  if (!iface.empty()) {
    ifaceIp = parseIp(iface, groupIp->family, zoneToIndex);
    if (!ifaceIp) return void(fail(sink, einval(syscall)));
  }
  requestMembership(
      PendingMembership{*groupIp, ifaceIp, std::nullopt, join, syscall}, sink);
}

void SocketImpl::sourceMembership(std::string_view source,
                                  std::string_view group,
                                  std::string_view iface, bool join,
                                  ErrorSink sink) {
  const char* syscall =
      join ? "addSourceSpecificMembership" : "dropSourceSpecificMembership";
  if (!healthy(sink)) return;
  // Node checks only that both are strings: an empty one is not "missing"
  // there (unlike addMembership's group) but fails to parse, EINVAL.
  auto sourceIp = parseIp(source, family(), zoneToIndex);
  auto groupIp = parseIp(group, family(), zoneToIndex);
  if (!sourceIp || !groupIp) return void(fail(sink, einval(syscall)));
  std::optional<IpAddress> ifaceIp;
  if (!iface.empty()) {
    ifaceIp = parseIp(iface, family(), zoneToIndex);
    if (!ifaceIp) return void(fail(sink, einval(syscall)));
  }
  requestMembership(
      PendingMembership{*groupIp, ifaceIp, *sourceIp, join, syscall}, sink);
}

int SocketImpl::bufferSize(BufferKind kind, std::optional<int> size,
                           ErrorSink sink) {
  if (!healthy(sink)) return 0;
  bool recv = kind == BufferKind::receive;
  if (size && *size <= 0) return fail(sink, errSocketBadBufferSize()), 0;
  if (!io() || !io()->isOpen())
    return fail(sink, errSocketBufferSize(sysErrorFromName("EBADF"), recv)), 0;
  int value = size.value_or(0);
  if (SysError err = io()->bufferSize(kind, value))
    return fail(sink, errSocketBufferSize(err, recv)), 0;
  return value;
}

}  // namespace dgram::detail
