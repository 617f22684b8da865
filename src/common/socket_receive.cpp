// The receive path: the platform's datagrams reach the 'message'
// listeners here, once per datagram, so nothing here allocates in the
// steady state (the sender's description is the loop's cache, rebuilt only
// when the sender changes). The send path is in socket_send.cpp.
// Layer: common state machine.
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "common/errors.hpp"
#include "common/loop_core.hpp"
#include "common/receive_window.hpp"
#include "common/socket_impl.hpp"

namespace dgram::detail {

void SocketImpl::onDatagram(const std::uint8_t* data, std::size_t size,
                            const Arrival& arrival) {
  if (closed_) return;
  if (rare_ && !rare_->held.empty()) {
    // Datagrams held after a throw go first: keep the order.
    holdDatagram(data, size, arrival);
    return;
  }
  dispatchDatagram(data, size, arrival);
}

void SocketImpl::holdDatagram(const std::uint8_t* data, std::size_t size,
                              const Arrival& arrival) {
  if (closed_) return;
  Fifo<Rare::HeldDatagram>& held = rare().held;
  held.push_back(Rare::HeldDatagram{
      std::vector<std::uint8_t>(data, data + size), arrival});
  if (held.size() == 1) later([this] { deliverHeld(); });
}

void SocketImpl::deliverHeld() {
  Fifo<Rare::HeldDatagram>& held = rare().held;
  while (!held.empty() && !closed_) {
    Rare::HeldDatagram datagram = std::move(held.front());
    held.pop_front();
    DGRAM_TRY {
      dispatchDatagram(datagram.data.data(), datagram.data.size(),
                       datagram.arrival);
    }
    DGRAM_CATCH(...) {
      if (!held.empty()) later([this] { deliverHeld(); });
      DGRAM_RETHROW;
    }
  }
  held.clear();
}

void SocketImpl::dispatchDatagram(const std::uint8_t* data, std::size_t size,
                                  const Arrival& arrival) {
  // Senders repeat: the text of the last one is kept rather than
  // formatted again for every datagram (the loop's cache, shared by its
  // sockets: only one delivers at a time).
  LoopCore::DatagramCaches& cache = loop_.datagramCaches();
  RemoteInfo& remote = cache.remote;
  if (arrival.truncated || arrival.hasLocal || !cache.plainSender ||
      !(cache.sender == arrival.from.ip)) {
    if (!describeUnusual(arrival)) return;
  }
  remote.port = arrival.from.port;
  remote.size = size;
  remote.tos = arrival.tos;
  cache.senderKey = arrival.senderKey;
  listeners_.emitMessage(ByteView(data, size), remote);
}

void SocketImpl::onDatagramFromLast(const std::uint8_t* data,
                                    std::size_t size) {
  const LoopCore::DatagramCaches& cache = loop_.datagramCaches();
  Arrival arrival;
  arrival.from.ip = cache.sender;
  arrival.from.port = static_cast<std::uint16_t>(cache.remote.port);
  arrival.senderKey = cache.senderKey;
  onDatagram(data, size, arrival);
}

bool SocketImpl::describeUnusual(const Arrival& arrival) {
  if (arrival.truncated) {
    // Never for UDP over IPv4 (the buffer holds the largest datagram);
    // reported rather than delivering a cut message.
    emitError(errnoException(sysErrorFromName("EMSGSIZE"), "recvmsg"));
    return false;
  }
  LoopCore::DatagramCaches& cache = loop_.datagramCaches();
  RemoteInfo& remote = cache.remote;
  const Endpoint& from = arrival.from;
  if (!(cache.sender == from.ip) || remote.address.empty()) {
    cache.sender = from.ip;
    remote.address = toIpString(from.ip, indexToZone);
    remote.family = from.ip.family;
  }
  // The metadata asked for (recvPktInfo, recvTos): the same cache, shared
  // by the loop's sockets, so what one reports never shows at another.
  if (arrival.hasLocal) {
    if (!(cache.local == arrival.local) || remote.localAddress.empty()) {
      cache.local = arrival.local;
      remote.localAddress = toIpString(arrival.local, indexToZone);
    }
    remote.interfaceIndex = arrival.interfaceIndex;
  } else if (!remote.localAddress.empty()) {
    remote.localAddress = IpString();
    remote.interfaceIndex = 0;
  }
  cache.plainSender = !arrival.hasLocal;
  return true;
}

void SocketImpl::onReceiveError(SysError error) {
  reportLater(error, "recvmsg");
}

void SocketImpl::onSystemError(SysError error, const char* syscall) {
  reportLater(error, syscall);
}

void SocketImpl::reportLater(SysError error, const char* syscall) {
  // The rule for platform errors: they reach user code on the deferred
  // path only, as an 'error' emitted on a turn of its own. The platform
  // reports them from wherever it is: the turn-end flush (which may not
  // throw: a throwing 'error' listener there ended the process), the
  // middle of startListening (whose work a throw there lost), a dispatch.
  if (closed_) return;
  later([this, error, syscall] {
    if (!closed_) emitError(errnoException(error, syscall));
  });
}

// --- the platform's calls ---------------------------------------------------
// SocketEvents has one implementation, SocketImpl: its calls are forwarded
// without a virtual call (and without a vtable pointer in every socket).
// (Those of the send path are in socket_send.cpp.)

void SocketEvents::onDatagram(const std::uint8_t* data, std::size_t size,
                              const Arrival& arrival) {
  auto& socket = static_cast<SocketImpl&>(*this);
  if (!socket.closed_ && !socket.rare_) {
    socket.dispatchDatagram(data, size, arrival);  // the usual socket
    return;
  }
  socket.onDatagram(data, size, arrival);
}

void SocketEvents::onDatagramFromLast(const std::uint8_t* data,
                                      std::size_t size) {
  auto& socket = static_cast<SocketImpl&>(*this);
  if (!socket.closed_ && !socket.rare_) {
    // The usual socket: its listeners get the loop's description as it is
    // (sender, port, no metadata), with this datagram's size.
    RemoteInfo& remote = socket.loop_.datagramCaches().remote;
    remote.size = size;
    socket.listeners_.emitMessage(ByteView(data, size), remote);
    return;
  }
  socket.onDatagramFromLast(data, size);
}

int SocketEvents::onDatagramsFromLast(const DatagramRun& run, int from,
                                      int& thrown) {
  auto& socket = static_cast<SocketImpl&>(*this);
  LoopCore::DatagramCaches& cache = socket.loop_.datagramCaches();
  // Per datagram, what onDatagramFromLast's usual path does, without a
  // call from the platform for each (a batch under a flood is mostly a
  // run of these). The run is walked by pointers, in registers across the
  // listener's call, rather than by an index into the platform's headers.
  const std::size_t stride = run.stride;
  constexpr std::size_t slot = std::size_t{1} << kRunSlotShift;
  const auto at = static_cast<std::size_t>(from);
  const std::ptrdiff_t keyOffset = run.keyOffset;
  const std::uint8_t* sizeAt = run.sizes + at * stride;
  const std::uint8_t* data = run.data + (at << kRunSlotShift);
  const std::uint8_t* const end =
      run.data + (static_cast<std::size_t>(run.count) << kRunSlotShift);
  // A socket with rare state delivers as the usual one unless datagrams
  // are held (SocketImpl::onDatagram): then they go first. None is held
  // during the run: only a listener's throw, which ends it, holds any.
  if (socket.rare_ && !socket.rare_->held.empty()) return from;
  DGRAM_TRY {
    for (; data != end; sizeAt += stride, data += slot) {
      // The datagram before may have closed the socket.
      if (socket.closed_) break;
      std::uint64_t sender;
      std::memcpy(&sender, sizeAt + keyOffset, sizeof sender);
      unsigned size;
      std::memcpy(&size, sizeAt, sizeof size);
      if (sender != cache.senderKey || size >= slot) break;
      LentDatagram lent(data, size);
      cache.remote.size = size;
      socket.listeners_.emitMessage(ByteView(data, size), cache.remote);
    }
  }
  DGRAM_CATCH(...) {
    thrown = static_cast<int>(static_cast<std::size_t>(data - run.data) >>
                              kRunSlotShift);
    DGRAM_RETHROW;
  }
  return static_cast<int>(static_cast<std::size_t>(data - run.data) >>
                          kRunSlotShift);
}

void SocketEvents::holdDatagram(const std::uint8_t* data, std::size_t size,
                                const Arrival& arrival) {
  static_cast<SocketImpl&>(*this).holdDatagram(data, size, arrival);
}

void SocketEvents::onReceiveError(SysError error) {
  static_cast<SocketImpl&>(*this).onReceiveError(error);
}

void SocketEvents::onSystemError(SysError error, const char* syscall) {
  static_cast<SocketImpl&>(*this).onSystemError(error, syscall);
}

}  // namespace dgram::detail
