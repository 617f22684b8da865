// A thread-safe way to interrupt a poller's wait: eventfd on Linux, a
// non-blocking pipe elsewhere.
// Layer: platform (readiness backends).
#pragma once

namespace dgram::detail {

class Wakeup {
 public:
  Wakeup();
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
  int readFd_ = -1;
  int writeFd_ = -1;
};

}  // namespace dgram::detail
