// Winsock UDP sockets under the IOCP backend: the PlatformSocket that the
// common Socket drives on Windows.
// Layer: platform (IOCP).
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
//   the request is queued (in order, common/send_queue.hpp, which copies
//   the payload once) and the head of the queue goes out as an overlapped
//   WSASendTo from that copy, handed over to the operation (a swap, not a
//   second copy), so a socket that closes meanwhile never leaves the kernel
//   reading freed memory.
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
#include <vector>

#include "bsd/bsd_socket.hpp"
#include "bsd/sockaddr.hpp"
#include "common/loop_core.hpp"
#include "common/platform_socket.hpp"
#include "common/raise.hpp"
#include "win32/error_map.hpp"
#include "win32/fault_call.hpp"
#include "win32/iocp.hpp"

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
// Errors of a receive that say nothing about the socket: reported, and
// receiving goes on.
bool isTransient(int error) {
  return error == WSAENOBUFS || error == WSA_NOT_ENOUGH_MEMORY ||
         error == static_cast<int>(ERROR_NOT_ENOUGH_MEMORY);
}
SysError mappedUdp(int error) {
  if (isPortUnreachable(error)) return sysErrorFromName("ECONNREFUSED");
  return mapped(error);
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
  /// The payload with the kernel: taken over (swapped, not copied) from
  /// the request's own copy, so an operation orphaned by a close keeps the
  /// bytes the kernel may still read after the request is recycled.
  std::vector<std::uint8_t> data;
  /// The request whose payload `data` holds (a send retried after
  /// WSAENOBUFS reuses it); nullptr once that request is done.
  const SendRequest* carrying = nullptr;
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

class WinUdpSocket final : public BsdSocket {
 public:
  WinUdpSocket(LoopCore& loop, IocpBackend& backend, SocketEvents& events)
      : BsdSocket(events), loop_(loop), backend_(backend) {}
  ~WinUdpSocket() override { close(); }

  SysError open(Family family, const OpenOptions& options) override {
    int domain = family == Family::IPv4 ? AF_INET : AF_INET6;
    SOCKET socket = faultableWinCall(fault::Call::socket, INVALID_SOCKET, [&] {
      return ::WSASocketW(domain, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0,
                          WSA_FLAG_OVERLAPPED);
    });
    if (socket == INVALID_SOCKET) return mapped(lastError());
    SysError err = bsd::applyOpenOptions(socket, family, options);
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

  SysError connect(const Endpoint& remote) override {
    if (SysError err = BsdSocket::connect(remote)) return err;
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

  void startReceiving() override {
    receiving_ = true;
    if (socket_ != INVALID_SOCKET && !receive_->inFlight) postPeek();
  }

  // The peek in flight stays there (it consumes nothing); its completion
  // is ignored while not receiving.
  void stopReceiving() override { receiving_ = false; }

  bool send(SendRequest& request, SysError& error) override {
    if (request.hasSource) {
      // Choosing a source needs WSASendMsg with IP_PKTINFO: future work.
      error = sysError(Errc::kENOTSUP);
      return true;
    }
    if (queue_.empty()) {
      int result = sendNow(request);
      if (result != WSAEWOULDBLOCK && result != WSAENOBUFS) {
        error = result == 0 ? SysError{} : mappedUdp(result);
        return true;
      }
    }
    queue_.push(request);
    startQueuedSend();
    return false;
  }

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
    queue_.failAll(events_, sysError(Errc::kECANCELED));
  }

  bool isOpen() const noexcept override { return socket_ != INVALID_SOCKET; }

  // Completions, from the backend's dispatch.
  void peekDone(ReceiveOperation& operation);
  void sendDone(SendOperation& operation);

 private:
  bsd::Handle handle() const noexcept override { return socket_; }
  Family socketFamily() const noexcept override { return family_; }

  // Makes `socket` this object's: non-blocking, not inherited by child
  // processes, completions to this loop's port, no WSAECONNRESET while
  // unconnected.
  SysError takeOver(SOCKET socket) {
    u_long nonBlocking = 1;
    if (faultableWinCall(fault::Call::fcntl, SOCKET_ERROR, [&] {
          return ::ioctlsocket(socket, FIONBIO, &nonBlocking);
        }) != 0)
      return mapped(lastError());
    // Not inheriting is hygiene for child processes, not something this
    // process depends on: a refusal is not worth failing the socket for.
    (void)::SetHandleInformation(reinterpret_cast<HANDLE>(socket),
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
      Arrival arrival;
      if (faultableWinCall(fault::Call::recvmmsg, SOCKET_ERROR, [&] {
            return ::WSARecvFrom(socket_, &buffer, 1, &bytes, &flags,
                                 reinterpret_cast<sockaddr*>(&from),
                                 &fromLength, nullptr, nullptr);
          }) != 0) {
        int error = lastError();
        if (error == WSAEWOULDBLOCK) return true;
        if (error == WSAENETRESET) continue;  // TTL expired in transit
        if (error == WSAEINTR) continue;      // nothing was read: retry
        if (error != WSAEMSGSIZE) {
          events_.onReceiveError(mappedUdp(error));
          // A shortage of memory passes: the datagrams wait in the
          // kernel for the next peek, as they do on POSIX.
          return isPortUnreachable(error) || isTransient(error);
        }
        arrival.truncated = true;
        bytes = static_cast<DWORD>(kSlotSize);
      }
      if (!fromSockaddr(&from, arrival.from)) continue;
      events_.onDatagram(arena, bytes, arrival);
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
    if (faultableWinCall(fault::Call::sendmsg, SOCKET_ERROR, [&] {
          return ::WSASendTo(
              socket_, buffers, count, &sent, 0,
              length ? reinterpret_cast<sockaddr*>(&sa) : nullptr, length,
              nullptr, nullptr);
        }) == 0)
      return 0;
    return lastError();
  }

  // Starts the head of the queue as an overlapped send, unless one is
  // already with the kernel.
  void startQueuedSend() {
    if (queue_.empty() || send_->inFlight || socket_ == INVALID_SOCKET ||
        retryTimer_)
      return;
    SendRequest& request = queue_.front();
    SendOperation& operation = *send_;
    if (operation.carrying != &request) {
      // The queue made the request's one copy (own()); the request's parts
      // keep pointing at the same bytes, now held by the operation.
      operation.data.swap(request.storage);
      operation.carrying = &request;
    }
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
    if (faultableWinCall(
            fault::Call::sendmsg, SOCKET_ERROR,
            [&] {
              return ::WSASendTo(
                  socket_, &buffer, 1, nullptr, 0,
                  operation.destinationLength
                      ? reinterpret_cast<sockaddr*>(&operation.destination)
                      : nullptr,
                  operation.destinationLength, operation.prepare(), nullptr);
            }) == 0 ||
        lastError() == WSA_IO_PENDING) {
      backend_.started(operation);
      return;
    }
    operation.startError = lastError();
    backend_.completeLater(operation);
  }

  LoopCore& loop_;
  IocpBackend& backend_;
  SOCKET socket_ = INVALID_SOCKET;
  Family family_ = Family::IPv4;
  bool receiving_ = false;
  ReceiveOperation* receive_ = nullptr;
  SendOperation* send_ = nullptr;
  std::uint64_t retryTimer_ = 0;  ///< pending WSAENOBUFS retry
};

void WinUdpSocket::peekDone(ReceiveOperation& operation) {
  int error = operation.result(socket_);
  if (!receiving_ || socket_ == INVALID_SOCKET) return;
  bool again = true;
  if (error == 0 || error == WSAEMSGSIZE) {
    // Something is waiting (a peek of zero bytes reports a non-empty
    // datagram as "message too long").
    DGRAM_TRY {
      again = drain();
    }
    DGRAM_CATCH(...) {
      // A 'message' listener threw: datagrams are read one at a time, so
      // none is lost; the peek must go on for the next run.
      if (receiving_ && socket_ != INVALID_SOCKET && !operation.inFlight)
        postPeek();
      DGRAM_RETHROW;
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
  if (queue_.empty()) {
    operation.carrying = nullptr;
    return;
  }
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
  operation.carrying = nullptr;
  queue_.complete(events_, error == 0 ? SysError{} : mappedUdp(error));
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

// Built in the Socket's space when it fits, else on the heap (its
// overlapped operations make it larger than a POSIX socket).
PlatformSocketPtr IocpBackend::createSocket(LoopCore& loop,
                                            SocketEvents& events,
                                            PlatformSocketSpace space) {
  return makePlatformSocket<WinUdpSocket>(space, loop, *this, events);
}

}  // namespace dgram::detail
