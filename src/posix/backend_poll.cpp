// The poll() backend: portable to any POSIX system. The pollfd array is
// rebuilt only when interest changes.
// Layer: platform (readiness backends).
#include <poll.h>

#include <cerrno>
#include <memory>
#include <new>
#include <vector>

#include "common/errors.hpp"
#include "common/raise.hpp"
#include "posix/errno_map.hpp"
#include "posix/fault_call.hpp"
#include "posix/poller.hpp"

namespace dgram::detail {
namespace {

class PollPoller final : public Poller {
 public:
  PollPoller() { fds_.push_back(pollfd{wakeup_.fd(), POLLIN, 0}); }

  std::string_view name() const noexcept override { return "poll"; }
  // The set lives in this process: the only way a change fails is that it
  // cannot grow (ENOMEM), reported against poll.
  const char* controlCall() const noexcept override { return "poll"; }

  // poll() keeps its set in this process: there is no descriptor that
  // becomes readable when one of the set does. A host polls the set
  // itself.
  std::intptr_t backendFd() const noexcept override { return -1; }
  bool pollDescriptors(std::vector<PollDescriptor>& out) const override {
    for (const pollfd& entry : fds_) {
      out.push_back(PollDescriptor{entry.fd, (entry.events & POLLIN) != 0,
                                   (entry.events & POLLOUT) != 0});
    }
    return true;
  }

  int watch(int fd, unsigned events, Watcher* watcher) override {
    if (events == 0) {
      unwatch(fd);
      return 0;
    }
    // The seam stands for the allocation failing (see controlCall).
    if (faultableCall(fault::Call::pollerCtl, [] { return 0; }) != 0)
      return errno;
    short mask = static_cast<short>(((events & kReadable) ? POLLIN : 0) |
                                    ((events & kWritable) ? POLLOUT : 0));
    DGRAM_TRY {
      bool found = false;
      for (pollfd& entry : fds_) {
        if (entry.fd == fd) {
          entry.events = mask;
          found = true;
          break;
        }
      }
      if (!found) fds_.push_back(pollfd{fd, mask, 0});
      setWatcher(fd, watcher);
    }
    DGRAM_CATCH(const std::bad_alloc&) {
      return ENOMEM;
    }
    return 0;
  }

  void unwatch(int fd) override {
    setWatcher(fd, nullptr);
    for (std::size_t i = 1; i < fds_.size(); ++i) {
      if (fds_[i].fd == fd) {
        fds_[i] = fds_.back();
        fds_.pop_back();
        break;
      }
    }
    // Its events still in the batch being dispatched are void: a
    // descriptor opened by a callback may get the same number first.
    for (pollfd& entry : ready_)
      if (entry.fd == fd) entry.fd = -1;
  }

  bool wait(int timeoutMs) override {
    // Dispatch from a copy: callbacks may watch or unwatch fds meanwhile.
    ready_ = fds_;
    int count = ::poll(ready_.data(), ready_.size(), timeoutMs);
    if (count < 0) {
      ready_.clear();
      // EINTR (a signal) is an early return the loop already copes with.
      if (errno == EINTR) return false;
      detail::throwError(errnoException(sysErrorFromErrno(errno), "poll"));
    }
    if (count == 0) {
      ready_.clear();
      return false;
    }
    if (ready_[0].revents) wakeup_.drain();
    DGRAM_TRY {
      for (std::size_t i = 1; i < ready_.size(); ++i) {
        const pollfd entry = ready_[i];
        if (entry.revents == 0 || entry.fd < 0) continue;
        Watcher* watcher = watcherOf(entry.fd);
        if (!watcher) continue;
        unsigned events =
            ((entry.revents & POLLIN) ? kReadable : 0u) |
            ((entry.revents & POLLOUT) ? kWritable : 0u) |
            ((entry.revents & (POLLERR | POLLHUP | POLLNVAL)) ? kErrorEvent
                                                              : 0u);
        if (events & kReadable) dispatchedReadable(watcher);
        watcher->onReady(events);
      }
    }
    DGRAM_CATCH(...) {
      ready_.clear();
      DGRAM_RETHROW;
    }
    ready_.clear();
    return true;
  }

 private:
  std::vector<pollfd> fds_;
  std::vector<pollfd> ready_;  ///< the batch being dispatched
};

}  // namespace

std::unique_ptr<Poller> createPollPoller() {
  return std::make_unique<PollPoller>();
}

}  // namespace dgram::detail
