// The poll() backend: portable to any POSIX system. The pollfd array is
// rebuilt only when interest changes.
// Layer: platform (readiness backends).
#include <poll.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "posix/poller.hpp"

namespace dgram::detail {
namespace {

class PollPoller final : public Poller {
 public:
  PollPoller() { fds_.push_back(pollfd{wakeup_.fd(), POLLIN, 0}); }

  std::string_view name() const noexcept override { return "poll"; }

  void watch(int fd, unsigned events, Watcher* watcher) override {
    if (events == 0) {
      unwatch(fd);
      return;
    }
    short mask = static_cast<short>(((events & kReadable) ? POLLIN : 0) |
                                    ((events & kWritable) ? POLLOUT : 0));
    setWatcher(fd, watcher);
    for (pollfd& entry : fds_) {
      if (entry.fd == fd) {
        entry.events = mask;
        return;
      }
    }
    fds_.push_back(pollfd{fd, mask, 0});
  }

  void unwatch(int fd) override {
    setWatcher(fd, nullptr);
    for (std::size_t i = 1; i < fds_.size(); ++i) {
      if (fds_[i].fd == fd) {
        fds_[i] = fds_.back();
        fds_.pop_back();
        return;
      }
    }
  }

  void wait(int timeoutMs) override {
    // Dispatch from a copy: callbacks may watch or unwatch fds meanwhile.
    ready_ = fds_;
    int count = ::poll(ready_.data(), ready_.size(), timeoutMs);
    if (count <= 0) return;
    if (ready_[0].revents) wakeup_.drain();
    for (std::size_t i = 1; i < ready_.size(); ++i) {
      const pollfd& entry = ready_[i];
      if (entry.revents == 0) continue;
      Watcher* watcher = watcherOf(entry.fd);
      if (!watcher) continue;
      unsigned events =
          ((entry.revents & POLLIN) ? kReadable : 0u) |
          ((entry.revents & POLLOUT) ? kWritable : 0u) |
          ((entry.revents & (POLLERR | POLLHUP | POLLNVAL)) ? kErrorEvent : 0u);
      watcher->onReady(events);
    }
  }

 private:
  std::vector<pollfd> fds_;
  std::vector<pollfd> ready_;
};

}  // namespace

std::unique_ptr<Poller> createPollPoller() {
  return std::make_unique<PollPoller>();
}

}  // namespace dgram::detail
