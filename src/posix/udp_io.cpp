// POSIX UDP sockets under a readiness poller: the PlatformSocket that the
// common Socket drives. Receives in batches (recvmmsg where the system has
// it) into the loop's arena. Sends issued during a loop turn (from a
// listener, a callback, a timer) are queued and leave together at the end
// of the turn, or as soon as a batch is full, in one sendmmsg where the
// system has it; a send issued outside the loop leaves at once. Either way
// they leave in call order, and wait for writability when the kernel's
// buffer is full.
// Layer: platform (readiness backends).
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#ifdef DGRAM_HAVE_EPOLL
#include <sys/epoll.h>
#endif
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <type_traits>

#include "bsd/bsd_socket.hpp"
#include "bsd/sockaddr.hpp"
#include "common/compiler.hpp"
#include "common/loop_core.hpp"
#include "common/platform_socket.hpp"
#include "common/platform_socket_space.hpp"
#include "common/raise.hpp"
#include "common/receive_window.hpp"
#include "common/segment_run.hpp"
#include "posix/errno_map.hpp"
#include "posix/fault_call.hpp"
#include "posix/poller.hpp"
#include "posix/receive_pace.hpp"
#include "posix/udp_metadata.hpp"
#include "posix/udp_offload.hpp"

namespace dgram::detail {

// The two poller calls of a socket's usual life, registering at bind and
// unregistering at close, defined here where their one caller each is, so
// that on epoll they are the system call itself, inline (no virtual call
// and no frame between the socket and the kernel). The other backends,
// and epoll in the middle of a batch, take the virtual path.

inline void Poller::stopWatching(int fd, Watcher* watcher) {
#ifdef DGRAM_HAVE_EPOLL
  if (count_ == 0) {  // the epoll backend, between batches
    leaveEpollSet(fd, watcher);
    return;
  }
#endif
  stopWatchingAny(fd, watcher);
}

inline int Poller::registerNewReadable(int fd, Watcher* watcher) {
#ifdef DGRAM_HAVE_EPOLL
  if (epfd_ >= 0) {
    // Added, never modified: no interest to merge, no earlier watcher
    // whose events to void, no table entry (see stopWatching). The event
    // carries the watcher, as EpollPoller's do.
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = watcher;
    auto add = [&] { return ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &event); };
    return faultableCall(fault::Call::pollerCtl, add) != 0 ? errno : 0;
  }
#endif  // DGRAM_HAVE_EPOLL
  return watch(fd, kReadable, watcher);
}

namespace {

// Calls per readiness event, of kReceiveBatch datagrams each
// (posix/receive_headers.hpp): enough to amortise the syscalls under a
// flood, bounded so one busy socket cannot starve the others (512
// datagrams per event; libuv uses the same kind of bound).
constexpr int kMaxBatchesPerEvent = 8;
// From this size on, a datagram is not batched behind the turn's first
// send (see leavesAtOnce). Measured with the bench's send test
// (window 256, CPU per datagram): at 1200 bytes batching costs less, from
// 2 to 4 KiB the two cost the same, at 8 KiB leaving at once costs a
// quarter less (the queued copy is an allocation there: the request pool
// keeps copies of up to 2 KiB for certain).
constexpr std::size_t kLargeDatagram = 2049;
constexpr std::size_t kMaxParts = 64;
// Datagrams handed to the kernel per sendmmsg: a full batch leaves before
// the turn ends. Large enough to amortise the call; small enough that the
// message headers stay on the stack.
constexpr std::size_t kSendBatch = 64;
// Datagrams per sendmmsg when GSO joins runs of them into one message.
// (Unused where the system has no sendmmsg.)
[[maybe_unused]] constexpr std::size_t kMaxDatagramsPerCall = 256;
// A read interrupted by a signal is retried at once, this many times at
// most; then the batch ends and the next readiness event retries.
constexpr int kMaxInterrupts = 8;
// T itself, where a template does not deduce it (std::type_identity).
template <class T>
struct Same {
  using type = T;
};
// ENOBUFS (an interface queue is full) is waited out like EAGAIN, but the
// socket may poll writable all along (BSD; Linux with a full qdisc), so
// waiting for writability would spin: it is retried after a pause.
constexpr auto kNoBuffersPause = std::chrono::milliseconds(1);

SysError lastError() {
  return sysErrorFromErrno(errno);
}

// A failed sendmsg/sendmmsg's errno, with EWOULDBLOCK folded into EAGAIN
// (they differ on some systems) so callers test one code.
SysError sendFailure() {
  return sysErrorFromErrno(errno == EWOULDBLOCK ? EAGAIN : errno);
}

// UDP never raises SIGPIPE, but where the flag exists it costs nothing.
#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_NOSIGNAL;
#else
constexpr int kSendFlags = 0;
#endif  // MSG_NOSIGNAL

// A blocking socket would stall the whole loop: any failure here is an
// error for the caller. Returns 0 or the errno.
int makeNonBlocking(int fd) {
  int flags =
      faultableCall(fault::Call::fcntl, [&] { return ::fcntl(fd, F_GETFL); });
  if (flags < 0) return errno;
  if (faultableCall(fault::Call::fcntl, [&] {
        return ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
      }) != 0)
    return errno;
  if (faultableCall(fault::Call::fcntl,
                    [&] { return ::fcntl(fd, F_SETFD, FD_CLOEXEC); }) != 0)
    return errno;
  return 0;
}

// A non-blocking, close-on-exec datagram socket, atomically where the
// system allows it (Linux, BSDs), else in two steps (macOS).
int openDatagramSocket(int domain) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
  return faultableCall(fault::Call::socket, [&] {
    return ::socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  });
#else
  int fd = faultableCall(fault::Call::socket,
                         [&] { return ::socket(domain, SOCK_DGRAM, 0); });
  if (fd < 0) return fd;
  if (int error = makeNonBlocking(fd)) {
    ::close(fd);
    errno = error;
    return -1;
  }
  return fd;
#endif  // SOCK_NONBLOCK && SOCK_CLOEXEC
}

// A datagram socket of `family` with createSocket's open options set
// (address and port reuse, IPV6_V6ONLY; `options` nullptr for none): its
// descriptor, or -1 with `error` set (nothing left open). Inline: the
// usual bind's call (no options) tests none.
DGRAM_ALWAYS_INLINE int openConfigured(Family family,
                                       const OpenOptions* options,
                                       SysError& error) {
  int fd = openDatagramSocket(family == Family::IPv4 ? AF_INET : AF_INET6);
  if (fd < 0) {
    error = lastError();
    return -1;
  }
  // An IPv4 socket without options (most) has none to set (IPv6 ones
  // always set IPV6_V6ONLY: the system's default varies).
  if (options || family != Family::IPv4) {
    static constexpr OpenOptions kNone{};
    error = bsd::applyOpenOptions(fd, family, options ? *options : kNone);
    if (error) {
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

class PosixUdpSocket final : public BsdSocket, private Watcher {
 public:
  explicit PosixUdpSocket(SocketEvents& events)
      : PosixUdpSocket(events, -1, Family::IPv4, false) {}
  // A socket whose descriptor `fd`, of `family`, is open and bound already
  // (Poller::createBound), about to start receiving: it counts as watched
  // for reading from the start (watchOpened undoes that if the poller
  // refuses), so that the flags' word is written once.
  PosixUdpSocket(SocketEvents& events, int fd, Family family)
      : PosixUdpSocket(events, fd, family, true) {
    watched_ = kReadable;
  }
  ~PosixUdpSocket() override {
    // Usually closed already (SocketImpl::closeNow): nothing left to do.
    if (fd_ >= 0 || flushScheduled_ || retryTimer_) closeLate();
  }
  DGRAM_NOINLINE void closeLate() { (void)close(); }

  SysError open(Family family, const OpenOptions& options) override {
    return openWith(poller(), family, &options);
  }

  // open() with `options`, nullptr for none set (most sockets).
  SysError openWith(Poller& poller, Family family, const OpenOptions* options) {
    SysError error;
    int fd = openConfigured(family, options, error);
    if (fd < 0) return error;
    // A new socket has every feature off (the constructor's): most are
    // opened without asking for any.
    if (options) enableFeatures(fd, family, *options);
    poller.claimNew(fd);
    fd_ = fd;
    family_ = static_cast<std::uint8_t>(family);
    return {};
  }

  // startReceiving() for a socket just built receiving (the usual bind,
  // Poller::createBound): nothing was watched, nothing waits to be sent.
  // (The constructor counted it as watched already.)
  void watchOpened(Poller& poller) {
    if (int error = poller.registerNewReadable(fd_, this)) {
      watched_ = 0;
      registrationFailed(kReadable, sysErrorFromErrno(error));
    }
  }

  DGRAM_NOINLINE void enableFeatures(int fd, Family family,
                                     const OpenOptions& options) {
    if (!(options.gso || options.gro || options.recvPktInfo || options.recvTos))
      return;
    // Features the kernel lacks are simply not used (features() says so).
    gso_ = options.gso && offload::canSegment(fd);
    gro_ = options.gro && offload::enableCoalescing(fd);
    pktinfo_ = options.recvPktInfo && metadata::enablePktInfo(fd, family);
    tos_ = options.recvTos && metadata::enableTos(fd, family);
    control_ = gro_ || pktinfo_ || tos_;
  }

  SysError adopt(std::intptr_t handle, Family& family,
                 const char*& otherType) override {
    int fd = static_cast<int>(handle);
    otherType = nullptr;
    struct stat info {};
    if (::fstat(fd, &info) != 0) return lastError();
    if (!S_ISSOCK(info.st_mode)) {
      otherType = S_ISFIFO(info.st_mode) ? "PIPE" : "FILE";
      return {};
    }
    int type = 0;
    socklen_t length = sizeof type;
    sockaddr_storage local{};
    socklen_t localLength = sizeof local;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLength) !=
            0)
      return lastError();
    bool inet = local.ss_family == AF_INET || local.ss_family == AF_INET6;
    if (type != SOCK_DGRAM || !inet) {
      otherType = type == SOCK_STREAM && inet  ? "TCP"
                  : local.ss_family == AF_UNIX ? "PIPE"
                                               : "UNKNOWN";
      return {};
    }
    if (!poller().claim(fd)) return sysErrorFromErrno(EEXIST);
    if (int error = makeNonBlocking(fd)) {
      poller().release(fd);  // not adopted: the caller still owns it
      return sysErrorFromErrno(error);
    }
    fd_ = fd;
    family = local.ss_family == AF_INET ? Family::IPv4 : Family::IPv6;
    family_ = static_cast<std::uint8_t>(family);
    return {};
  }

  SysError disconnect() override {
    // Connecting to AF_UNSPEC dissolves the association. Some systems
    // answer EAFNOSUPPORT while still doing it; that is success.
    sockaddr_storage sa{};
    sa.ss_family = AF_UNSPEC;
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 &&
        errno != EAFNOSUPPORT)
      return lastError();
    return {};
  }

  void startReceiving() override {
    receiving_ = true;
    updateInterest();
  }

  bool send(SendRequest& request, SysError& error) override {
    if (request.hasSource && !metadata::canChooseSource()) {
      error = sysError(Errc::kENOTSUP);
      return true;
    }
    if (queue_.empty()) return sendFirst(request, error);
    queue_.push(request);
    if (!waitingToSend()) {  // else it leaves with the queue
      if (queue_.count() >= kSendBatch) {
        flushQueue();  // a full batch does not wait for the turn's end
        return false;
      }
      flushAtTurnEnd();
    }
    keepQueueOpen();
    return false;
  }

  // After a push that waits (for the turn's end, or for the kernel): the
  // next sends would only join the queue, so the Socket may push them
  // itself (SendQueue::joinIfOpen), up to the one that fills the batch,
  // which comes here and sends it. A send leaving the queue closes the
  // places again (SendQueue::complete and completeSent), so they are open
  // only while this holds.
  void keepQueueOpen() noexcept {
    std::size_t count = queue_.count();
    if (count != 0 && count < kSendBatch - 1 &&
        (flushScheduled_ || waitingToSend()))
      queue_.open(static_cast<std::uint32_t>(kSendBatch - 1 - count));
  }

  void sendAtOnce(ByteView payload, const IpAddress& ip,
                  std::uint16_t port) override {
    if (!leavesAtOnce(payload.size()))
      return events_.sendLater(payload, ip, port);
    if (!sentTo(payload, ip, port)) sendAtOnceFailed(payload, ip, port);
  }

  // One piece, a destination, no source: one sendto, without a msghdr,
  // through the fault seam. Whether the kernel took it; if not, errno
  // says why. (Not retried here on EINTR: a retry in the usual path keeps
  // every argument of the call alive across it, in registers saved and
  // restored on every send.)
  DGRAM_ALWAYS_INLINE bool sentTo(ByteView payload, const IpAddress& ip,
                                  std::uint16_t port) {
    sockaddr_storage sa;
    bsd::AddressLength length = toSockaddr(ip, port, sa);
    return faultableCall(fault::Call::sendmsg, [&] {
             return ::sendto(fd_, payload.data(), payload.size(), kSendFlags,
                             reinterpret_cast<const sockaddr*>(&sa), length);
           }) >= 0;
  }

  // The kernel refused it: sent again at once if a signal interrupted it,
  // else dropped, unless it said "not now".
  DGRAM_NOINLINE void sendAtOnceFailed(ByteView payload, const IpAddress& ip,
                                       std::uint16_t port) {
    while (errno == EINTR)
      if (sentTo(payload, ip, port)) return;
    if (waitsAfter(sendFailure())) events_.sendLater(payload, ip, port);
  }

  // ENOBUFS and EAGAIN say "not now": the socket waits (an ENOBUFS pause,
  // or writability), and the datagram with it. Any other result is final.
  bool waitsAfter(const SysError& error) {
    if (error.is(Errc::kENOBUFS))
      pauseForBuffers();
    else if (error.is(Errc::kEAGAIN))
      blocked_ = true;
    else
      return false;
    return true;
  }

  // Whether a send of `size` bytes leaves now rather than at the turn's
  // end: nothing is queued or waiting ahead of it, and inside a turn it
  // has no segmented run to join and no refused read registration for the
  // turn-end flush to retry, and it is the socket's first of the turn (the
  // turn's later sends batch behind it) or large. A large one batched
  // would save a system call but cost a copy of its payload (a queued
  // send owns its bytes), which at that size costs as much, or more.
  // Outside the loop nothing would flush a batch until the program runs
  // the loop again.
  bool leavesAtOnce(std::size_t size) noexcept {
    if (!queue_.empty() || waitingToSend()) return false;
    if (!loop().inTurn()) return true;
    if (gso_ || (receiving_ && !(watched_ & kReadable))) return false;
    return size >= kLargeDatagram || loop().firstSendOfTurn(this);
  }

  // Nothing is queued: the datagram leaves now if it may, else it starts
  // the queue, which waits for the turn's end or for writability.
  DGRAM_NOINLINE bool sendFirst(SendRequest& request, SysError& error) {
    if (leavesAtOnce(request.size)) {
      error = trySend(request);
      if (!waitsAfter(error)) return true;
      error = {};
    }
    queue_.push(request);
    if (waitingToSend())
      updateInterest();  // blocked with nothing queued until now: watch
    else
      flushAtTurnEnd();
    keepQueueOpen();
    return false;
  }

  // Leaves the destructor nothing to do (fd_ < 0, no flush or retry
  // scheduled; every member is trivially destructible): true.
  static_assert(std::is_trivially_destructible_v<SendQueue>,
                "close() says a closed socket needs no destructor");
  bool close() override {
    if (flushScheduled_ || retryTimer_) stopSending();
    if (fd_ < 0) return true;
    // The claim goes before the unregistration, so that nothing but
    // `this` needs keeping across its system call (one register saved).
    Poller& poller = this->poller();
    poller.release(fd_);
    if (watched_) poller.stopWatching(fd_, this);
    watched_ = 0;
    ::close(fd_);
    fd_ = -1;
    receiving_ = false;
    blocked_ = false;
    if (!queue_.empty()) cancelQueued();
    return true;
  }

  // close()'s part for a socket with sends the kernel never took (out of
  // line: the usual close then saves and restores two registers, not six).
  DGRAM_NOINLINE void cancelQueued() {
    // They are cancelled, in order.
    queue_.failAll(events_, sysError(Errc::kECANCELED));
  }

  // close()'s part for a socket with sends waiting (few are closed so).
  DGRAM_NOINLINE void stopSending() {
    if (flushScheduled_) {
      // Sends waiting for the end of the turn were issued before close():
      // they leave now, as they would have had they left at once (a bound
      // socket's send reaches the kernel before Node's close() returns).
      loop().cancelTurnEnd(this);
      flushScheduled_ = false;
      if (fd_ >= 0 && !waitingToSend()) flushQueue();
    }
    if (retryTimer_) loop().timers().cancel(retryTimer_);
    retryTimer_ = 0;
  }

  bool isOpen() const noexcept override { return fd_ >= 0; }

  KernelFeatures features() const noexcept override {
    bool open = fd_ >= 0;
    return KernelFeatures{gso_ && open, gro_ && open, pktinfo_ && open,
                          tos_ && open};
  }

 private:
  bsd::Handle handle() const noexcept override { return fd_; }
  Family socketFamily() const noexcept override {
    return static_cast<Family>(family_);
  }

  SysError trySend(SendRequest& request) {
    if (request.partCount() > kMaxParts) {
      // More pieces than one sendmsg takes here: send the owned copy.
      request.own();
    }
    return sendMessage(request.parts(), request.partCount(),
                       request.hasDestination ? &request.destination : nullptr,
                       request.hasSource ? &request : nullptr);
  }

  // One sendmsg: the payload's pieces (at most kMaxParts), to `to` (none
  // on a connected socket), from the source `from` chooses (if any).
  SysError sendMessage(const ByteView* parts, std::size_t count,
                       const Endpoint* to, const SendRequest* from) {
    iovec iov[kMaxParts];
    if (count == 1) {
      // The usual datagram, one piece (every queued one is: it owns its
      // copy): no loop.
      iov[0].iov_base = const_cast<std::uint8_t*>(parts->data());
      iov[0].iov_len = parts->size();
    } else {
      for (std::size_t i = 0; i < count; ++i) {
        iov[i].iov_base = const_cast<std::uint8_t*>(parts[i].data());
        iov[i].iov_len = parts[i].size();
      }
    }
    sockaddr_storage sa;
    msghdr message{};
    if (to) {
      message.msg_name = &sa;
      message.msg_namelen = toSockaddr(*to, sa);
    }
    message.msg_iov = iov;
    message.msg_iovlen = count;
    alignas(cmsghdr) unsigned char control[metadata::kSendSpace];
    if (from) {
      ControlWriter controls(message, control, sizeof control);
      metadata::setSource(controls, socketFamily(), *from);
    }
    if (sentOne([&] { return ::sendmsg(fd_, &message, kSendFlags); }))
      return {};
    return sendFailure();
  }

  // One datagram's system call (`call`: sendto or sendmsg) through the
  // fault seam, made again at once when a signal interrupts it. Whether
  // the kernel took it; if not, errno says why.
  template <typename Call>
  static bool sentOne(Call&& call) {
    for (;;) {
      if (faultableCall(fault::Call::sendmsg, call) >= 0) return true;
      if (errno != EINTR) return false;
    }
  }

  void updateInterest() {
    if (fd_ < 0) return;
    bool waitWritable = blocked_ && !queue_.empty() && retryTimer_ == 0;
    unsigned want =
        (receiving_ ? kReadable : 0u) | (waitWritable ? kWritable : 0u);
    if (want == watched_) return;
    if (int error = poller().rewatch(fd_, want, watched_, this)) {
      registrationFailed(want, sysErrorFromErrno(error));
      return;
    }
    watched_ = want;
  }

  // The poller refused a change (ENOMEM from epoll_ctl or kevent), so what
  // it watches is as before. Never silence: sends that wait for
  // writability could never go out, so they fail with the error; a socket
  // that could not start receiving says so with an 'error'. A later
  // interest change tries again.
  void registrationFailed(unsigned want, SysError error) {
    bool addedRead = (want & kReadable) && !(watched_ & kReadable);
    bool addedWrite = (want & kWritable) && !(watched_ & kWritable);
    if (addedWrite) {
      blocked_ = false;
      queue_.failAll(events_, error);
    }
    if (addedRead && fd_ >= 0)
      events_.onSystemError(error, poller().controlCall());
  }

  void onReady(unsigned events) override {
    if (events == kReadable) {  // the usual event
      if (receiving_ && fd_ >= 0) receiveReadable();
      return;
    }
    onOtherEvents(events);
  }

  DGRAM_NOINLINE void onOtherEvents(unsigned events) {
    if ((events & (kReadable | kErrorEvent)) && receiving_ && fd_ >= 0)
      receiveReadable();
    if ((events & kErrorEvent) && !receiving_ && fd_ >= 0) clearError();
    if ((events & (kWritable | kErrorEvent)) && fd_ >= 0) flushQueue();
  }

  // A pending socket error (ICMP) that nobody reads would keep a
  // level-triggered poller busy: consume it.
  void clearError() {
    int err = 0;
    socklen_t length = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &length);
  }

  // Retries the queue after kNoBuffersPause instead of at writability.
  DGRAM_NOINLINE void pauseForBuffers() {
    if (retryTimer_) return;
    retryTimer_ = loop().timers().add(
        std::chrono::steady_clock::now() + kNoBuffersPause,
        [this] {
          // Cancelled by close(), so `this` is alive here.
          retryTimer_ = 0;
          flushQueue();
        },
        false);  // the queued requests keep the loop alive
  }

  // The queue waits for writability or for an ENOBUFS pause to end: a new
  // send joins it and leaves with it.
  bool waitingToSend() const noexcept { return retryTimer_ != 0 || blocked_; }

  void flushAtTurnEnd() {
    if (flushScheduled_) return;
    loop().atTurnEnd({[](void* self) noexcept {
                        static_cast<PosixUdpSocket*>(self)->atTurnEnd();
                      },
                      this});
    flushScheduled_ = true;
  }

  void atTurnEnd() noexcept {
    flushScheduled_ = false;
    if (waitingToSend()) return;
    // flushQueue also retries a read registration the poller refused
    // (updateInterest): a socket not watched for reading takes it.
    if (queue_.count() != 1 || fd_ < 0 ||
        (receiving_ && !(watched_ & kReadable))) {
      flushQueue();
      return;
    }
    // The usual turn: one datagram, sent as it is (flushQueue's work for
    // one: the socket was not waiting, so it watches nothing for sending).
    SysError err = trySend(queue_.front());
    if (err.is(Errc::kEAGAIN) || err.is(Errc::kENOBUFS))
      waitToSend(err);
    else
      queue_.complete(events_, err);
  }

  // The kernel took nothing (EAGAIN or ENOBUFS): the queue waits for
  // writability, or for the ENOBUFS pause to end.
  DGRAM_NOINLINE void waitToSend(SysError err) {
    if (err.is(Errc::kENOBUFS)) {
      pauseForBuffers();
      return;
    }
    blocked_ = true;
    updateInterest();
  }

  DGRAM_NOINLINE void flushQueue() {
    if (retryTimer_) return;  // paused for ENOBUFS
    blocked_ = false;
    while (!queue_.empty() && fd_ >= 0) {
      SysError err = sendQueued();
      if (err.is(Errc::kEAGAIN)) {
        blocked_ = true;
        break;
      }
      if (err.is(Errc::kENOBUFS)) {
        pauseForBuffers();
        break;
      }
    }
    updateInterest();
  }

  // Hands the oldest queued sends to the kernel in one call and completes
  // those it took, or the oldest one with the error the kernel gave for
  // it. Returns EAGAIN or ENOBUFS, having completed nothing, when the
  // queue has to wait.
  SysError sendQueued() {
#ifdef DGRAM_HAVE_SENDMMSG
    if (queue_.count() > 1) return sendQueuedBatch();
#endif  // DGRAM_HAVE_SENDMMSG
    SysError err = trySend(queue_.front());
    if (err.is(Errc::kEAGAIN) || err.is(Errc::kENOBUFS)) return err;
    queue_.complete(events_, err);
    return {};
  }

#ifdef DGRAM_HAVE_SENDMMSG

  // A segmented run failed with an error the kernel gives when it will
  // not segment (no checksum offload: EIO; a segment too large for the
  // path: EINVAL; an old kernel). A run also gets its datagrams' own
  // errors, though (a source address the host does not have: EINVAL),
  // which say nothing about segmenting: so this is only a suspicion. The
  // rule: GSO goes off for good only on evidence that segmentation itself
  // failed, that is when the run's first datagram, sent again on its own
  // (the next call, probeUnsegmented_), goes through. If it fails too, the
  // error is that datagram's and GSO stays on. Returns whether the run is
  // to be sent again.
  bool suspectSegmenting(SysError error, unsigned datagrams) {
    if (datagrams < 2 || !gso_) return false;
    if (!(error.is(Errc::kEIO) || error.is(Errc::kEINVAL) ||
          error.is(Errc::kENOTSUP) || error.is(Errc::kENOPROTOOPT)))
      return false;
    probeUnsegmented_ = true;
    return true;
  }

  // One message per datagram, or with GSO one per run of datagrams the
  // kernel cuts apart again.
  SysError sendQueuedBatch() {
    mmsghdr messages[kSendBatch];
    iovec iov[kMaxDatagramsPerCall];
    sockaddr_storage names[kSendBatch];
    alignas(cmsghdr) unsigned char
        control[kSendBatch][offload::kControlSpace + metadata::kSendSpace];
    unsigned datagrams[kSendBatch];  // per message (with GSO; else 1)
    unsigned count = 0;
    std::size_t used = 0;  // iov entries
    // The probe (see suspectSegmenting) is the first datagram alone.
    const bool probe = probeUnsegmented_;
    if (probe) probeUnsegmented_ = false;
    const bool segment = gso_ && !probe;
    const unsigned limit = probe ? 1 : kSendBatch;
    SendRequest* request = &queue_.front();
    if (!segment) {
      // The usual batch: one message per datagram, no runs to look for.
      const std::size_t queued = queue_.count();
      const unsigned messageCount =
          queued < limit ? static_cast<unsigned>(queued) : limit;
      for (; count < messageCount; request = request->next) {
        msghdr& header = messages[count].msg_hdr;
        header = msghdr{};  // (some C libraries pad it: all of it cleared)
        if (request->hasDestination) {
          header.msg_name = &names[count];
          header.msg_namelen = toSockaddr(request->destination, names[count]);
        }
        // A queued request owns its payload: one part (SendQueue::push).
        const ByteView& payload = request->payload;
        iov[count].iov_base = const_cast<std::uint8_t*>(payload.data());
        iov[count].iov_len = payload.size();
        header.msg_iov = &iov[count];
        header.msg_iovlen = 1;
        if (request->hasSource) {
          ControlWriter controls(header, control[count], sizeof control[count]);
          metadata::setSource(controls, socketFamily(), *request);
        }
        ++count;
      }
    }
    while (segment && request && count < limit && used < kMaxDatagramsPerCall) {
      msghdr& header = messages[count].msg_hdr;
      messages[count] = mmsghdr{};
      if (request->hasDestination) {
        header.msg_name = &names[count];
        header.msg_namelen = toSockaddr(request->destination, names[count]);
      }
      header.msg_iov = &iov[used];
      const SendRequest* first = request;
      const std::size_t segmentSize = request->size;
      std::size_t bytes = 0;
      unsigned run = 0;
      for (;;) {
        // A queued request owns its payload: one part (SendQueue::push).
        const ByteView& payload = request->payload;
        iov[used].iov_base = const_cast<std::uint8_t*>(payload.data());
        iov[used].iov_len = payload.size();
        ++used;
        ++run;
        bytes += request->size;
        SendRequest* next = request->next;
        bool joins = segment && next && used < kMaxDatagramsPerCall &&
                     joinsSegmentRun(*request, *next, segmentSize, run, bytes,
                                     offload::kLimits);
        request = next;
        if (!joins) break;
      }
      header.msg_iovlen = run;
      if (first->hasSource || run > 1) {
        // A run shares its source: the first datagram's says it for all.
        ControlWriter controls(header, control[count], sizeof control[count]);
        metadata::setSource(controls, socketFamily(), *first);
        if (run > 1)
          offload::setSegmentSize(controls,
                                  static_cast<std::uint16_t>(segmentSize));
      }
      datagrams[count] = run;
      ++count;
    }
    int sent;
    do {
      sent = faultableCall(fault::Call::sendmmsg, [&] {
        return ::sendmmsg(fd_, messages, count, kSendFlags);
      });
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
      // Nothing was taken: the error is the oldest message's.
      SysError err = sendFailure();
      if (err.is(Errc::kEAGAIN) || err.is(Errc::kENOBUFS)) {
        probeUnsegmented_ = probe;  // the probe is still to be made
        return err;
      }
      if (suspectSegmenting(err, segment ? datagrams[0] : 1)) return {};
      queue_.complete(events_, err);
      return {};
    }
    // The datagram went through alone where its run failed: the kernel
    // does not segment for this socket.
    if (probe) gso_ = false;
    // The kernel took the first `sent` messages: their datagrams complete
    // together.
    std::size_t taken = static_cast<std::size_t>(sent);
    if (segment) {
      taken = 0;
      for (int i = 0; i < sent; ++i)
        taken += datagrams[i];
    }
    if (taken) queue_.completeSent(events_, taken);
    if (static_cast<unsigned>(sent) < count && !queue_.empty()) {
      // It stopped early: on EAGAIN, or on an error for the next message
      // that some Linux kernels park in SO_ERROR (where a later call would
      // report it for another datagram, or a read as a receive error).
      // Collect it and give it to its datagram; kernels that do not park
      // it report it again when the next call starts at that message.
      int err = 0;
      socklen_t length = sizeof err;
      if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &length) == 0 &&
          err != 0) {
        SysError parked = sysErrorFromErrno(err);
        if (parked.is(Errc::kENOBUFS)) return parked;  // it waits, as ever
        if (suspectSegmenting(parked, segment ? datagrams[sent] : 1)) return {};
        queue_.complete(events_, parked);
      }
    }
    return {};
  }
#endif  // DGRAM_HAVE_SENDMMSG

  // The loop's receive arena, large enough for a batch.
  std::uint8_t* receiveArena() {
    return loop().receiveArena(kReceiveBatch * kReceiveSlot);
  }

  // Reads in batches (receiveReadable's choice for all but a plain socket
  // that reads singly). Returns whether it dispatched anything (a
  // datagram or a read error). The caller has checked that the socket is
  // receiving and open; after each batch, its listeners may have closed
  // it or paused it.
  bool receive() {
    std::uint8_t* arena = receiveArena();
    int got;
    {
      ReceiveWindow window(arena, kReceiveBatch * kReceiveSlot);
      got = receiveBatch(arena);
    }
    // A short batch emptied the kernel's queue: another read now would
    // only say EAGAIN (one system call per datagram in a ping-pong).
    // The poller is level-triggered, so anything newer is reported.
    if (got < static_cast<int>(kReceiveBatch)) return got != 0;
    return receiveMore(arena);
  }

  // receive() after a full batch: more batches, up to kMaxBatchesPerEvent
  // in all, while the socket is receiving and open.
  DGRAM_NOINLINE bool receiveMore(std::uint8_t* arena) {
    for (int round = 1; round < kMaxBatchesPerEvent && receiving_ && fd_ >= 0;
         ++round) {
      ReceiveWindow window(arena, kReceiveBatch * kReceiveSlot);
      if (receiveBatch(arena) < static_cast<int>(kReceiveBatch)) break;
    }
    return true;
  }

  bool readNow() override {
    return receiving_ && fd_ >= 0 && receiveReadable();
  }

  // A read system call (recvfrom, recvmsg or recvmmsg) that failed, made
  // again with the same arguments while a signal interrupts it,
  // kMaxInterrupts times in all at most: what it finally returned, or -1
  // with errno set. (The first try is made where the read is, with its
  // arguments at hand: passing them through a helper would keep them
  // alive across the call, which costs the usual read. A failed read
  // writes none of its results, so they are still as the first try set
  // them, the address lengths included.)
  template <class Result, class... Params>
  DGRAM_NOINLINE static Result readAgain(Result (*read)(Params...),
                                         typename Same<Params>::type... args) {
    Result got = -1;
    for (int interrupted = 1;
         got < 0 && errno == EINTR && interrupted < kMaxInterrupts;
         ++interrupted)
      got = faultableCall(fault::Call::recvmmsg, [&] { return read(args...); });
    return got;
  }

#ifdef DGRAM_HAVE_RECVMMSG
  // Inlined into receive() even though it is long: a batch's read and its
  // delivery run in receive()'s frame (one call and frame fewer).
  DGRAM_ALWAYS_INLINE int receiveBatch(std::uint8_t* arena) {
    // With GRO the kernel says in a control message where it coalesced;
    // with the metadata options, where each datagram arrived and its TOS.
    const bool plain = !wantsControl();
    // One datagram, or a batch (posix/receive_pace.hpp). A plain socket
    // that reads singly is read by receiveOne instead (receiveReadable
    // chooses), which costs the kernel less.
    const unsigned pace = pace_;
    const bool single = receive_pace::readsSingly(pace);
    ReceiveHeaders& headers = poller().receiveHeaders();
    mmsghdr* messages =
        headers.prepare(arena, !plain, static_cast<Family>(family_));
    const unsigned ask = single ? 1 : kReceiveBatch;
    int count = faultableCall(fault::Call::recvmmsg, [&] {
      return ::recvmmsg(fd_, messages, ask, MSG_DONTWAIT, nullptr);
    });
    if (count < 0)
      count = readAgain(::recvmmsg, fd_, messages, ask, MSG_DONTWAIT, nullptr);
    pace_ = static_cast<std::uint8_t>(receive_pace::after(pace, count));
    headers.used(count);
    // From here on each datagram is open only to its own listeners.
    closeReceiveMemory(arena, kReceiveBatch * kReceiveSlot);
    if (count <= 0) return count < 0 ? readFailed() : 0;
    if (!plain) return deliverBatch(messages, count);
    // The usual socket. A batch of several is delivered under a guard
    // that holds the rest of it if a listener throws; one datagram has
    // nothing behind it to hold (a plain buffer is one datagram), so a
    // ping-pong's goes without the guard.
    if (count > 1) return deliverRun(headers, messages, count);
    std::size_t done = 0;
    deliverPlain(headers, messages[0], done);
    return count;
  }

  // A sender's address as recvfrom writes it.
  struct SenderName {
    sockaddr_storage address;
    socklen_t length = sizeof address;
    sockaddr* name() noexcept { return reinterpret_cast<sockaddr*>(&address); }
  };

  // receiveOne's read, after it failed (readAgain).
  DGRAM_NOINLINE ssize_t receiveOneAgain(SenderName& from) {
    return readAgain(::recvfrom, fd_, loop().arena(), kReceiveSlot,
                     MSG_DONTWAIT, from.name(), &from.length);
  }

  // The read for a readiness event or for the spin (readNow), and the one
  // place that chooses how: a plain socket that reads one datagram at a
  // time (a ping-pong's) goes straight to its read, whose frame keeps
  // fewer registers than receive()'s, which holds the batch path. Returns
  // whether it dispatched anything, as receive() does. Inlined into its
  // callers (onReady's usual event, readNow): the single read is then a
  // tail call from there, and receive() the call of its own it was.
  DGRAM_ALWAYS_INLINE bool receiveReadable() {
    if (receive_pace::readsSingly(pace_) && !wantsControl())
      return receiveOne() != 0;
    return receive();
  }

  // receiveBatch for the usual socket (no control messages) reading one
  // datagram at a time: one recvfrom into the arena's first slot, which
  // costs the kernel less than a recvmmsg or a recvmsg of one (no message
  // header to copy in: C echo on one core, 8 alternating rounds, median
  // CPU per echo: recvfrom 1,911 ns, recvmsg 1,947, recvmmsg of one 1,973)
  // and leaves the batch headers as they are. Returns what receiveBatch
  // would (1, 0 for nothing to read, -1 after a read error);
  // receiveReadable is its one caller.
  // Only `this` is kept across the read: the arena's address is read again
  // after it (two loads), and a retry finds the sender's buffer and its
  // length from one address, rather than in registers this frame would
  // save and restore on every read.
  DGRAM_NOINLINE int receiveOne() {
    ReceiveWindow window(receiveArena(), kReceiveBatch * kReceiveSlot);
    SenderName from;
    ssize_t size = faultableCall(fault::Call::recvmmsg, [&] {
      return ::recvfrom(fd_, loop().arena(), kReceiveSlot, MSG_DONTWAIT,
                        from.name(), &from.length);
    });
    if (size < 0) size = receiveOneAgain(from);
    // The caller checked that the socket reads singly.
    pace_ = static_cast<std::uint8_t>(receive_pace::afterSingle(pace_));
    std::uint8_t* arena = loop().arena();
    closeReceiveMemory(arena, kReceiveBatch * kReceiveSlot);
    if (size < 0) return readFailed();
    // The slot holds the largest UDP payload and one byte more: a datagram
    // that fills it was cut.
    const auto received = static_cast<std::size_t>(size);
    if (fromLastSender(&from.address, received)) {
      LentDatagram lent(arena, received);
      events_.onDatagramFromLast(arena, received);
      return 1;
    }
    return deliverOne(from, received);
  }

  // receiveOne's datagram from a sender other than the last (or one cut
  // short): described in full.
  DGRAM_NOINLINE int deliverOne(const SenderName& from, std::size_t received) {
    const Arrival* arrival = poller().receiveHeaders().describePlain(
        &from.address, received >= kReceiveSlot);
    if (!arrival) return 1;
    const std::size_t done = received < kReceiveSlot ? received : kReceiveSlot;
    std::uint8_t* arena = loop().arena();
    LentDatagram lent(arena, done);
    events_.onDatagram(arena, done, *arrival);
    return 1;
  }

  // Whether a datagram read whole from `name` comes from the sender the
  // loop's listeners were told of last (a peer's datagrams come in a
  // row): then nothing of its description but the size changes, and none
  // is built (SocketEvents::onDatagramFromLast).
  bool fromLastSender(const void* name, std::size_t size) {
    return senderKey(name) == loop().datagramCaches().senderKey &&
           size < kReceiveSlot;
  }

  // A plain batch of several datagrams: the runs of those whole and from
  // the last sender in one call each (SocketEvents::onDatagramsFromLast,
  // no call per datagram), any other the general way. If a listener
  // throws, the rest of the batch is held. The batch's size, or -1 when a
  // listener closed or paused the socket. (The usual batch is one run: the
  // rest is out of line, so that this frame stays small. This part is
  // inlined into receive(), whose frame saves the registers it needs
  // already: a call of its own saved four more per batch.)
  DGRAM_ALWAYS_INLINE int deliverRun(ReceiveHeaders& headers,
                                     const mmsghdr* messages, int count) {
    int thrown = 0;  // the datagram whose listener threw
    int next;
    DGRAM_TRY {
      next = events_.onDatagramsFromLast(headers.run(count), 0, thrown);
    }
    DGRAM_CATCH(...) {
      holdRest(messages, thrown + 1, count);
      DGRAM_RETHROW;
    }
    if (next == count) return count;
    return deliverRest(headers, messages, count, next);
  }

  // deliverRun from datagram `next` on, which did not continue the run
  // before it (another sender, or the socket closed or paused).
  DGRAM_NOINLINE int deliverRest(ReceiveHeaders& headers,
                                 const mmsghdr* messages, int count, int next) {
    const DatagramRun& run = headers.run(count);
    int thrown = 0;  // the datagram whose listener threw
    DGRAM_TRY {
      for (;;) {
        // A listener may have closed or paused the socket.
        if (!receiving_ || fd_ < 0) return -1;
        std::size_t done = 0;
        thrown = next;
        deliverPlain(headers, messages[next], done);
        if (++next == count) break;
        if (!receiving_ || fd_ < 0) return -1;
        next = events_.onDatagramsFromLast(run, next, thrown);
        if (next == count) break;
      }
    }
    DGRAM_CATCH(...) {
      holdRest(messages, thrown + 1, count);
      DGRAM_RETHROW;
    }
    return count;
  }

  // receiveBatch for a socket with control messages (GRO, metadata).
  DGRAM_NOINLINE int deliverBatch(mmsghdr* messages, int count) {
    for (int i = 0; i < count; ++i) {
      // The datagram before may have closed or paused the socket.
      if (i > 0 && (!receiving_ || fd_ < 0)) return -1;
      std::size_t done = 0;
      DGRAM_TRY {
        deliver(messages[i].msg_hdr.msg_iov->iov_base, messages[i].msg_len,
                messages[i].msg_hdr, false, done);
      }
      DGRAM_CATCH(...) {
        // A listener threw: the rest of the batch (and of a coalesced
        // buffer) is already read, and the arena is shared, so the Socket
        // keeps copies for later.
        if (done < messages[i].msg_len)
          deliver(messages[i].msg_hdr.msg_iov->iov_base, messages[i].msg_len,
                  messages[i].msg_hdr, true, done);
        holdRest(messages, i + 1, count);
        DGRAM_RETHROW;
      }
    }
    return count;
  }

  // A listener threw: the batch's datagrams from `from` on are already
  // read, and the arena is shared, so the Socket keeps copies for later.
  DGRAM_NOINLINE void holdRest(const mmsghdr* messages, int from, int count) {
    for (int j = from; j < count; ++j) {
      std::size_t none = 0;
      deliver(messages[j].msg_hdr.msg_iov->iov_base, messages[j].msg_len,
              messages[j].msg_hdr, true, none);
    }
  }

  // Hands the datagram in `message` to the Socket: for the usual socket
  // (no control messages, one datagram per buffer).
  void deliverPlain(ReceiveHeaders& headers, const mmsghdr& message,
                    std::size_t& done) {
    const std::size_t size = message.msg_len;
    void* data = message.msg_hdr.msg_iov->iov_base;
    if (fromLastSender(message.msg_hdr.msg_name, size)) {
      done = size;
      LentDatagram lent(data, size);
      events_.onDatagramFromLast(static_cast<const std::uint8_t*>(data), size);
      return;
    }
    const Arrival* arrival = headers.describePlain(
        message.msg_hdr.msg_name, (message.msg_hdr.msg_flags & MSG_TRUNC) != 0);
    if (!arrival) return;
    done = size < kReceiveSlot ? size : kReceiveSlot;
    LentDatagram lent(data, done);
    events_.onDatagram(static_cast<const std::uint8_t*>(data), done, *arrival);
  }
#else
  int receiveBatch(std::uint8_t* arena) {
    // One datagram, or until EAGAIN (posix/receive_pace.hpp).
    const unsigned pace = pace_;
    const std::size_t ask = receive_pace::readsSingly(pace) ? 1 : kReceiveBatch;
    int count = 0;
    for (std::size_t i = 0; i < ask; ++i) {
      if (!receiving_ || fd_ < 0) break;
      sockaddr_storage from;
      openReceiveMemory(arena, kReceiveSlot);  // each read reuses slot 0
      iovec iov{arena, kReceiveSlot};
      msghdr message{};
      message.msg_name = &from;
      message.msg_namelen = sizeof from;
      message.msg_iov = &iov;
      message.msg_iovlen = 1;
      alignas(cmsghdr) unsigned char control[kReceiveControlSpace];
      if (wantsControl()) {
        message.msg_control = control;
        message.msg_controllen = sizeof control;
      }
      ssize_t size = faultableCall(fault::Call::recvmmsg, [&] {
        return ::recvmsg(fd_, &message, MSG_DONTWAIT);
      });
      if (size < 0) size = readAgain(::recvmsg, fd_, &message, MSG_DONTWAIT);
      closeReceiveMemory(arena, kReceiveSlot);
      if (size < 0) {
        pace_ = static_cast<std::uint8_t>(receive_pace::after(pace, count));
        return count > 0 ? count : readFailed();
      }
      ++count;
      std::size_t done = 0;
      deliver(arena, static_cast<std::size_t>(size), message, false, done);
    }
    pace_ = static_cast<std::uint8_t>(receive_pace::after(pace, count));
    return receiving_ && fd_ >= 0 ? count : -1;
  }

  // receive() for a readiness event or the spin (no single read of its
  // own here: the batch above reads one datagram when the pace says so).
  bool receiveReadable() {
    return receive();
  }
#endif  // DGRAM_HAVE_RECVMMSG

  // Hands the datagram in a received buffer to the Socket, or with GRO
  // the datagrams the kernel coalesced into it, each with the same sender.
  // `done` counts the buffer's bytes already handed over (advanced before
  // each call, so after a throw it points past the datagram that threw).
  void deliver(void* data, std::size_t size, const msghdr& header, bool hold,
               std::size_t& done) {
    Arrival arrival;
    if (!fromSockaddr(static_cast<const sockaddr*>(header.msg_name),
                      arrival.from))
      return;
    arrival.truncated = (header.msg_flags & MSG_TRUNC) != 0;
    if (pktinfo_ || tos_) metadata::read(header, arrival);
    auto* bytes = static_cast<const std::uint8_t*>(data);
    std::size_t length = size < kReceiveSlot ? size : kReceiveSlot;
    std::size_t segment = gro_ ? offload::coalescedSegmentSize(header) : 0;
    if (segment == 0 || segment > length) segment = length;
    do {
      std::size_t piece = length - done < segment ? length - done : segment;
      const std::uint8_t* at = bytes + done;
      done += piece;
      LentDatagram lent(at, piece);
      if (hold)
        events_.holdDatagram(at, piece, arrival);
      else
        events_.onDatagram(at, piece, arrival);
    } while (done < length);
  }

  // Whether received datagrams come with control messages to read.
  bool wantsControl() const noexcept {
    return control_;
  }

  // EAGAIN (and EINTR past kMaxInterrupts) ends the batch quietly; the
  // datagrams stay queued in the kernel for the next readiness. Anything
  // else (ECONNREFUSED from an
  // ICMP error on a connected socket) is reported, and reading goes on at
  // the next readiness.
  DGRAM_NOINLINE int readFailed() {
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) return 0;
    events_.onReceiveError(sysErrorFromErrno(err));
    return -1;
  }

  PosixUdpSocket(SocketEvents& events, int fd, Family family, bool receiving)
      : BsdSocket(events),
        fd_(fd),
        receiving_(receiving),
        flushScheduled_(false),
        gso_(false),
        probeUnsegmented_(false),
        gro_(false),
        pktinfo_(false),
        tos_(false),
        control_(false),
        blocked_(false),
        family_(static_cast<std::uint8_t>(family)) {}

  // The poller is the loop's backend: reached through the loop rather
  // than held, one word less per socket.
  Poller& poller() const noexcept {
    return static_cast<Poller&>(loop().backend());
  }
  // The loop is the Socket's (asked for, not kept: one word less here, and
  // this object must fit the space its Socket lends it).
  LoopCore& loop() const noexcept {
    return events_.loopCore();
  }

  std::uint64_t retryTimer_ = 0;  ///< pending ENOBUFS retry
  int fd_ = -1;
  /// Datagrams per read: one or a batch (posix/receive_pace.hpp). A
  /// whole byte: it is read and written on every read.
  std::uint8_t pace_ = 0;
  std::uint8_t watched_ = 0;  ///< kReadable | kWritable being watched
  // One bit per flag and for the family: set in the constructor (C++17
  // bit-fields take no default member initializers).
  bool receiving_ : 1;
  bool flushScheduled_ : 1;  ///< atTurnEnd will flush the queue
  bool gso_ : 1;             ///< segmented sends asked for, and not refused
  /// A run failed: try its first datagram alone (sendmmsg only).
  [[maybe_unused]] bool probeUnsegmented_ : 1;
  bool gro_ : 1;      ///< the kernel may coalesce what it hands over
  bool pktinfo_ : 1;  ///< datagrams say where they arrived
  bool tos_ : 1;      ///< datagrams carry their TOS byte
  bool control_ : 1;  ///< gro_ || pktinfo_ || tos_, asked per read
  bool blocked_ : 1;  ///< the kernel said EAGAIN: wait for writability
  /// A Family (rarely read: after the flags). It fills the rest of the
  /// flags' byte: the constructor sets every bit of it, so that it writes
  /// the flags whole (no read of what was there), and the family's value
  /// needs no mask there (its high bits are shifted out).
  std::uint8_t family_ : 7;
};

}  // namespace

// A POSIX socket never costs an allocation of its own: it always fits in
// the space its Socket reserves (common/platform_socket_space.hpp).
static_assert(fitsPlatformSocketSpace<PosixUdpSocket>(kPlatformSocketSpace),
              "PosixUdpSocket outgrew kPlatformSocketSpace: raise the "
              "budget there (and the sizeof budgets in the tests)");

PlatformSocketPtr Poller::createSocket(LoopCore& loop, SocketEvents& events,
                                       PlatformSocketSpace space) {
  (void)loop;  // the socket asks its events for it (PosixUdpSocket::loop)
  return makePlatformSocket<PosixUdpSocket>(space, events);
}

namespace {

// Poller::createBound's body, inline in its two callers: the usual one
// passes no options (nullptr, known when compiled: none is tested).
DGRAM_ALWAYS_INLINE PlatformSocket* openBound(Poller& poller,
                                              SocketEvents& events, void* space,
                                              const OpenOptions* options,
                                              const Endpoint& local,
                                              SysError& error) {
  // The descriptor is opened and bound before the socket is built, which
  // it then is with its descriptor, once: a refused bind has only the
  // descriptor to take down (and `space`, where `local` may lie, is left
  // as it was). The socket's own calls are direct ones (its
  // type is known, the poller is this one).
  // The address is built first: `local` is not read again (a value less
  // to keep across the system calls).
  Family family = local.ip.family;
  sockaddr_storage sa;
  bsd::AddressLength length = toSockaddr(local, sa);
  int fd = openConfigured(family, options, error);
  if (fd < 0) return nullptr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), length) != 0) {
    error = lastError();
    ::close(fd);
    return nullptr;
  }
  poller.claimNew(fd);
  // A POSIX socket always fits the space (see the static_assert above).
  auto* socket = new (space) PosixUdpSocket(events, fd, family);
  // A new socket has every feature off: most are opened without asking.
  if (options) socket->enableFeatures(fd, family, *options);
  socket->watchOpened(poller);
  return socket;
}

// createBound with open options, out of line: the usual bind keeps no
// test of them once the descriptor is open (and a smaller frame).
DGRAM_NOINLINE PlatformSocket* openBoundWithOptions(
    Poller& poller, SocketEvents& events, void* space,
    const OpenOptions* options, const Endpoint& local, SysError& error) {
  return openBound(poller, events, space, options, local, error);
}

}  // namespace

PlatformSocket* Poller::createBound(SocketEvents& events, void* space,
                                    const OpenOptions* options,
                                    const Endpoint& local, SysError& error) {
  // (A build for size has the general body alone: see kBuildForSize.)
  if (kBuildForSize || options)
    return openBoundWithOptions(*this, events, space, options, local, error);
  return openBound(*this, events, space, nullptr, local, error);
}

}  // namespace dgram::detail
