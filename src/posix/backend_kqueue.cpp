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
#include "posix/errno_map.hpp"
#include "posix/poller.hpp"

namespace dgram::detail {
namespace {

class KqueuePoller final : public Poller {
 public:
  KqueuePoller() {
    kq_ = ::kqueue();
    if (kq_ < 0) throw errnoException(sysErrorFromErrno(errno), "kqueue");
    change(wakeup_.fd(), EVFILT_READ, EV_ADD);
  }
  ~KqueuePoller() override { ::close(kq_); }

  std::string_view name() const noexcept override { return "kqueue"; }

  void watch(int fd, unsigned events, Watcher* watcher) override {
    if (events == 0) {
      unwatch(fd);
      return;
    }
    unsigned before = interestOf(fd);
    setWatcher(fd, watcher);
    setInterest(fd, events);
    apply(fd, EVFILT_READ, before & kReadable, events & kReadable);
    apply(fd, EVFILT_WRITE, before & kWritable, events & kWritable);
  }

  void unwatch(int fd) override {
    if (!watcherOf(fd)) return;
    unsigned before = interestOf(fd);
    apply(fd, EVFILT_READ, before & kReadable, 0);
    apply(fd, EVFILT_WRITE, before & kWritable, 0);
    setWatcher(fd, nullptr);
    setInterest(fd, 0);
  }

  void wait(int timeoutMs) override {
    timespec timeout{};
    timespec* limit = nullptr;
    if (timeoutMs >= 0) {
      timeout.tv_sec = timeoutMs / 1000;
      timeout.tv_nsec = static_cast<long>(timeoutMs % 1000) * 1000000L;
      limit = &timeout;
    }
    int count = ::kevent(kq_, nullptr, 0, events_, kBatch, limit);
    for (int i = 0; i < count; ++i) {
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
      watcher->onReady(ready);
    }
  }

 private:
  static constexpr int kBatch = 64;

  void change(int fd, short filter, unsigned short flags) {
    struct kevent event;
    EV_SET(&event, static_cast<uintptr_t>(fd), filter, flags, 0, 0, nullptr);
    ::kevent(kq_, &event, 1, nullptr, 0, nullptr);
  }
  void apply(int fd, short filter, bool had, bool wants) {
    if (had != wants) change(fd, filter, wants ? EV_ADD : EV_DELETE);
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
};

}  // namespace

std::unique_ptr<Poller> createKqueuePoller() {
  return std::make_unique<KqueuePoller>();
}

}  // namespace dgram::detail
