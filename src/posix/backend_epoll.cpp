// The epoll backend (Linux). Level-triggered; interest changes are applied
// at once with epoll_ctl, which is cheap and keeps the code small.
// Layer: platform (readiness backends).
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "common/compiler.hpp"
#include "common/errors.hpp"
#include "common/raise.hpp"
#include "posix/errno_map.hpp"
#include "posix/fault_call.hpp"
#include "posix/poller.hpp"

namespace dgram::detail {
namespace {

class EpollPoller final : public Poller {
 public:
  EpollPoller() {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0)
      detail::throwError(
          errnoException(sysErrorFromErrno(errno), "epoll_create1"));
    // The wake-up is the one registration without a watcher (see wait).
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = nullptr;
    if (control(EPOLL_CTL_ADD, wakeup_.fd(), &event) != 0) {
      // A loop that cannot be woken would miss post() and stop().
      int error = errno;
      ::close(epfd_);
      detail::throwError(errnoException(sysErrorFromErrno(error), "epoll_ctl"));
    }
    count_ = 0;  // no batch yet: stopWatching may leave the set inline
  }
  ~EpollPoller() override { ::close(epfd_); }

  std::string_view name() const noexcept override { return "epoll"; }
  const char* controlCall() const noexcept override { return "epoll_ctl"; }
  // Readable while any descriptor in the set is ready (level-triggered),
  // the wake-up included: a host can poll it.
  std::intptr_t backendFd() const noexcept override { return epfd_; }

  int watch(int fd, unsigned events, Watcher* watcher) override {
    if (events == 0) {
      unwatch(fd);
      return 0;
    }
    epoll_event event = eventFor(events, watcher);
    Watcher* old = watcherOf(fd);
    int op = old ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (control(op, fd, &event) != 0) return errno;
    if (old != watcher) voidEventsOf(old);
    setWatcher(fd, watcher);
    return 0;
  }

  // The UDP sockets' calls (see Poller): as watch() and unwatch(), without
  // the table entry. (Their registration at bind is
  // Poller::registerNewReadable's, inline where the sockets are opened.)
  int rewatch(int fd, unsigned events, unsigned watched,
              Watcher* watcher) override {
    if (events == 0) {
      stopWatchingAny(fd, watcher);
      return 0;
    }
    epoll_event event = eventFor(events, watcher);
    int op = watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    return control(op, fd, &event) != 0 ? errno : 0;
  }

  // (The sockets' usual call, outside a dispatch, is done by
  // Poller::stopWatching.)
  void stopWatchingAny(int fd, Watcher* watcher) override {
    leaveEpollSet(fd, watcher);
    voidEventsOf(watcher);
  }

  void unwatch(int fd) override {
    if (Watcher* old = forgetWatcher(fd)) stopWatchingAny(fd, old);
  }

  bool wait(int timeoutMs) override {
    const int count = ::epoll_wait(epfd_, events_, kBatch, timeoutMs);
    if (count <= 0) return count == 0 ? false : waitFailed();
    count_ = count;
    for (int i = 0; i < count; ++i) {
      const epoll_event& event = events_[i];
      auto* watcher = static_cast<Watcher*>(event.data.ptr);
      if (!watcher) {
        // The wake-up, or an event voided by unwatch (no events left).
        if (event.events) wakeup_.drain();
        continue;
      }
      const std::uint32_t e = event.events;
      // Readable alone is the usual event: one test.
      unsigned ready =
          e == EPOLLIN ? kReadable
                       : ((e & EPOLLIN) ? kReadable : 0u) |
                             ((e & EPOLLOUT) ? kWritable : 0u) |
                             ((e & (EPOLLERR | EPOLLHUP)) ? kErrorEvent : 0u);
      if (ready & kReadable) dispatchedReadable(watcher);
      DGRAM_TRY {
        watcher->onReady(ready);
      }
      DGRAM_CATCH(...) {
        count_ = 0;
        DGRAM_RETHROW;
      }
    }
    count_ = 0;
    return true;
  }

 private:
  static constexpr int kBatch = 64;

  /// epoll_wait failed: EINTR (a signal) is an early return the loop
  /// already copes with; anything else means the set itself is broken.
  DGRAM_NOINLINE bool waitFailed() {
    if (errno == EINTR) return false;
    detail::throwError(errnoException(sysErrorFromErrno(errno), "epoll_wait"));
  }

  /// The registration of `watcher` for `events` (kReadable, kWritable):
  /// the event carries the watcher itself, so the dispatch needs no lookup
  /// by descriptor.
  static epoll_event eventFor(unsigned events, Watcher* watcher) noexcept {
    epoll_event event{};
    event.events = ((events & kReadable) ? EPOLLIN : 0u) |
                   ((events & kWritable) ? EPOLLOUT : 0u);
    event.data.ptr = watcher;
    return event;
  }

  /// The events of `watcher` later in this batch are void: it is gone or
  /// watches no more, and its descriptor's number may be reused by a
  /// callback before they are dispatched. (The whole batch is searched:
  /// voiding events already dispatched changes nothing, and the dispatch
  /// need not say where it is.)
  void voidEventsOf(Watcher* watcher) noexcept {
    if (!watcher) return;
    for (int i = 0; i < count_; ++i) {
      if (events_[i].data.ptr == watcher) {
        events_[i].data.ptr = nullptr;
        events_[i].events = 0;
      }
    }
  }

  int control(int op, int fd, epoll_event* event) {
    return faultableCall(fault::Call::pollerCtl,
                         [&] { return ::epoll_ctl(epfd_, op, fd, event); });
  }

  epoll_event events_[kBatch];
};

}  // namespace

std::unique_ptr<Poller> createEpollPoller() {
  return std::make_unique<EpollPoller>();
}

}  // namespace dgram::detail
