// The readiness seam under the POSIX backends (epoll, kqueue, poll): watch
// a file descriptor for readable/writable and get called back. Shared by
// the UDP sockets (and later c-ares' sockets).
#pragma once

#include <cstdint>
#include <vector>

#include "common/backend.hpp"
#include "posix/wakeup.hpp"

namespace dgram::detail {

enum : unsigned { kReadable = 1u, kWritable = 2u, kErrorEvent = 4u };

/// Something that owns a watched fd.
class Watcher {
 public:
  virtual ~Watcher() = default;
  /// `events` is a mask of kReadable / kWritable / kErrorEvent.
  virtual void onReady(unsigned events) = 0;
};

class Poller : public Backend {
 public:
  /// Starts, changes (`events` != 0) or stops (`events` == 0) watching `fd`.
  /// Level-triggered. Takes effect before the next wait.
  virtual void watch(int fd, unsigned events, Watcher* watcher) = 0;
  /// Stops watching `fd` and drops its events still pending in the batch
  /// being dispatched (call before closing the fd).
  virtual void unwatch(int fd) = 0;

  void wake() override { wakeup_.signal(); }

 protected:
  /// The watcher of `fd`, or nullptr if it was unwatched meanwhile.
  Watcher* watcherOf(int fd) const noexcept {
    return fd >= 0 && static_cast<std::size_t>(fd) < watchers_.size()
               ? watchers_[fd]
               : nullptr;
  }
  void setWatcher(int fd, Watcher* watcher);

  Wakeup wakeup_;
  std::vector<Watcher*> watchers_;
};

}  // namespace dgram::detail
