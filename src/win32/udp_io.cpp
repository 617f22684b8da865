// Winsock UDP sockets under the IOCP backend: the PlatformSocket that the
// common Socket drives on Windows.
//
// IMPLEMENTATION NOTES
// - Receiving: libuv's zero-byte read, not several buffered receives.
//   One overlapped WSARecv of zero bytes with MSG_PEEK is kept in flight
//   per receiving socket. Its completion means "a datagram is waiting"
//   (it consumes nothing); the socket then reads with non-blocking
//   WSARecvFrom into the loop's shared receive arena until WSAEWOULDBLOCK
//   or kMaxReadsPerCompletion, and posts the peek again. Why this and not
//   N overlapped WSARecvFrom with their own buffers:
//     * memory: no 64 KiB buffer per receive in flight per socket (N of
//       them for each of thousands of sockets); every socket of a loop
//       shares one arena, as on POSIX;
//     * the kernel never waits on us either way: datagrams that arrive
//       while we are busy queue in the socket's receive buffer (SO_RCVBUF),
//       exactly where they would wait with N receives in flight once those
//       are used up;
//     * it is the route Node runs on (libuv), uses documented calls only,
//       and has the same shape as the POSIX readiness path (bounded
//       batches, check the socket's state after every callback).
//   The price is one extra system call per batch (the peek).
// - Sending: WSASendTo on the non-blocking socket first; UDP almost never
//   blocks, so a send normally completes inside send(). On WSAEWOULDBLOCK
//   the request is queued (in order) and the head of the queue goes out as
//   an overlapped WSASendTo from a copy owned by the operation, so a socket
//   that closes meanwhile never leaves the kernel reading freed memory.
// - Closing: closesocket() cancels what is in flight. Operations still in
//   flight are orphaned (they free themselves when their cancelled packet
//   arrives); queued sends complete with ECANCELED before close() returns.
// - ICMP errors: Windows reports a port-unreachable ICMP as WSAECONNRESET
//   on the next receive, and on an unconnected socket that would break the
//   receive loop for a datagram sent to anyone. SIO_UDP_CONNRESET is off
//   for unconnected sockets (as Go does); it is on while the socket is
//   connected, where the error is reported as ECONNREFUSED, the code POSIX
//   gives (Node on Linux says "recvmsg ECONNREFUSED" there too).
// - A destination of 0.0.0.0 or :: is sent to the loopback address, as
//   libuv does on Windows (Windows refuses the any address; POSIX treats
//   it as "this host").
// - SO_REUSEADDR when reuseAddr is set, nothing otherwise (Node/libuv do
//   not set SO_EXCLUSIVEADDRUSE for UDP). reusePort: Windows has no
//   SO_REUSEPORT, so it fails with ENOTSUP.
#include <chrono>
#include <cstring>
#include <deque>
#include <vector>

#include "common/loop_core.hpp"
#include "common/platform_socket.hpp"
#include "win32/error_map.hpp"
#include "win32/iocp.hpp"
#include "win32/sockaddr.hpp"

namespace dgram::detail {
namespace {

// The largest UDP payload plus one byte, so truncation is detectable.
constexpr std::size_t kSlotSize = 65536;
// Datagrams read per peek completion: enough to amortise the peek, bounded
// so one busy socket cannot starve the others (the peek posted next
// completes at once if more are waiting, behind the other sockets' work).
constexpr int kMaxReadsPerCompletion = 64;
constexpr std::size_t kMaxParts = 64;
// WSAENOBUFS is waited out like WSAEWOULDBLOCK (queued); an overlapped
// send that still meets it is retried after a pause, not reported.
constexpr auto kNoBuffersPause = std::chrono::milliseconds(1);

int lastError() {
  return ::WSAGetLastError();
}
SysError mapped(int error) {
  return sysErrorFromWinsock(error);
}

// A UDP socket's ICMP port-unreachable, named as POSIX names it.
bool isPortUnreachable(int error) {
  return error == WSAECONNRESET || error == WSAECONNREFUSED ||
         error == static_cast<int>(ERROR_PORT_UNREACHABLE);
}
SysError mappedUdp(int error) {
  if (isPortUnreachable(error)) return sysErrorFromName("ECONNREFUSED");
  return mapped(error);
}

SysError setIntOption(SOCKET socket, int level, int name, int value) {
  DWORD dword = static_cast<DWORD>(value);
  if (::setsockopt(socket, level, name, reinterpret_cast<const char*>(&dword),
                   sizeof dword) != 0)
    return mapped(lastError());
  return {};
}

// Switches reporting of ICMP port-unreachable as WSAECONNRESET. Best
// effort: a system without the ioctl (wine) reports such errors as POSIX
// does, only on connected sockets.
void setConnReset(SOCKET socket, bool on) {
  BOOL value = on ? TRUE : FALSE;
  DWORD ignored = 0;
  ::WSAIoctl(socket, SIO_UDP_CONNRESET, &value, sizeof value, nullptr, 0,
             &ignored, nullptr, nullptr);
}

// Windows refuses the any address as a destination; libuv (and so Node)
// sends there to the loopback address instead.
void rewriteAnyDestination(Endpoint& destination) {
  if (destination.ip == anyAddress(destination.ip.family))
    destination.ip = loopbackAddress(destination.ip.family);
}

class WinUdpSocket;

// An overlapped operation of a socket. `owner` is null once the socket
// let go of it (closed while it was in flight): it then only waits for its
// packet to free itself.
class SocketOperation : public IocpOperation {
 public:
  WinUdpSocket* owner = nullptr;
  bool inFlight = false;
  // A failure of the call that started it (no packet came from the
  // kernel; the backend queued one by hand).
  int startError = 0;

  void onComplete(DWORD bytes) override;

  /// The operation's outcome: 0 or a WSA error.
  int result(SOCKET socket) {
    if (startError != 0) {
      int error = startError;
      startError = 0;
      return error;
    }
    DWORD bytes = 0;
    DWORD flags = 0;
    if (::WSAGetOverlappedResult(socket, overlapped(), &bytes, FALSE, &flags))
      return 0;
    return lastError();
  }

 protected:
  virtual void finished(DWORD bytes) = 0;
};

class ReceiveOperation final : public SocketOperation {
  void finished(DWORD bytes) override;
};

class SendOperation final : public SocketOperation {
 public:
  std::vector<std::uint8_t> data;
  sockaddr_storage destination{};
  int destinationLength = 0;

 private:
  void finished(DWORD bytes) override;
};

void SocketOperation::onComplete(DWORD bytes) {
  inFlight = false;
  if (owner == nullptr) {
    delete this;
    return;
  }
  finished(bytes);
}

class WinUdpSocket final : public PlatformSocket {
 public:
  WinUdpSocket(LoopCore& loop, SocketEvents& events)
      : loop_(loop),
        backend_(static_cast<IocpBackend&>(loop.backend())),
        events_(events) {}
  ~WinUdpSocket() override { close(); }

  SysError open(Family family, const OpenOptions& options) override {
    int domain = family == Family::IPv4 ? AF_INET : AF_INET6;
    SOCKET socket = ::WSASocketW(domain, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0,
                                 WSA_FLAG_OVERLAPPED);
    if (socket == INVALID_SOCKET) return mapped(lastError());
    SysError err;
    if (options.reuseAddr)
      err = setIntOption(socket, SOL_SOCKET, SO_REUSEADDR, 1);
    if (!err && options.reusePort) err = sysErrorFromName("ENOTSUP");
    if (!err && family == Family::IPv6)
      err = setIntOption(socket, IPPROTO_IPV6, IPV6_V6ONLY, options.ipv6Only);
    if (!err) err = takeOver(socket);
    if (err) {
      ::closesocket(socket);
      return err;
    }
    family_ = family;
    return {};
  }

  SysError adopt(std::intptr_t handle, Family& family,
                 const char*& otherType) override {
    SOCKET socket = static_cast<SOCKET>(handle);
    otherType = nullptr;
    WSAPROTOCOL_INFOW info{};
    int length = sizeof info;
    if (::getsockopt(socket, SOL_SOCKET, SO_PROTOCOL_INFOW,
                     reinterpret_cast<char*>(&info), &length) != 0) {
      int error = lastError();
      if (error != WSAENOTSOCK) return mapped(error);
      DWORD type = ::GetFileType(reinterpret_cast<HANDLE>(socket));
      if (type == FILE_TYPE_UNKNOWN && ::GetLastError() != NO_ERROR)
        return sysErrorFromName("EBADF");
      otherType = type == FILE_TYPE_PIPE   ? "PIPE"
                  : type == FILE_TYPE_DISK ? "FILE"
                                           : "UNKNOWN";
      return {};
    }
    bool inet =
        info.iAddressFamily == AF_INET || info.iAddressFamily == AF_INET6;
    if (info.iSocketType != SOCK_DGRAM || !inet) {
      otherType = info.iSocketType == SOCK_STREAM && inet ? "TCP" : "UNKNOWN";
      return {};
    }
    if (SysError err = takeOver(socket)) return err;
    family_ = family =
        info.iAddressFamily == AF_INET ? Family::IPv4 : Family::IPv6;
    return {};
  }

  SysError bind(const Endpoint& local) override {
    sockaddr_storage sa;
    int length = toSockaddr(local, sa);
    if (::bind(socket_, reinterpret_cast<sockaddr*>(&sa), length) != 0)
      return mapped(lastError());
    return {};
  }

  SysError connect(const Endpoint& remote) override {
    sockaddr_storage sa;
    int length = toSockaddr(remote, sa);
    if (::connect(socket_, reinterpret_cast<sockaddr*>(&sa), length) != 0)
      return mapped(lastError());
    setConnReset(socket_, true);
    return {};
  }

  SysError disconnect() override {
    // Windows' documented way: connecting to the all-zero address of the
    // socket's family dissolves the association and keeps the local
    // binding (the port stays what address() said).
    sockaddr_storage sa;
    int length = toSockaddr(Endpoint{anyAddress(family_), 0}, sa);
    if (::connect(socket_, reinterpret_cast<sockaddr*>(&sa), length) != 0)
      return mapped(lastError());
    setConnReset(socket_, false);
    return {};
  }

  SysError localAddress(Endpoint& out) const override {
    return nameOf(::getsockname, out);
  }
  SysError remoteAddress(Endpoint& out) const override {
    return nameOf(::getpeername, out);
  }

  void startReceiving() override {
    receiving_ = true;
    if (socket_ != INVALID_SOCKET && !receive_->inFlight) postPeek();
  }

  // The peek in flight stays there (it consumes nothing); its completion
  // is ignored while not receiving.
  void stopReceiving() override { receiving_ = false; }

  bool send(SendRequest& request, SysError& error) override {
    if (queue_.empty()) {
      int result = sendNow(request);
      if (result != WSAEWOULDBLOCK && result != WSAENOBUFS) {
        error = result == 0 ? SysError{} : mappedUdp(result);
        return true;
      }
    }
    request.own();
    queue_.push_back(&request);
    queuedBytes_ += request.size;
    startQueuedSend();
    return false;
  }

  std::size_t queuedBytes() const noexcept override { return queuedBytes_; }
  std::size_t queuedCount() const noexcept override { return queue_.size(); }

  void close() override {
    if (retryTimer_) loop_.timers().cancel(retryTimer_);
    retryTimer_ = 0;
    if (socket_ == INVALID_SOCKET) return;
    backend_.release(socket_);
    ::closesocket(socket_);  // cancels the operations in flight
    socket_ = INVALID_SOCKET;
    receiving_ = false;
    letGo(receive_);
    letGo(send_);
    // Whatever is still queued is cancelled, in order (the head may have
    // been with the kernel; its fate is unknown, as a close makes it).
    while (!queue_.empty()) {
      SendRequest* request = queue_.front();
      queue_.pop_front();
      queuedBytes_ -= request->size;
      events_.onSendDone(request, sysErrorFromName("ECANCELED"));
    }
  }

  bool isOpen() const noexcept override { return socket_ != INVALID_SOCKET; }

  SysError setBroadcast(bool on) override {
    return setIntOption(socket_, SOL_SOCKET, SO_BROADCAST, on);
  }
  SysError setTTL(int ttl) override {
    return family_ == Family::IPv4
               ? setIntOption(socket_, IPPROTO_IP, IP_TTL, ttl)
               : setIntOption(socket_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
  }
  SysError setMulticastTTL(int ttl) override {
    return family_ == Family::IPv4
               ? setIntOption(socket_, IPPROTO_IP, IP_MULTICAST_TTL, ttl)
               : setIntOption(socket_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl);
  }
  SysError setMulticastLoopback(bool on) override {
    return family_ == Family::IPv4
               ? setIntOption(socket_, IPPROTO_IP, IP_MULTICAST_LOOP, on)
               : setIntOption(socket_, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on);
  }

  SysError setMulticastInterface(const IpAddress& address) override {
    if (family_ == Family::IPv4) {
      in_addr in{};
      std::memcpy(&in, address.bytes.data(), 4);
      if (::setsockopt(socket_, IPPROTO_IP, IP_MULTICAST_IF,
                       reinterpret_cast<const char*>(&in), sizeof in) != 0)
        return mapped(lastError());
      return {};
    }
    return setIntOption(socket_, IPPROTO_IPV6, IPV6_MULTICAST_IF,
                        static_cast<int>(address.scopeId));
  }

  SysError membership(const IpAddress& group, const IpAddress* iface,
                      bool join) override {
    int rc;
    if (group.family == Family::IPv4) {
      ip_mreq request{};
      std::memcpy(&request.imr_multiaddr, group.bytes.data(), 4);
      if (iface) std::memcpy(&request.imr_interface, iface->bytes.data(), 4);
      rc = ::setsockopt(
          socket_, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP,
          reinterpret_cast<const char*>(&request), sizeof request);
    } else {
      ipv6_mreq request{};
      std::memcpy(&request.ipv6mr_multiaddr, group.bytes.data(), 16);
      request.ipv6mr_interface = iface ? iface->scopeId : 0;
      rc =
          ::setsockopt(socket_, IPPROTO_IPV6,
                       join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP,
                       reinterpret_cast<const char*>(&request), sizeof request);
    }
    return rc == 0 ? SysError{} : mapped(lastError());
  }

  SysError sourceMembership(const IpAddress& source, const IpAddress& group,
                            const IpAddress* iface, bool join) override {
    if (group.family == Family::IPv4) {
      ip_mreq_source request{};
      std::memcpy(&request.imr_multiaddr, group.bytes.data(), 4);
      std::memcpy(&request.imr_sourceaddr, source.bytes.data(), 4);
      if (iface) std::memcpy(&request.imr_interface, iface->bytes.data(), 4);
      int name = join ? IP_ADD_SOURCE_MEMBERSHIP : IP_DROP_SOURCE_MEMBERSHIP;
      if (::setsockopt(socket_, IPPROTO_IP, name,
                       reinterpret_cast<const char*>(&request),
                       sizeof request) != 0)
        return mapped(lastError());
      return {};
    }
    group_source_req request{};
    request.gsr_interface = iface ? iface->scopeId : 0;
    toSockaddr(Endpoint{group, 0}, request.gsr_group);
    toSockaddr(Endpoint{source, 0}, request.gsr_source);
    int name = join ? MCAST_JOIN_SOURCE_GROUP : MCAST_LEAVE_SOURCE_GROUP;
    if (::setsockopt(socket_, IPPROTO_IPV6, name,
                     reinterpret_cast<const char*>(&request),
                     sizeof request) != 0)
      return mapped(lastError());
    return {};
  }

  SysError bufferSize(BufferKind kind, int& size) override {
    int name = kind == BufferKind::receive ? SO_RCVBUF : SO_SNDBUF;
    if (size > 0) {
      if (SysError err = setIntOption(socket_, SOL_SOCKET, name, size))
        return err;
    }
    int length = sizeof size;
    if (::getsockopt(socket_, SOL_SOCKET, name, reinterpret_cast<char*>(&size),
                     &length) != 0)
      return mapped(lastError());
    return {};
  }

  // Completions, from the backend's dispatch.
  void peekDone(ReceiveOperation& operation);
  void sendDone(SendOperation& operation);

 private:
  using NameCall = int(WSAAPI*)(SOCKET, sockaddr*, int*);

  // Makes `socket` this object's: non-blocking, not inherited by child
  // processes, completions to this loop's port, no WSAECONNRESET while
  // unconnected.
  SysError takeOver(SOCKET socket) {
    u_long nonBlocking = 1;
    if (::ioctlsocket(socket, FIONBIO, &nonBlocking) != 0)
      return mapped(lastError());
    ::SetHandleInformation(reinterpret_cast<HANDLE>(socket),
                           HANDLE_FLAG_INHERIT, 0);
    if (SysError err = backend_.associate(socket)) return err;
    setConnReset(socket, false);
    if (!receive_) {
      receive_ = new ReceiveOperation;
      send_ = new SendOperation;
    }
    receive_->owner = this;
    send_->owner = this;
    socket_ = socket;
    return {};
  }

  // Frees an operation, or hands it over to itself if it is in flight.
  template <typename Operation>
  static void letGo(Operation*& operation) {
    if (!operation) return;
    if (operation->inFlight)
      operation->owner = nullptr;
    else
      delete operation;
    operation = nullptr;
  }

  SysError nameOf(NameCall call, Endpoint& out) const {
    sockaddr_storage sa{};
    int length = sizeof sa;
    if (call(socket_, reinterpret_cast<sockaddr*>(&sa), &length) != 0)
      return mapped(lastError());
    if (!fromSockaddr(sa, out)) return sysErrorFromName("EAFNOSUPPORT");
    return {};
  }

  // --- receiving ------------------------------------------------------------

  void postPeek() {
    static char none = 0;
    WSABUF buffer{0, &none};
    DWORD flags = MSG_PEEK;
    receive_->inFlight = true;
    int error = ::WSARecv(socket_, &buffer, 1, nullptr, &flags,
                          receive_->prepare(), nullptr) == 0
                    ? 0
                    : lastError();
    // A datagram already waiting makes the peek "fail" at once with
    // WSAEMSGSIZE (it does not fit in zero bytes). That status is only a
    // warning (STATUS_BUFFER_OVERFLOW), so the port still gets a packet for
    // it, as for a success: counting it as started keeps one packet per
    // operation.
    if (error == 0 || error == WSA_IO_PENDING || error == WSAEMSGSIZE) {
      backend_.started(*receive_);
      return;
    }
    receive_->startError = error;
    backend_.completeLater(*receive_);
  }

  // Reads what is waiting, at most kMaxReadsPerCompletion datagrams.
  // Returns false if reading must stop (an error was reported).
  bool drain() {
    std::uint8_t* arena = loop_.receiveArena(kSlotSize);
    for (int i = 0; i < kMaxReadsPerCompletion; ++i) {
      if (!receiving_ || socket_ == INVALID_SOCKET) return true;
      sockaddr_storage from{};
      int fromLength = sizeof from;
      WSABUF buffer{static_cast<ULONG>(kSlotSize),
                    reinterpret_cast<char*>(arena)};
      DWORD bytes = 0;
      DWORD flags = 0;
      bool truncated = false;
      if (::WSARecvFrom(socket_, &buffer, 1, &bytes, &flags,
                        reinterpret_cast<sockaddr*>(&from), &fromLength,
                        nullptr, nullptr) != 0) {
        int error = lastError();
        if (error == WSAEWOULDBLOCK) return true;
        if (error == WSAENETRESET) continue;  // TTL expired in transit
        if (error != WSAEMSGSIZE) {
          events_.onReceiveError(mappedUdp(error));
          return isPortUnreachable(error);
        }
        truncated = true;
        bytes = static_cast<DWORD>(kSlotSize);
      }
      Endpoint source;
      if (!fromSockaddr(from, source)) continue;
      events_.onDatagram(arena, bytes, source, truncated);
    }
    return true;
  }

  // --- sending --------------------------------------------------------------

  // Returns 0, WSAEWOULDBLOCK or another WSA error.
  int sendNow(SendRequest& request) {
    WSABUF buffers[kMaxParts];
    if (request.parts.size() > kMaxParts) request.own();
    DWORD count = static_cast<DWORD>(request.parts.size());
    for (DWORD i = 0; i < count; ++i) {
      buffers[i].buf = reinterpret_cast<char*>(
          const_cast<std::uint8_t*>(request.parts[i].data()));
      buffers[i].len = static_cast<ULONG>(request.parts[i].size());
    }
    if (count == 0) {
      // A zero-length datagram still needs one (empty) buffer.
      static char none = 0;
      buffers[0] = WSABUF{0, &none};
      count = 1;
    }
    sockaddr_storage sa;
    int length = 0;
    if (request.hasDestination) {
      Endpoint destination = request.destination;
      rewriteAnyDestination(destination);
      length = toSockaddr(destination, sa);
    }
    DWORD sent = 0;
    if (::WSASendTo(socket_, buffers, count, &sent, 0,
                    length ? reinterpret_cast<sockaddr*>(&sa) : nullptr, length,
                    nullptr, nullptr) == 0)
      return 0;
    return lastError();
  }

  // Starts the head of the queue as an overlapped send, unless one is
  // already with the kernel.
  void startQueuedSend() {
    if (queue_.empty() || send_->inFlight || socket_ == INVALID_SOCKET ||
        retryTimer_)
      return;
    SendRequest& request = *queue_.front();
    SendOperation& operation = *send_;
    operation.data.clear();
    for (const Bytes& part : request.parts)
      operation.data.insert(operation.data.end(), part.data(),
                            part.data() + part.size());
    operation.destinationLength = 0;
    if (request.hasDestination) {
      Endpoint destination = request.destination;
      rewriteAnyDestination(destination);
      operation.destinationLength =
          toSockaddr(destination, operation.destination);
    }
    static char none = 0;
    WSABUF buffer{static_cast<ULONG>(operation.data.size()),
                  operation.data.empty()
                      ? &none
                      : reinterpret_cast<char*>(operation.data.data())};
    operation.inFlight = true;
    if (::WSASendTo(socket_, &buffer, 1, nullptr, 0,
                    operation.destinationLength
                        ? reinterpret_cast<sockaddr*>(&operation.destination)
                        : nullptr,
                    operation.destinationLength, operation.prepare(),
                    nullptr) == 0 ||
        lastError() == WSA_IO_PENDING) {
      backend_.started(operation);
      return;
    }
    operation.startError = lastError();
    backend_.completeLater(operation);
  }

  LoopCore& loop_;
  IocpBackend& backend_;
  SocketEvents& events_;
  SOCKET socket_ = INVALID_SOCKET;
  Family family_ = Family::IPv4;
  bool receiving_ = false;
  ReceiveOperation* receive_ = nullptr;
  SendOperation* send_ = nullptr;
  std::deque<SendRequest*> queue_;
  std::size_t queuedBytes_ = 0;
  std::uint64_t retryTimer_ = 0;  ///< pending WSAENOBUFS retry
};

void WinUdpSocket::peekDone(ReceiveOperation& operation) {
  int error = operation.result(socket_);
  if (!receiving_ || socket_ == INVALID_SOCKET) return;
  bool again = true;
  if (error == 0 || error == WSAEMSGSIZE) {
    // Something is waiting (a peek of zero bytes reports a non-empty
    // datagram as "message too long").
    try {
      again = drain();
    } catch (...) {
      // A 'message' listener threw: datagrams are read one at a time, so
      // none is lost; the peek must go on for the next run.
      if (receiving_ && socket_ != INVALID_SOCKET && !operation.inFlight)
        postPeek();
      throw;
    }
  } else if (isPortUnreachable(error)) {
    events_.onReceiveError(mappedUdp(error));
  } else if (error != WSAENETRESET && error != WSA_OPERATION_ABORTED) {
    // Anything else would fail again at once: report it and stop.
    events_.onReceiveError(mapped(error));
    again = false;
  }
  // A callback may have closed the socket (or stopped receiving).
  if (again && receiving_ && socket_ != INVALID_SOCKET && !operation.inFlight)
    postPeek();
}

void WinUdpSocket::sendDone(SendOperation& operation) {
  int error = operation.result(socket_);
  if (queue_.empty()) return;
  if (error == WSAENOBUFS && socket_ != INVALID_SOCKET) {
    // Still no buffer space: the head stays queued and is sent again.
    retryTimer_ = loop_.timers().add(
        std::chrono::steady_clock::now() + kNoBuffersPause,
        [this] {
          // Cancelled by close(), so `this` is alive here.
          retryTimer_ = 0;
          startQueuedSend();
        },
        false);  // the queued requests keep the loop alive
    return;
  }
  SendRequest* request = queue_.front();
  queue_.pop_front();
  queuedBytes_ -= request->size;
  events_.onSendDone(request, error == 0 ? SysError{} : mappedUdp(error));
  // The callback may have closed the socket; then the queue is empty.
  startQueuedSend();
}

void ReceiveOperation::finished(DWORD) {
  owner->peekDone(*this);
}
void SendOperation::finished(DWORD) {
  owner->sendDone(*this);
}

}  // namespace

std::unique_ptr<PlatformSocket> createPlatformSocket(LoopCore& loop,
                                                     SocketEvents& events) {
  return std::make_unique<WinUdpSocket>(loop, events);
}

}  // namespace dgram::detail
