// A thread-safe way to interrupt a poller's wait: eventfd on Linux, a
// non-blocking pipe elsewhere.
// Layer: platform (readiness backends).
#pragma once

#include "common/sys_error.hpp"

namespace dgram::detail {

class Wakeup {
 public:
  /// Throws dgram::Error if the system refuses.
  Wakeup();
  /// Reports a refusal in `error` (and the call in `syscall`) instead;
  /// the channel is then unusable.
  Wakeup(SysError& error, const char*& syscall) noexcept;
  ~Wakeup();
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  /// The fd to watch for readable.
  int fd() const noexcept { return readFd_; }
  /// Thread-safe and async-signal-safe (errno is kept): makes fd()
  /// readable.
  void signal() noexcept;
  /// Consumes all pending signals (loop thread).
  void drain() noexcept;

 private:
  /// Opens the channel; the call that failed, or nullptr.
  const char* open(SysError& error) noexcept;

  int readFd_ = -1;
  int writeFd_ = -1;
};

}  // namespace dgram::detail
