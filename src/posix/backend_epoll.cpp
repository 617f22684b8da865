// The epoll backend (Linux). Level-triggered; interest changes are applied
// at once with epoll_ctl, which is cheap and keeps the code small.
// Layer: platform (readiness backends).
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "common/errors.hpp"
#include "posix/errno_map.hpp"
#include "posix/poller.hpp"

namespace dgram::detail {
namespace {

class EpollPoller final : public Poller {
 public:
  EpollPoller() {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0)
      throw errnoException(sysErrorFromErrno(errno), "epoll_create1");
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wakeup_.fd();
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakeup_.fd(), &event);
  }
  ~EpollPoller() override { ::close(epfd_); }

  std::string_view name() const noexcept override { return "epoll"; }

  void watch(int fd, unsigned events, Watcher* watcher) override {
    if (events == 0) {
      unwatch(fd);
      return;
    }
    epoll_event event{};
    event.events = ((events & kReadable) ? EPOLLIN : 0u) |
                   ((events & kWritable) ? EPOLLOUT : 0u);
    event.data.fd = fd;
    int op = watcherOf(fd) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    setWatcher(fd, watcher);
    ::epoll_ctl(epfd_, op, fd, &event);
  }

  void unwatch(int fd) override {
    if (!watcherOf(fd)) return;
    setWatcher(fd, nullptr);
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  }

  void wait(int timeoutMs) override {
    int count = ::epoll_wait(epfd_, events_, kBatch, timeoutMs);
    for (int i = 0; i < count; ++i) {
      int fd = events_[i].data.fd;
      if (fd == wakeup_.fd()) {
        wakeup_.drain();
        continue;
      }
      // Looked up per event: a callback earlier in this batch may have
      // unwatched (closed) this fd.
      Watcher* watcher = watcherOf(fd);
      if (!watcher) continue;
      std::uint32_t e = events_[i].events;
      unsigned ready = ((e & EPOLLIN) ? kReadable : 0u) |
                       ((e & EPOLLOUT) ? kWritable : 0u) |
                       ((e & (EPOLLERR | EPOLLHUP)) ? kErrorEvent : 0u);
      watcher->onReady(ready);
    }
  }

 private:
  static constexpr int kBatch = 64;
  int epfd_ = -1;
  epoll_event events_[kBatch];
};

}  // namespace

std::unique_ptr<Poller> createEpollPoller() {
  return std::make_unique<EpollPoller>();
}

}  // namespace dgram::detail
