// POSIX UDP sockets under a readiness poller: the PlatformSocket that the
// common Socket drives. Receives in batches (recvmmsg where the system has
// it) into the loop's arena; sends at once when the kernel takes the
// datagram and queues (in order) when it would block.
// Layer: platform (readiness backends).
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "bsd/bsd_socket.hpp"
#include "bsd/sockaddr.hpp"
#include "common/loop_core.hpp"
#include "common/platform_socket.hpp"
#include "common/platform_socket_space.hpp"
#include "posix/errno_map.hpp"
#include "posix/fault_call.hpp"
#include "posix/poller.hpp"

namespace dgram::detail {
namespace {

// Datagrams read per recvmmsg call, and calls per readiness event: enough
// to amortise the syscalls, bounded so one busy socket cannot starve the
// others (libuv uses the same kind of bound).
constexpr std::size_t kBatch = 16;
constexpr int kMaxBatchesPerEvent = 32;
// The largest UDP payload plus one byte, so truncation is detectable.
constexpr std::size_t kSlotSize = 65536;
constexpr std::size_t kMaxParts = 64;
// A read interrupted by a signal is retried at once, this many times at
// most; then the batch ends and the next readiness event retries.
constexpr int kMaxInterrupts = 8;
// ENOBUFS (an interface queue is full) is waited out like EAGAIN, but the
// socket may poll writable all along (BSD; Linux with a full qdisc), so
// waiting for writability would spin: it is retried after a pause.
constexpr auto kNoBuffersPause = std::chrono::milliseconds(1);

SysError lastError() {
  return sysErrorFromErrno(errno);
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

class PosixUdpSocket final : public BsdSocket, private Watcher {
 public:
  PosixUdpSocket(LoopCore& loop, Poller& poller, SocketEvents& events)
      : BsdSocket(events), loop_(loop), poller_(poller), events_(events) {}
  ~PosixUdpSocket() override { close(); }

  SysError open(Family family, const OpenOptions& options) override {
    int domain = family == Family::IPv4 ? AF_INET : AF_INET6;
    int fd = openDatagramSocket(domain);
    if (fd < 0) return lastError();
    if (SysError err = bsd::applyOpenOptions(fd, family, options)) {
      ::close(fd);
      return err;
    }
    poller_.claim(fd);
    fd_ = fd;
    family_ = family;
    return {};
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
    if (!poller_.claim(fd)) return sysErrorFromErrno(EEXIST);
    if (int error = makeNonBlocking(fd)) {
      poller_.release(fd);  // not adopted: the caller still owns it
      return sysErrorFromErrno(error);
    }
    fd_ = fd;
    family_ = family = local.ss_family == AF_INET ? Family::IPv4 : Family::IPv6;
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
  void stopReceiving() override {
    receiving_ = false;
    updateInterest();
  }

  bool send(SendRequest& request, SysError& error) override {
    if (queue_.empty()) {
      error = trySend(request);
      if (error.is(Errc::kENOBUFS)) {
        pauseForBuffers();
      } else if (!error.is(Errc::kEAGAIN)) {
        return true;
      }
      error = {};
    }
    queue_.push(request);
    updateInterest();
    return false;
  }

  void close() override {
    if (retryTimer_) loop_.timers().cancel(retryTimer_);
    retryTimer_ = 0;
    if (fd_ < 0) return;
    if (watched_) poller_.unwatch(fd_);
    watched_ = 0;
    poller_.release(fd_);
    ::close(fd_);
    fd_ = -1;
    receiving_ = false;
    // Whatever the kernel never took is cancelled, in order.
    queue_.failAll(sysError(Errc::kECANCELED));
  }

  bool isOpen() const noexcept override { return fd_ >= 0; }

 private:
  bsd::Handle handle() const noexcept override { return fd_; }
  Family socketFamily() const noexcept override { return family_; }

  SysError trySend(SendRequest& request) {
    iovec iov[kMaxParts];
    std::size_t count =
        request.parts.size() < kMaxParts ? request.parts.size() : kMaxParts;
    if (request.parts.size() > kMaxParts) {
      // More pieces than one sendmsg takes here: send the owned copy.
      request.own();
      count = request.parts.size();
    }
    for (std::size_t i = 0; i < count; ++i) {
      iov[i].iov_base = const_cast<std::uint8_t*>(request.parts[i].data());
      iov[i].iov_len = request.parts[i].size();
    }
    sockaddr_storage sa;
    msghdr message{};
    if (request.hasDestination) {
      message.msg_name = &sa;
      message.msg_namelen = toSockaddr(request.destination, sa);
    }
    message.msg_iov = iov;
    message.msg_iovlen = count;
    for (;;) {
      if (faultableCall(fault::Call::sendmsg, [&] {
            return ::sendmsg(fd_, &message, kSendFlags);
          }) >= 0)
        return {};
      if (errno != EINTR) break;
    }
    if (errno == EWOULDBLOCK) return sysErrorFromErrno(EAGAIN);
    return lastError();
  }

  void updateInterest() {
    if (fd_ < 0) return;
    bool waitWritable = !queue_.empty() && retryTimer_ == 0;
    unsigned want =
        (receiving_ ? kReadable : 0u) | (waitWritable ? kWritable : 0u);
    if (want == watched_) return;
    if (int error = poller_.watch(fd_, want, this)) {
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
    if (addedWrite) queue_.failAll(error);
    if (addedRead && fd_ >= 0)
      events_.onSystemError(error, poller_.controlCall());
  }

  void onReady(unsigned events) override {
    if ((events & (kReadable | kErrorEvent)) && receiving_) receive();
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
  void pauseForBuffers() {
    if (retryTimer_) return;
    retryTimer_ = loop_.timers().add(
        std::chrono::steady_clock::now() + kNoBuffersPause,
        [this] {
          // Cancelled by close(), so `this` is alive here.
          retryTimer_ = 0;
          flushQueue();
        },
        false);  // the queued requests keep the loop alive
  }

  void flushQueue() {
    if (retryTimer_) return;  // paused for ENOBUFS
    while (!queue_.empty() && fd_ >= 0) {
      SysError err = trySend(queue_.front());
      if (err.is(Errc::kEAGAIN)) break;
      if (err.is(Errc::kENOBUFS)) {
        pauseForBuffers();
        break;
      }
      queue_.complete(err);
    }
    updateInterest();
  }

  void receive() {
    std::uint8_t* arena = loop_.receiveArena(kBatch * kSlotSize);
    for (int round = 0; round < kMaxBatchesPerEvent; ++round) {
      if (!receiving_ || fd_ < 0) return;
      int got = receiveBatch(arena);
      if (got <= 0) return;
    }
  }

#ifdef DGRAM_HAVE_RECVMMSG
  int receiveBatch(std::uint8_t* arena) {
    mmsghdr messages[kBatch];
    iovec iov[kBatch];
    sockaddr_storage from[kBatch];
    for (std::size_t i = 0; i < kBatch; ++i) {
      iov[i] = iovec{arena + i * kSlotSize, kSlotSize};
      messages[i] = mmsghdr{};
      messages[i].msg_hdr.msg_name = &from[i];
      messages[i].msg_hdr.msg_namelen = sizeof from[i];
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    int count;
    int interrupted = 0;
    do {
      count = faultableCall(fault::Call::recvmmsg, [&] {
        return ::recvmmsg(fd_, messages, kBatch, MSG_DONTWAIT, nullptr);
      });
    } while (count < 0 && errno == EINTR && ++interrupted < kMaxInterrupts);
    if (count < 0) return readFailed();
    for (int i = 0; i < count; ++i) {
      if (!receiving_ || fd_ < 0) return -1;
      try {
        deliver(iov[i].iov_base, messages[i].msg_len, messages[i].msg_hdr);
      } catch (...) {
        // A listener threw: the rest of the batch is already read (and
        // the arena is shared), so the Socket keeps copies for later.
        for (int j = i + 1; j < count; ++j)
          deliver(iov[j].iov_base, messages[j].msg_len, messages[j].msg_hdr,
                  true);
        throw;
      }
    }
    return count;
  }
#else
  int receiveBatch(std::uint8_t* arena) {
    int count = 0;
    for (std::size_t i = 0; i < kBatch; ++i) {
      if (!receiving_ || fd_ < 0) return -1;
      sockaddr_storage from;
      iovec iov{arena, kSlotSize};
      msghdr message{};
      message.msg_name = &from;
      message.msg_namelen = sizeof from;
      message.msg_iov = &iov;
      message.msg_iovlen = 1;
      ssize_t size;
      int interrupted = 0;
      do {
        size = faultableCall(fault::Call::recvmmsg, [&] {
          return ::recvmsg(fd_, &message, MSG_DONTWAIT);
        });
      } while (size < 0 && errno == EINTR && ++interrupted < kMaxInterrupts);
      if (size < 0) return count > 0 ? count : readFailed();
      deliver(arena, static_cast<std::size_t>(size), message);
      ++count;
    }
    return count;
  }
#endif  // DGRAM_HAVE_RECVMMSG

  void deliver(void* data, std::size_t size, const msghdr& header,
               bool hold = false) {
    Endpoint from;
    if (!fromSockaddr(static_cast<const sockaddr*>(header.msg_name), from))
      return;
    bool truncated = (header.msg_flags & MSG_TRUNC) != 0;
    auto* bytes = static_cast<const std::uint8_t*>(data);
    std::size_t length = size < kSlotSize ? size : kSlotSize;
    if (hold)
      events_.holdDatagram(bytes, length, from, truncated);
    else
      events_.onDatagram(bytes, length, from, truncated);
  }

  // EAGAIN (and EINTR past kMaxInterrupts) ends the batch quietly; the
  // datagrams stay queued in the kernel for the next readiness. Anything
  // else (ECONNREFUSED from an
  // ICMP error on a connected socket) is reported, and reading goes on at
  // the next readiness.
  int readFailed() {
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) return 0;
    events_.onReceiveError(sysErrorFromErrno(err));
    return -1;
  }

  LoopCore& loop_;
  Poller& poller_;
  SocketEvents& events_;
  int fd_ = -1;
  Family family_ = Family::IPv4;
  bool receiving_ = false;
  unsigned watched_ = 0;
  std::uint64_t retryTimer_ = 0;  ///< pending ENOBUFS retry
};

}  // namespace

// A POSIX socket never costs an allocation of its own: it always fits in
// the space its Socket reserves (common/platform_socket_space.hpp).
static_assert(fitsPlatformSocketSpace<PosixUdpSocket>(kPlatformSocketSpace),
              "PosixUdpSocket outgrew kPlatformSocketSpace: raise the "
              "budget there (and the sizeof budgets in the tests)");

PlatformSocketPtr Poller::createSocket(LoopCore& loop, SocketEvents& events,
                                       PlatformSocketSpace space) {
  return makePlatformSocket<PosixUdpSocket>(space, loop, *this, events);
}

}  // namespace dgram::detail
