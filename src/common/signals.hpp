// Signals for a loop (Loop::onSignal): the loop's watchers, and the seam
// to the platform's half that hears the process's signals (POSIX: a
// sigaction handler writing to a pipe or eventfd the loop watches,
// posix/signal_source.cpp; Windows: the console's control handler,
// win32/signal_source.cpp).
// Layer: common state machine.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/sys_error.hpp"
#include "dgram/error.hpp"
#include "dgram/signal_watcher.hpp"

namespace dgram::detail {

class LoopCore;

/// Where a loop's signal source reports arrivals, on the loop's thread.
class SignalSink {
 public:
  /// `signum` arrived at least once since it was last reported (a
  /// signal that arrives again before the loop got to it is one call, as
  /// the kernel merges a signal that is already pending).
  virtual void signalArrived(int signum) = 0;

 protected:
  ~SignalSink() = default;
};

/// The platform's half: hears the signals one loop listens to.
class SignalSource {
 public:
  virtual ~SignalSource() = default;
  /// Starts hearing `signum` (the process-wide handler is installed when
  /// the first loop listens). Returns the failure, if any, and names the
  /// call that failed in `syscall`.
  virtual SysError listen(int signum, const char*& syscall) = 0;
  /// Stops hearing `signum` (the previous disposition is put back when no
  /// loop listens any more).
  virtual void unlisten(int signum) noexcept = 0;
};

/// Whether `signum` is a signal number of this platform (the argument
/// check; whether it can be caught is for `listen` to say).
bool isSignalNumber(int signum) noexcept;

/// A loop's signal watchers. Created with the loop's first watcher; the
/// platform source with it. Loop thread only.
class SignalWatchers final : public SignalSink {
 public:
  explicit SignalWatchers(LoopCore& loop) noexcept : loop_(loop) {}
  ~SignalWatchers();
  SignalWatchers(const SignalWatchers&) = delete;
  SignalWatchers& operator=(const SignalWatchers&) = delete;

  /// Starts a watcher (unref'd) and returns its id, or 0 with `error` set
  /// when the system refuses.
  std::uint64_t start(int signum, SignalListener fn,
                      std::optional<Error>& error);
  void stop(std::uint64_t id);
  bool active(std::uint64_t id) const noexcept;
  void setRef(std::uint64_t id, bool ref);
  bool hasRef(std::uint64_t id) const noexcept;

  void signalArrived(int signum) override;

 private:
  struct Entry {
    std::uint64_t id;
    int signum;
    std::shared_ptr<SignalListener> fn;  ///< kept alive while it runs
    bool ref;
  };
  std::size_t indexOf(std::uint64_t id) const noexcept;
  bool watched(int signum) const noexcept;

  LoopCore& loop_;
  std::unique_ptr<SignalSource> source_;
  std::vector<Entry> entries_;
  std::uint64_t nextId_ = 1;
};

}  // namespace dgram::detail
