// The readiness seam under the POSIX backends (epoll, kqueue, poll): watch
// a file descriptor for readable/writable and get called back. Shared by
// the UDP sockets (and later c-ares' sockets).
// Layer: platform (readiness backends).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#ifdef DGRAM_HAVE_EPOLL
#include <sys/epoll.h>
#endif  // DGRAM_HAVE_EPOLL

#include "common/backend.hpp"
#include "posix/descriptor_table.hpp"
#include "posix/receive_headers.hpp"
#include "posix/wakeup.hpp"

namespace dgram::detail {

class Poller : public Backend {
 public:
  /// Starts, changes (`events` != 0) or stops (`events` == 0) watching `fd`.
  /// Level-triggered. Takes effect before the next wait. Returns 0, or the
  /// errno of the registration call that failed (`controlCall()`), in
  /// which case what was watched before is unchanged.
  virtual int watch(int fd, unsigned events, Watcher* watcher) = 0;
  /// Stops watching `fd` and drops its events still pending in the batch
  /// being dispatched, so a descriptor that reuses the number in this
  /// batch does not get them (call before closing the fd).
  virtual void unwatch(int fd) = 0;

  // The UDP sockets' registrations. A socket knows what it watches, so
  // these calls are told instead of looking it up: the epoll backend keeps
  // no table entry for them (a socket's registration and its end cost a
  // system call each and nothing more). A descriptor registered here is
  // changed and ended here only (never by watch() or unwatch()). The
  // other backends keep their tables.
  /// watch(fd, kReadable, watcher) for a descriptor just opened, which
  /// nothing of this poller watches (a closed descriptor's number is
  /// unwatched before it is closed): the usual bind's registration
  /// (Poller::createBound; defined in posix/udp_io.cpp). On epoll it is
  /// the system call itself, inline, and the one place that adds a new
  /// socket (no virtual call and no frame between the socket's creation
  /// and its registration); the other backends take watch().
  inline int registerNewReadable(int fd, Watcher* watcher);
  /// watch() for a descriptor that `watcher` watches for `watched` now
  /// (0: not at all).
  virtual int rewatch(int fd, unsigned events, unsigned watched,
                      Watcher* watcher) {
    (void)watched;
    return watch(fd, events, watcher);
  }
  /// unwatch() for a descriptor `watcher` watches. The epoll backend's
  /// usual case, no batch being dispatched (no events to void), is done
  /// here: a socket's close makes no virtual call for it. (Defined in
  /// posix/udp_io.cpp, where the sockets close, its one user.)
  inline void stopWatching(int fd, Watcher* watcher);
  /// The system call behind `watch`, as an 'error' names it ("epoll_ctl").
  virtual const char* controlCall() const noexcept = 0;

  void wake() override { wakeup_.signal(); }

  /// The latency mode's spin mostly reads the socket that was readable
  /// last, directly: when the reply comes, that read has it, where a wait
  /// would only say that it is readable and the read would follow (one
  /// system call per datagram less). The first poll and every
  /// kSpinWaitEvery-th one wait instead, for everything else: other
  /// sockets, post(), stop().
  bool spinPoll(unsigned n) final {
    if (n % kSpinWaitEvery != 0) return hot_ && hot_->readNow();
    return wait(0);
  }

  /// The watcher the spin reads directly (tests look: it is forgotten
  /// when that watcher stops watching).
  const Watcher* spinTarget() const noexcept { return hot_; }

  /// A POSIX UDP socket watched by this poller (posix/udp_io.cpp).
  PlatformSocketPtr createSocket(LoopCore& loop, SocketEvents& events,
                                 PlatformSocketSpace space) final;
  /// Backend::createBound with the POSIX socket's own calls (no virtual
  /// call between them).
  PlatformSocket* createBound(SocketEvents& events, void* space,
                              const OpenOptions* options, const Endpoint& local,
                              SysError& error) final;

  /// Records that a socket of this loop owns `fd`; false if one already
  /// does (adopting it twice would close it twice).
  bool claim(int fd) {
    auto index = static_cast<std::size_t>(fd);
    if (index < claimed_.size() && claimed_[index]) return false;
    claimNew(fd);
    return true;
  }
  /// claim() for a descriptor just opened, which no socket of this loop
  /// can own (a socket releases its descriptor before closing it).
  void claimNew(int fd) {
    auto index = static_cast<std::size_t>(fd);
    if (index >= claimed_.size()) growClaimed(index);
    claimed_[index] = 1;
  }
  /// Gives back a descriptor claimed here, which is inside the table
  /// (claiming it grew the table to hold it): no bound to test.
  void release(int fd) noexcept { claimed_[static_cast<std::size_t>(fd)] = 0; }

#ifdef DGRAM_HAVE_RECVMMSG
  /// The headers this loop's sockets read batches through (one socket
  /// reads at a time), built on first use.
  ReceiveHeaders& receiveHeaders() {
    if (!receiveHeaders_) receiveHeaders_ = std::make_unique<ReceiveHeaders>();
    return *receiveHeaders_;
  }
#endif  // DGRAM_HAVE_RECVMMSG

  /// A signal channel this poller watches (posix/signal_source.cpp).
  std::unique_ptr<SignalSource> createSignalSource(LoopCore& loop,
                                                   SignalSink& sink,
                                                   SysError& error,
                                                   const char*& syscall) final;

  /// epoll and kqueue: their one descriptor, which a host can poll.
  bool pollDescriptors(std::vector<PollDescriptor>& out) const override {
    std::intptr_t fd = backendFd();
    if (fd < 0) return false;
    out.push_back(PollDescriptor{static_cast<int>(fd), true, false});
    return true;
  }

  // A foreign socket that cannot be registered is polled on a timer by
  // its owner instead (see Backend::watchForeign).
  bool watchForeign(std::intptr_t socket, unsigned events,
                    Watcher* watcher) override {
    return watch(static_cast<int>(socket), events, watcher) == 0;
  }

 protected:
  /// The watcher of `fd`, or nullptr if it was unwatched meanwhile, or
  /// never watched, or `fd` is -1 (an event voided by unwatch): one
  /// unsigned test covers the negative descriptors too.
  Watcher* watcherOf(int fd) const noexcept {
    auto index = static_cast<std::size_t>(static_cast<unsigned>(fd));
    return index < watchers_.size() ? watchers_[index] : nullptr;
  }
  /// Forgets `fd`'s watcher and returns it (nullptr if it had none).
  Watcher* forgetWatcher(int fd) noexcept {
    auto index = static_cast<std::size_t>(static_cast<unsigned>(fd));
    if (index >= watchers_.size()) return nullptr;
    Watcher* old = std::exchange(watchers_[index], nullptr);
    if (old == hot_) hot_ = nullptr;
    return old;
  }
  void setWatcher(int fd, Watcher* watcher) {
    auto index = static_cast<std::size_t>(fd);
    if (index < watchers_.size()) {
      if (watchers_[index] == hot_ && watcher != hot_) hot_ = nullptr;
      watchers_[index] = watcher;
    } else if (watcher) {
      growWatchers(index, watcher);
    }
  }

  /// Notes the watcher whose readability was dispatched last (see
  /// spinPoll). Forgotten when it stops watching (forgetWatcher,
  /// setWatcher), so the spin never reads through a watcher that is gone.
  void dispatchedReadable(Watcher* watcher) noexcept {
    hot_ = watcher;
  }

  /// stopWatching() for any backend, at any time.
  virtual void stopWatchingAny(int fd, Watcher* watcher) {
    (void)watcher;
    unwatch(fd);
  }

#ifdef DGRAM_HAVE_EPOLL
  /// A socket's descriptor leaves the epoll set: stopWatching's inline
  /// path and the epoll backend's stopWatchingAny, which also voids the
  /// batch's events for it. It cannot fail for a registered, open
  /// descriptor, and the descriptor is about to be closed, which removes
  /// it from the set anyway: nothing to report.
  void leaveEpollSet(int fd, Watcher* watcher) noexcept {
    if (watcher == hot_) hot_ = nullptr;
    (void)::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  }
#endif  // DGRAM_HAVE_EPOLL

  Wakeup wakeup_;
  static constexpr unsigned kSpinWaitEvery = 8;
  // The epoll backend's, here for stopWatching and registerNewReadable (in
  // every build, so that the class is the same wherever it is included): its
  // set (-1 for the other backends), and the events in the batch being
  // dispatched (0 between batches; the kqueue backend keeps a count of its
  // own). count_ is -1 for the other backends, so that one test says
  // whether stopWatching may leave the epoll set inline (an epoll backend
  // between batches).
  int epfd_ = -1;
  int count_ = -1;

 private:
  // The tables' growth, out of line (descriptors mostly rise, and the
  // tables double).
  void growWatchers(std::size_t index, Watcher* watcher);
  void growClaimed(std::size_t index);

 protected:
  Watcher* hot_ = nullptr;
  DescriptorTable<Watcher*> watchers_;
  /// A byte per descriptor rather than a bit: claim and release are
  /// once per socket, and bit access costs more than the bytes save.
  DescriptorTable<std::uint8_t> claimed_;
#ifdef DGRAM_HAVE_RECVMMSG
  std::unique_ptr<ReceiveHeaders> receiveHeaders_;
#endif  // DGRAM_HAVE_RECVMMSG
};

}  // namespace dgram::detail
