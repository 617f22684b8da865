// The kqueue backend (macOS, BSDs). Level-triggered filters, one per
// direction; a change is applied at once with kevent(), as epoll_ctl is.
// <sys/types.h> first: older BSDs' <sys/event.h> needs it (own block so
// clang-format keeps the order).
// Layer: platform (readiness backends).
#include <sys/types.h>

#include <sys/event.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "common/errors.hpp"
#include "common/raise.hpp"
#include "posix/errno_map.hpp"
#include "posix/fault_call.hpp"
#include "posix/poller.hpp"

namespace dgram::detail {
namespace {

class KqueuePoller final : public Poller {
 public:
  KqueuePoller() {
    kq_ = ::kqueue();
    if (kq_ < 0)
      detail::throwError(errnoException(sysErrorFromErrno(errno), "kqueue"));
    if (change(wakeup_.fd(), EVFILT_READ, EV_ADD) != 0) {
      // A loop that cannot be woken would miss post() and stop().
      int error = errno;
      ::close(kq_);
      detail::throwError(errnoException(sysErrorFromErrno(error), "kevent"));
    }
  }
  ~KqueuePoller() override { ::close(kq_); }

  std::string_view name() const noexcept override { return "kqueue"; }
  const char* controlCall() const noexcept override { return "kevent"; }
  // A kqueue is readable while it has events pending: a host can poll it.
  std::intptr_t backendFd() const noexcept override { return kq_; }

  int watch(int fd, unsigned events, Watcher* watcher) override {
    if (events == 0) {
      unwatch(fd);
      return 0;
    }
    unsigned before = interestOf(fd);
    if (apply(fd, EVFILT_READ, before & kReadable, events & kReadable) != 0)
      return errno;
    if (apply(fd, EVFILT_WRITE, before & kWritable, events & kWritable) != 0) {
      // Undo the read filter's change so that nothing changed at all.
      int error = errno;
      (void)apply(fd, EVFILT_READ, events & kReadable, before & kReadable);
      return error;
    }
    setInterest(fd, events);
    setWatcher(fd, watcher);
    return 0;
  }

  void unwatch(int fd) override {
    if (!watcherOf(fd)) return;
    unsigned before = interestOf(fd);
    // Deleting a registered filter of an open fd cannot fail, and closing
    // the fd (next) drops its filters anyway: nothing to report.
    (void)apply(fd, EVFILT_READ, before & kReadable, 0);
    (void)apply(fd, EVFILT_WRITE, before & kWritable, 0);
    setWatcher(fd, nullptr);
    setInterest(fd, 0);
    // Its events later in this batch are void: a descriptor opened by a
    // callback may get the same number before they are dispatched.
    for (int i = next_; i < count_; ++i)
      if (static_cast<int>(events_[i].ident) == fd)
        events_[i].ident = static_cast<uintptr_t>(-1);
  }

  bool wait(int timeoutMs) override {
    timespec timeout{};
    timespec* limit = nullptr;
    if (timeoutMs >= 0) {
      timeout.tv_sec = timeoutMs / 1000;
      timeout.tv_nsec = static_cast<long>(timeoutMs % 1000) * 1000000L;
      limit = &timeout;
    }
    int count = ::kevent(kq_, nullptr, 0, events_, kBatch, limit);
    if (count < 0) {
      // EINTR (a signal) is an early return the loop already copes with;
      // anything else means the queue itself is broken.
      if (errno == EINTR) return false;
      detail::throwError(errnoException(sysErrorFromErrno(errno), "kevent"));
    }
    count_ = count;
    DGRAM_TRY {
      dispatch();
    }
    DGRAM_CATCH(...) {
      count_ = next_ = 0;
      DGRAM_RETHROW;
    }
    count_ = next_ = 0;
    return count > 0;
  }

 private:
  static constexpr int kBatch = 64;

  void dispatch() {
    for (next_ = 0; next_ < count_;) {
      int i = next_++;
      if (events_[i].ident == static_cast<uintptr_t>(-1)) continue;
      int fd = static_cast<int>(events_[i].ident);
      if (fd == wakeup_.fd()) {
        wakeup_.drain();
        continue;
      }
      // Looked up per event: an earlier callback may have closed this fd.
      Watcher* watcher = watcherOf(fd);
      if (!watcher) continue;
      unsigned ready = events_[i].filter == EVFILT_READ    ? kReadable
                       : events_[i].filter == EVFILT_WRITE ? kWritable
                                                           : 0u;
      // EV_EOF is kqueue's EPOLLHUP/EPOLLERR: set on shutdown and, with
      // the socket error in fflags, when an error ends the stream. (libkqueue
      // also sets it for a pending UDP error such as ECONNREFUSED, which it
      // reads, and so clears, with SO_ERROR; BSD and macOS leave it pending.)
      if (events_[i].flags & (EV_ERROR | EV_EOF)) ready |= kErrorEvent;
      if (ready & kReadable) dispatchedReadable(watcher);
      watcher->onReady(ready);
    }
  }

  /// One filter change; 0 or -1 with errno, as kevent().
  int change(int fd, short filter, unsigned short flags) {
    struct kevent event;
    EV_SET(&event, static_cast<uintptr_t>(fd), filter, flags, 0, 0, nullptr);
    return faultableCall(fault::Call::pollerCtl, [&] {
      return ::kevent(kq_, &event, 1, nullptr, 0, nullptr);
    });
  }
  int apply(int fd, short filter, bool had, bool wants) {
    if (had == wants) return 0;
    return change(fd, filter, wants ? EV_ADD : EV_DELETE);
  }
  unsigned interestOf(int fd) const {
    return fd >= 0 && static_cast<std::size_t>(fd) < interest_.size()
               ? interest_[fd]
               : 0u;
  }
  void setInterest(int fd, unsigned events) {
    if (static_cast<std::size_t>(fd) >= interest_.size())
      interest_.resize(static_cast<std::size_t>(fd) + 1, 0u);
    interest_[fd] = events;
  }

  int kq_ = -1;
  std::vector<unsigned> interest_;
  struct kevent events_[kBatch];
  int count_ = 0;  ///< events in the batch being dispatched
  int next_ = 0;   ///< the next of them to dispatch
};

}  // namespace

std::unique_ptr<Poller> createKqueuePoller() {
  return std::make_unique<KqueuePoller>();
}

}  // namespace dgram::detail
