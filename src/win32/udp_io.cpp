// Winsock UDP sockets under the IOCP backend: the PlatformSocket that the
// common Socket drives on Windows.
// Layer: platform (IOCP).
//
// IMPLEMENTATION NOTES
// - Receiving: libuv's zero-byte read, not several buffered receives.
//   One overlapped WSARecv of zero bytes with MSG_PEEK is kept in flight
//   per receiving socket. Its completion means "a datagram is waiting"
//   (it consumes nothing); the socket then reads with non-blocking
//   WSARecvMsg into the loop's shared receive arena until WSAEWOULDBLOCK
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
// - Reads go through WSARecvMsg (an extension function: its address is
//   fetched once per process with SIO_GET_EXTENSION_FUNCTION_POINTER;
//   WSARecvFrom if a provider has none), so that a datagram's control
//   messages come with it: where it arrived and its TOS byte
//   (udp_metadata.hpp), and with URO the segment size of a coalesced
//   buffer (udp_offload.hpp), which is then delivered as the datagrams it
//   holds. A socket that asked for none of them reads with no control
//   buffer.
// - The peek is posted only right after a read said WSAEWOULDBLOCK: when
//   receiving starts, after a batch that stopped at its bound, after an
//   error or a listener's exception, the socket queues a packet of its own
//   ("read now") instead, and reads when it is dequeued. So a peek never
//   meets a datagram already waiting (a peek that completes at once with
//   WSAEMSGSIZE is assumed to queue its packet; that now needs a datagram
//   to land between the two calls), and every peek error is followed by
//   a real read, which is what takes an ICMP error off the socket: a peek
//   leaves it queued, and re-peeking at once would return it forever.
// - Receive errors (udp_errors.hpp): one policy for the peek and the
//   reads. ICMP errors are reported on a connected socket only; a
//   cancelled receive is retried; only a dead handle stops receiving.
//   Anything else is reported and receiving goes on. An error that comes
//   back with no datagram read and no peek left pending in between is the
//   same failure: not reported again, and the socket reads again after
//   kErrorPause rather than at once, so a condition that persists (an
//   adapter gone) can neither storm 'error' events nor spin the loop.
// - Sending: WSASendMsg (so that a send can carry its source and a USO
//   segment size as control messages) on the non-blocking socket first;
//   UDP almost never
//   blocks, so a send normally completes inside send(). On WSAEWOULDBLOCK
//   the request is queued (in order, in the SendQueue of
//   common/platform_socket.hpp, which copies the payload once) and the
//   head of the queue goes out as an overlapped WSASendMsg from that copy,
//   handed over to the operation (a swap, not a second copy), so a socket
//   that closes meanwhile never leaves the kernel reading freed memory.
// - USO (SocketOptions::gso, where the probe at open says the system has
//   it): the sends of one loop turn are queued and leave at its end, runs
//   of equal ones (same destination and source, the last may be shorter)
//   as one overlapped WSASendMsg over a copy of the run with a
//   UDP_SEND_MSG_SIZE control message. A run refused with WSAEINVAL (or
//   WSAEOPNOTSUPP / WSAENOPROTOOPT) turns USO off for good and the same
//   datagrams go again one by one; any other error is every datagram of
//   the run's. Without USO, sends leave at once as before.
// - Closing: closesocket() cancels what is in flight. Operations still in
//   flight are orphaned (they free themselves when their cancelled packet
//   arrives); queued sends complete with ECANCELED before close() returns.
// - ICMP errors: Windows reports a port-unreachable ICMP as WSAECONNRESET
//   on the next receive, and on an unconnected socket that would break the
//   receive loop for a datagram sent to anyone. SIO_UDP_CONNRESET is off
//   for unconnected sockets (as Go does); it is on while the socket is
//   connected, where the error is reported as ECONNREFUSED, the code POSIX
//   gives (Node on Linux says "recvmsg ECONNREFUSED" there too). The
//   receive path does not rely on the ioctl (a layered provider may ignore
//   it): an unconnected socket ignores ICMP errors whatever arrives.
//   SIO_UDP_NETRESET (a TTL expired in transit as WSAENETRESET, on by
//   default) is off on every socket; such an error is ignored if it comes.
// - Sockets are created not inheritable (WSA_FLAG_NO_HANDLE_INHERIT), so a
//   child process started by another thread meanwhile cannot get one;
//   Windows 7 before SP1 refuses the flag (WSAEINVAL) and gets
//   SetHandleInformation afterwards, as adopted sockets do.
// - FILE_SKIP_SET_EVENT_ON_HANDLE: nobody waits on a socket handle, so the
//   kernel need not signal it on every completion.
// - A destination of 0.0.0.0 or :: is sent to the loopback address, as
//   libuv does on Windows (Windows refuses the any address; POSIX treats
//   it as "this host").
// - SO_REUSEADDR when reuseAddr is set, nothing otherwise (Node/libuv do
//   not set SO_EXCLUSIVEADDRUSE for UDP). reusePort: Windows has no
//   SO_REUSEPORT, so it fails with ENOTSUP.
#include <chrono>
#include <cstring>
#include <utility>
#include <vector>

#include "bsd/bsd_socket.hpp"
#include "bsd/sockaddr.hpp"
#include "common/loop_core.hpp"
#include "common/platform_socket.hpp"
#include "common/raise.hpp"
#include "common/segment_run.hpp"
#include "win32/control_messages.hpp"
#include "win32/error_map.hpp"
#include "win32/fault_call.hpp"
#include "win32/iocp.hpp"
#include "win32/udp_errors.hpp"
#include "win32/udp_metadata.hpp"
#include "win32/udp_offload.hpp"

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
// A receive error that persists (the same one again, nothing read in
// between) is retried after this pause rather than at once.
constexpr auto kErrorPause = std::chrono::milliseconds(10);
// Control message room: a read's metadata and URO segment size; a send's
// source and USO segment size.
constexpr std::size_t kReceiveControlSpace =
    metadata::kReceiveSpace + offload::kControlSpace;
constexpr std::size_t kSendControlSpace =
    metadata::kSendSpace + offload::kControlSpace;

int lastError() {
  return ::WSAGetLastError();
}
SysError mapped(int error) {
  return sysErrorFromWinsock(error);
}

// Switches one of the UDP error-reporting ioctls (SIO_UDP_CONNRESET,
// SIO_UDP_NETRESET). Best effort: wine refuses SIO_UDP_NETRESET, a
// layered provider may ignore either; the receive path does not depend on
// them (see the notes above).
void setUdpReporting(SOCKET socket, DWORD ioctl, bool on) {
  BOOL value = on ? TRUE : FALSE;
  DWORD ignored = 0;
  ::WSAIoctl(socket, ioctl, &value, sizeof value, nullptr, 0, &ignored, nullptr,
             nullptr);
}
void setConnReset(SOCKET socket, bool on) {
  setUdpReporting(socket, SIO_UDP_CONNRESET, on);
}

// Whether `socket` has a peer (an adopted socket may come connected).
bool hasPeer(SOCKET socket) {
  sockaddr_storage peer;
  int length = sizeof peer;
  return ::getpeername(socket, reinterpret_cast<sockaddr*>(&peer), &length) ==
         0;
}

// WSARecvMsg's address, fetched once for the process (the first socket
// that asks); null if the provider has none, and reads then go through
// WSARecvFrom without control messages.
LPFN_WSARECVMSG receiveMessageFunction(SOCKET socket) {
  static const LPFN_WSARECVMSG function = [socket] {
    LPFN_WSARECVMSG found = nullptr;
    GUID id = WSAID_WSARECVMSG;
    DWORD bytes = 0;
    if (::WSAIoctl(socket, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof id,
                   &found, sizeof found, &bytes, nullptr, nullptr) != 0)
      return LPFN_WSARECVMSG{nullptr};
    return found;
  }();
  return function;
}

// The fault seam's stand-in for a coalescing kernel (tests only): a
// segment size armed for fault::Call::coalescedInfo is added to the
// control data a read returned, as UDP_COALESCED_INFO.
void addArmedCoalescedInfo(WSAMSG& message, char* control,
                           std::size_t capacity) {
  int segment = fault::take(fault::Call::coalescedInfo);
  if (segment <= 0) return;
  std::size_t used = message.Control.buf ? message.Control.len : 0;
  used = WSA_CMSGHDR_ALIGN(used);
  if (used >= capacity) return;
  WSAMSG added{};
  ControlWriter writer(added, control + used, capacity - used);
  DWORD value = static_cast<DWORD>(segment);
  if (!writer.add(IPPROTO_UDP, UDP_COALESCED_INFO, &value, sizeof value))
    return;
  message.Control.buf = control;
  message.Control.len = static_cast<ULONG>(used + writer.used());
}

// Whether a refused segmented send of `datagrams` means "no USO here"
// rather than an error of those datagrams.
bool refusesSegmenting(int error, std::size_t datagrams) {
  return datagrams > 1 && (error == WSAEINVAL || error == WSAEOPNOTSUPP ||
                           error == WSAENOPROTOOPT);
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
  // A packet the socket queued by hand, with no call behind it (a receive
  // operation's "read now"): succeeded.
  bool handMade = false;

  void onComplete(DWORD bytes) override;

  /// The operation's outcome: 0 or a WSA error.
  int result(SOCKET socket) {
    if (handMade) {
      handMade = false;
      return 0;
    }
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
  /// Queued sends `data` holds: more than one for a USO run.
  std::size_t datagrams = 1;
  /// What WSASendMsg reads until the send completes.
  WSAMSG message{};
  WSABUF buffer{};
  alignas(WSACMSGHDR) char control[kSendControlSpace];

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
  ~WinUdpSocket() override { (void)close(); }

  SysError open(Family family, const OpenOptions& options) override {
    int domain = family == Family::IPv4 ? AF_INET : AF_INET6;
    auto create = [&](DWORD flags) {
      return faultableWinCall(fault::Call::socket, INVALID_SOCKET, [&] {
        return ::WSASocketW(domain, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0, flags);
      });
    };
    SOCKET socket = create(WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    // Windows 7 before SP1 does not know the flag (takeOver clears the
    // inheritance afterwards, as for an adopted socket).
    if (socket == INVALID_SOCKET && lastError() == WSAEINVAL)
      socket = create(WSA_FLAG_OVERLAPPED);
    if (socket == INVALID_SOCKET) return mapped(lastError());
    SysError err = bsd::applyOpenOptions(socket, family, options);
    if (!err) err = takeOver(socket);
    if (err) {
      ::closesocket(socket);
      return err;
    }
    family_ = family;
    enableFeatures(options);
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
    // One that comes connected reports ICMP errors as a connected one.
    if (hasPeer(socket)) {
      connected_ = true;
      setConnReset(socket, true);
    }
    return {};
  }

  SysError connect(const Endpoint& remote) override {
    if (SysError err = BsdSocket::connect(remote)) return err;
    connected_ = true;
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
    connected_ = false;
    setConnReset(socket_, false);
    return {};
  }

  // Older Windows builds (and wine) refuse IPV6_TCLASS as a socket
  // option with WSAENOPROTOOPT: the feature is missing, which Node's code
  // for that is ENOTSUP. IPv4's IP_TOS is accepted everywhere (though
  // without a QoS policy Windows may leave the byte off the wire).
  SysError setTOS(int tos) override {
    SysError err = BsdSocket::setTOS(tos);
    if (family_ == Family::IPv6 && err.is(Errc::kENOPROTOOPT))
      return sysError(Errc::kENOTSUP);
    return err;
  }

  // Reads first (on a packet of its own, from the loop's wait), then
  // peeks: see the notes on top.
  void startReceiving() override {
    receiving_ = true;
    if (socket_ != INVALID_SOCKET && !receive_->inFlight && !errorPause_)
      readSoon();
  }

  // Overlapped sends complete on the port: every send takes a request.
  void sendAtOnce(ByteView payload, const IpAddress& ip,
                  std::uint16_t port) override {
    events_.sendLater(payload, ip, port);
  }

  bool send(SendRequest& request, SysError& error) override {
    // With USO, the sends of a loop turn wait for its end, where runs of
    // equal ones leave together; otherwise a send leaves at once.
    bool collect = gso_ && loop_.inTurn();
    if (queue_.empty() && !collect) {
      int result = sendNow(request);
      if (result != WSAEWOULDBLOCK && result != WSAENOBUFS) {
        error = result == 0 ? SysError{} : udpErrorCode(result);
        return true;
      }
    }
    queue_.push(request);
    if (collect)
      flushAtTurnEnd();
    else
      startQueuedSend();
    return false;
  }

  KernelFeatures features() const noexcept override {
    bool open = socket_ != INVALID_SOCKET;
    return KernelFeatures{gso_ && open, gro_ && open, pktinfo_ && open,
                          tos_ && open};
  }

  // The destructor still has members to free (the operations' state):
  // false.
  bool close() override {
    if (flushScheduled_) {
      // Sends collected for the turn's end (USO) were issued before
      // close(): they leave now, as they would have without USO.
      loop_.cancelTurnEnd(this);
      flushScheduled_ = false;
      sendCollectedNow();
    }
    if (retryTimer_) loop_.timers().cancel(retryTimer_);
    retryTimer_ = 0;
    if (errorPause_) loop_.timers().cancel(errorPause_);
    errorPause_ = 0;
    if (socket_ == INVALID_SOCKET) return false;
    backend_.release(socket_);
    ::closesocket(socket_);  // cancels the operations in flight
    socket_ = INVALID_SOCKET;
    receiving_ = false;
    letGo(receive_);
    letGo(send_);
    // Whatever is still queued is cancelled, in order (the head may have
    // been with the kernel; its fate is unknown, as a close makes it).
    queue_.failAll(events_, sysError(Errc::kECANCELED));
    return false;
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
  // unconnected and no WSAENETRESET at all.
  //
  // The association comes first: it is what an adopted socket most likely
  // fails (one made without WSA_FLAG_OVERLAPPED, or already tied to
  // another completion port: EINVAL), and a refusal then leaves the
  // caller's socket as it was (blocking, inheritable). A port association
  // cannot be undone, so a socket that passes it and then fails
  // non-blocking mode (never seen but through the fault seam) stays tied
  // to this loop's port.
  SysError takeOver(SOCKET socket) {
    if (SysError err = backend_.associate(socket)) return err;
    u_long nonBlocking = 1;
    if (faultableWinCall(fault::Call::fcntl, SOCKET_ERROR, [&] {
          return ::ioctlsocket(socket, FIONBIO, &nonBlocking);
        }) != 0) {
      int error = lastError();
      backend_.release(socket);
      return mapped(error);
    }
    // Not inheriting is hygiene for child processes, not something this
    // process depends on: a refusal is not worth failing the socket for.
    (void)::SetHandleInformation(reinterpret_cast<HANDLE>(socket),
                                 HANDLE_FLAG_INHERIT, 0);
    // An optimisation only (see the notes on top): ignored if refused.
    (void)::SetFileCompletionNotificationModes(reinterpret_cast<HANDLE>(socket),
                                               FILE_SKIP_SET_EVENT_ON_HANDLE);
    setConnReset(socket, false);
    setUdpReporting(socket, SIO_UDP_NETRESET, false);
    connected_ = false;
    lastError_ = 0;
    gso_ = gro_ = pktinfo_ = tos_ = false;  // open() turns on what it asks
    if (!receive_) {
      receive_ = new ReceiveOperation;
      send_ = new SendOperation;
    }
    receive_->owner = this;
    send_->owner = this;
    socket_ = socket;
    return {};
  }

  // The features a new socket asked for, where the system has them (the
  // others stay off and features() says so). Metadata and URO need
  // WSARecvMsg's control messages.
  void enableFeatures(const OpenOptions& options) {
    bool messages = receiveMessageFunction(socket_) != nullptr;
    if (options.gso)
      gso_ = faultableProbe(fault::Call::offloadProbe,
                            [&] { return offload::canSegment(socket_); });
    if (options.gro && messages)
      gro_ = faultableProbe(fault::Call::coalesceOption,
                            [&] { return offload::enableCoalescing(socket_); });
    pktinfo_ = options.recvPktInfo && messages &&
               metadata::enablePktInfo(socket_, family_);
    tos_ = options.recvTos && messages && metadata::enableTos(socket_, family_);
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

  // How a batch of reads ended.
  enum class Drained {
    empty,       ///< WSAEWOULDBLOCK: nothing waiting, peek again
    bounded,     ///< kMaxReadsPerCompletion reads: more may wait
    failed,      ///< an error was reported: read again soon
    persisting,  ///< the error reported last came back: pause, then read
    stopped,     ///< not receiving any more (closed, stopped, dead handle)
  };

  // Queues the receive operation's packet by hand: the socket reads when
  // the loop dequeues it (this turn's wait, behind what is already there).
  void readSoon() {
    receive_->inFlight = true;
    receive_->prepare();
    receive_->handMade = true;
    backend_.completeLater(*receive_);
  }

  void postPeek() {
    static char none = 0;
    WSABUF buffer{0, &none};
    DWORD flags = MSG_PEEK;
    receive_->inFlight = true;
    int error = ::WSARecv(socket_, &buffer, 1, nullptr, &flags,
                          receive_->prepare(), nullptr) == 0
                    ? 0
                    : lastError();
    // A datagram that landed since the read said WSAEWOULDBLOCK makes the
    // peek "fail" at once with WSAEMSGSIZE (it does not fit in zero
    // bytes). That status is only a warning (STATUS_BUFFER_OVERFLOW), so
    // the port still gets a packet for it, as for a success: counting it as
    // started keeps one packet per operation.
    if (error == 0 || error == WSA_IO_PENDING || error == WSAEMSGSIZE) {
      // Pending: the socket had nothing, not even an error; what fails
      // next is a new failure.
      if (error == WSA_IO_PENDING) lastError_ = 0;
      backend_.started(*receive_);
      return;
    }
    receive_->startError = error;
    backend_.completeLater(*receive_);
  }

  enum class Failure { ignored, reported, stopped };

  // Reports a receive error as the policy says (udp_errors.hpp), and
  // remembers it: the same one again is not a new failure.
  Failure receiveFailed(int error) {
    lastError_ = error;
    switch (classifyReceiveError(error)) {
      case ReceiveFailure::cancelled:
      case ReceiveFailure::expired:
        return Failure::ignored;
      case ReceiveFailure::unreachable:
        if (!connected_) return Failure::ignored;
        break;
      case ReceiveFailure::deadHandle:
        // Every later call would fail the same way: stop, and say so.
        receiving_ = false;
        events_.onReceiveError(udpErrorCode(error));
        return Failure::stopped;
      case ReceiveFailure::transient:
        break;
    }
    events_.onReceiveError(udpErrorCode(error));
    return Failure::reported;
  }

  // Reads what is waiting, at most kMaxReadsPerCompletion datagrams.
  // `consuming`: the error the peek just completed with (0 if none); the
  // read that takes it off the socket returns it once more, which is not a
  // second failure.
  Drained drain(int consuming) {
    std::uint8_t* arena = loop_.receiveArena(kSlotSize);
    LPFN_WSARECVMSG receiveMessage = receiveMessageFunction(socket_);
    for (int i = 0; i < kMaxReadsPerCompletion; ++i) {
      if (!receiving_ || socket_ == INVALID_SOCKET) return Drained::stopped;
      sockaddr_storage from{};
      WSABUF buffer{static_cast<ULONG>(kSlotSize),
                    reinterpret_cast<char*>(arena)};
      alignas(WSACMSGHDR) char control[kReceiveControlSpace];
      WSAMSG message{};
      message.name = reinterpret_cast<sockaddr*>(&from);
      message.namelen = sizeof from;
      message.lpBuffers = &buffer;
      message.dwBufferCount = 1;
      if (wantsControl()) message.Control = WSABUF{sizeof control, control};
      DWORD bytes = 0;
      Arrival arrival;
      if (faultableWinCall(fault::Call::recvmmsg, SOCKET_ERROR, [&] {
            if (receiveMessage)
              return receiveMessage(socket_, &message, &bytes, nullptr,
                                    nullptr);
            DWORD flags = 0;
            return ::WSARecvFrom(socket_, &buffer, 1, &bytes, &flags,
                                 message.name, &message.namelen, nullptr,
                                 nullptr);
          }) != 0) {
        int error = lastError();
        if (error == WSAEWOULDBLOCK) return Drained::empty;
        if (error != WSAEMSGSIZE) {
          if (error == consuming) {
            consuming = 0;
            continue;
          }
          if (error == lastError_) return Drained::persisting;
          switch (receiveFailed(error)) {
            case Failure::ignored:
              continue;  // nothing was read: the next one
            case Failure::reported:
              return Drained::failed;
            case Failure::stopped:
              return Drained::stopped;
          }
        }
        arrival.truncated = true;
        bytes = static_cast<DWORD>(kSlotSize);
        message.Control.len = 0;  // not known to be filled in
      }
      lastError_ = 0;  // a datagram: whatever failed before is over
      if (!fromSockaddr(&from, arrival.from)) continue;
      std::size_t segment = 0;
      if (wantsControl()) {
        if (gro_) addArmedCoalescedInfo(message, control, sizeof control);
        readControl(message, arrival, segment);
      }
      deliver(arena, bytes, arrival, segment);
    }
    return Drained::bounded;
  }

  // Whether reads ask for control messages.
  bool wantsControl() const noexcept { return gro_ || pktinfo_ || tos_; }

  // Reads what a read's control messages say into `arrival`, and with URO
  // the segment size of a coalesced buffer into `segment`.
  void readControl(const WSAMSG& message, Arrival& arrival,
                   std::size_t& segment) const {
    forEachControlMessage(
        message.Control.buf, message.Control.len,
        [&](int level, int type, const unsigned char* data, std::size_t size) {
          if ((pktinfo_ || tos_) &&
              metadata::read(family_, level, type, data, size, arrival))
            return;
          if (gro_) offload::readSegmentSize(level, type, data, size, segment);
        });
    // Only what was asked for (a dual-stack socket may be sent both).
    if (!pktinfo_) {
      arrival.hasLocal = false;
      arrival.local = IpAddress{};
      arrival.interfaceIndex = 0;
    }
    if (!tos_) arrival.tos = -1;
  }

  // Hands a read's datagram to the Socket, or with URO the datagrams
  // coalesced into it (`segment` bytes each, the last may be shorter),
  // each with the same arrival. A listener that throws: the rest of the
  // buffer is held for the next turn (the arena is shared), then the
  // exception goes on.
  void deliver(const std::uint8_t* data, std::size_t size,
               const Arrival& arrival, std::size_t segment) {
    if (segment == 0 || segment >= size) {
      events_.onDatagram(data, size, arrival);
      return;
    }
    std::size_t done = 0;
    auto next = [&] {
      std::size_t piece = size - done < segment ? size - done : segment;
      const std::uint8_t* at = data + done;
      done += piece;
      return std::pair<const std::uint8_t*, std::size_t>{at, piece};
    };
    DGRAM_TRY {
      while (done < size) {
        auto piece = next();
        events_.onDatagram(piece.first, piece.second, arrival);
      }
    }
    DGRAM_CATCH(...) {
      while (done < size) {
        auto piece = next();
        events_.holdDatagram(piece.first, piece.second, arrival);
      }
      DGRAM_RETHROW;
    }
  }

  // After a batch of reads: peek only if the last read found nothing.
  void receiveNext(Drained drained) {
    if (!receiving_ || socket_ == INVALID_SOCKET || receive_->inFlight) return;
    switch (drained) {
      case Drained::empty:
        postPeek();
        break;
      case Drained::bounded:
      case Drained::failed:
        readSoon();
        break;
      case Drained::persisting:
        pauseReceiving();
        break;
      case Drained::stopped:
        break;
    }
  }

  // The same error again: read again after kErrorPause, not at once.
  void pauseReceiving() {
    errorPause_ = loop_.timers().add(
        std::chrono::steady_clock::now() + kErrorPause,
        [this] {
          // Cancelled by close(), so `this` is alive here.
          errorPause_ = 0;
          if (receiving_ && socket_ != INVALID_SOCKET && !receive_->inFlight)
            readSoon();
        },
        false);  // a bound socket keeps the loop alive already
  }

  // --- sending --------------------------------------------------------------

  // Returns 0, WSAEWOULDBLOCK or another WSA error.
  int sendNow(SendRequest& request) {
    WSABUF buffers[kMaxParts];
    if (request.partCount() > kMaxParts) request.own();
    DWORD count = static_cast<DWORD>(request.partCount());
    const ByteView* parts = request.parts();
    for (DWORD i = 0; i < count; ++i) {
      buffers[i].buf =
          reinterpret_cast<char*>(const_cast<std::uint8_t*>(parts[i].data()));
      buffers[i].len = static_cast<ULONG>(parts[i].size());
    }
    if (count == 1 && !buffers[0].buf) {
      // A zero-length datagram (an empty list of pieces among them) still
      // gets a buffer that points somewhere.
      static char none = 0;
      buffers[0].buf = &none;
    }
    sockaddr_storage sa;
    WSAMSG message{};
    message.lpBuffers = buffers;
    message.dwBufferCount = count;
    if (request.hasDestination) {
      Endpoint destination = request.destination;
      rewriteAnyDestination(destination);
      message.namelen = toSockaddr(destination, sa);
      message.name = reinterpret_cast<sockaddr*>(&sa);
    }
    alignas(WSACMSGHDR) char control[metadata::kSendSpace];
    ControlWriter controls(message, control, sizeof control);
    metadata::setSource(controls, family_, request);
    DWORD sent = 0;
    if (faultableWinCall(fault::Call::sendmsg, SOCKET_ERROR, [&] {
          return ::WSASendMsg(socket_, &message, 0, &sent, nullptr, nullptr);
        }) == 0)
      return 0;
    return lastError();
  }

  // With USO, the turn's sends leave at its end (see the notes on top).
  void flushAtTurnEnd() {
    if (flushScheduled_) return;
    loop_.atTurnEnd({[](void* self) noexcept {
                       auto* socket = static_cast<WinUdpSocket*>(self);
                       socket->flushScheduled_ = false;
                       socket->startQueuedSend();
                     },
                     this});
    flushScheduled_ = true;
  }

  // Sends what the turn collected one by one, now (the socket is
  // closing); stops where the kernel pushes back, or behind a send
  // already with the kernel (the rest is cancelled by close()).
  void sendCollectedNow() {
    while (!queue_.empty() && !send_->inFlight && socket_ != INVALID_SOCKET &&
           !retryTimer_) {
      int result = sendNow(queue_.front());
      if (result == WSAEWOULDBLOCK || result == WSAENOBUFS) return;
      completeSends(1, result == 0 ? SysError{} : udpErrorCode(result));
    }
  }

  // How many queued sends, from the head on, leave in the next call: one
  // without USO.
  std::size_t runLength() const {
    const SendRequest* last = &queue_.front();
    const std::size_t segment = last->size;
    std::size_t datagrams = 1;
    std::size_t bytes = last->size;
    if (!gso_) return 1;
    while (last->next && joinsSegmentRun(*last, *last->next, segment, datagrams,
                                         bytes, offload::kLimits)) {
      last = last->next;
      ++datagrams;
      bytes += last->size;
    }
    return datagrams;
  }

  // Starts the head of the queue (with USO, the run it begins) as an
  // overlapped send, unless one is already with the kernel.
  void startQueuedSend() {
    if (queue_.empty() || send_->inFlight || socket_ == INVALID_SOCKET ||
        retryTimer_ || completing_)
      return;
    SendRequest& request = queue_.front();
    SendOperation& operation = *send_;
    if (operation.carrying != &request) {
      // Not a retry: the operation takes the payload over.
      operation.datagrams = runLength();
      if (operation.datagrams == 1) {
        // The queue made the request's one copy (own()); the request's
        // payload keeps pointing at the same bytes, now held by the
        // operation.
        operation.data.swap(request.storage);
      } else {
        // A run: one buffer for all of it (the requests keep theirs).
        operation.data.clear();
        const SendRequest* each = &request;
        for (std::size_t i = 0; i < operation.datagrams; ++i, each = each->next)
          operation.data.insert(operation.data.end(), each->payload.data(),
                                each->payload.data() + each->size);
      }
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
    operation.buffer =
        WSABUF{static_cast<ULONG>(operation.data.size()),
               operation.data.empty()
                   ? &none
                   : reinterpret_cast<char*>(operation.data.data())};
    operation.message = WSAMSG{};
    operation.message.lpBuffers = &operation.buffer;
    operation.message.dwBufferCount = 1;
    if (operation.destinationLength) {
      operation.message.name =
          reinterpret_cast<sockaddr*>(&operation.destination);
      operation.message.namelen = operation.destinationLength;
    }
    ControlWriter controls(operation.message, operation.control,
                           sizeof operation.control);
    // A run shares its source: the first datagram's says it for all.
    metadata::setSource(controls, family_, request);
    if (operation.datagrams > 1)
      offload::setSegmentSize(controls,
                              static_cast<std::uint32_t>(request.size));
    operation.inFlight = true;
    if (faultableWinCall(fault::Call::sendmsg, SOCKET_ERROR,
                         [&] {
                           return ::WSASendMsg(socket_, &operation.message, 0,
                                               nullptr, operation.prepare(),
                                               nullptr);
                         }) == 0 ||
        lastError() == WSA_IO_PENDING) {
      backend_.started(operation);
      return;
    }
    operation.startError = lastError();
    backend_.completeLater(operation);
  }

  // Completes the `count` oldest queued sends with `error`. A callback may
  // close the socket (the queue is then empty) or send again: a new send
  // waits until the run is done (completing_).
  void completeSends(std::size_t count, SysError error) {
    completing_ = true;
    for (std::size_t i = 0; i < count && !queue_.empty(); ++i) {
      DGRAM_TRY {
        queue_.complete(events_, error);
      }
      DGRAM_CATCH(...) {
        completing_ = false;
        DGRAM_RETHROW;
      }
    }
    completing_ = false;
  }

  LoopCore& loop_;
  IocpBackend& backend_;
  SOCKET socket_ = INVALID_SOCKET;
  Family family_ = Family::IPv4;
  bool receiving_ = false;
  bool connected_ = false;  ///< has a peer: ICMP errors are reported
  ReceiveOperation* receive_ = nullptr;
  SendOperation* send_ = nullptr;
  std::uint64_t retryTimer_ = 0;  ///< pending WSAENOBUFS retry
  std::uint64_t errorPause_ = 0;  ///< pending read after a persisting error
  bool gso_ = false;              ///< USO probed and not refused since
  bool gro_ = false;             ///< URO on: reads may hold coalesced datagrams
  bool pktinfo_ = false;         ///< reads say where datagrams arrived
  bool tos_ = false;             ///< reads carry the TOS / traffic class byte
  bool flushScheduled_ = false;  ///< the turn's end starts the queue
  bool completing_ = false;      ///< completing a run (completeSends)
  /// The receive error reported last, until a read gets a datagram or
  /// WSAEWOULDBLOCK: the same error again is not a new one.
  int lastError_ = 0;
};

void WinUdpSocket::peekDone(ReceiveOperation& operation) {
  // The peek's status, or 0 for a "read now" packet (see readSoon).
  bool peeked = !operation.handMade;
  int error = operation.result(socket_);
  if (peeked) error = faultableStatus(fault::Call::receivePeek, error);
  if (!receiving_ || socket_ == INVALID_SOCKET) return;
  DGRAM_TRY {
    // WSAEMSGSIZE: a datagram is waiting (it does not fit in zero bytes).
    int consuming = 0;
    bool repeated = false;
    if (error != 0 && error != WSAEMSGSIZE) {
      // A peek leaves an ICMP error on the socket: the read below takes it
      // off. The same error as last time, with no datagram and no pending
      // peek in between, is the same failure: said once.
      repeated = error == lastError_;
      if (!repeated && receiveFailed(error) == Failure::stopped) return;
      consuming = error;
    }
    Drained drained = drain(consuming);
    // A peek that keeps failing at once must not be posted again at once.
    if (repeated && drained == Drained::empty) drained = Drained::persisting;
    receiveNext(drained);
  }
  DGRAM_CATCH(...) {
    // A listener threw. Datagrams are read one at a time, so none is lost;
    // the socket reads again on the next run (more are likely waiting).
    if (receiving_ && socket_ != INVALID_SOCKET && !operation.inFlight &&
        !errorPause_)
      readSoon();
    DGRAM_RETHROW;
  }
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
  std::size_t datagrams = operation.datagrams;
  operation.carrying = nullptr;
  if (error != 0 && refusesSegmenting(error, datagrams)) {
    // No USO here after all: the same datagrams go again, one by one.
    gso_ = false;
    startQueuedSend();
    return;
  }
  completeSends(datagrams, error == 0 ? SysError{} : udpErrorCode(error));
  // A callback may have closed the socket; then the queue is empty.
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
