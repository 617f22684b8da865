// dgram::SignalWatcher: a callback on the loop when a signal arrives,
// Node's `process.on('SIGTERM', ...)`.
// Layer: public API.
#pragma once

#include <cstdint>
#include <functional>

#include "dgram/export.hpp"

namespace dgram {

class Loop;

/// What `Loop::onSignal` calls, on the loop's thread, with the signal's
/// number.
using SignalListener = std::function<void(int signum)>;

/// Names one signal watcher of one loop (made by `Loop::onSignal`). A
/// small value: copies name the same watcher, and dropping one leaves the
/// watcher running, as a listener added with `process.on` stays until
/// removed. Use it on the loop's thread while its loop exists; once
/// stopped, its methods do nothing.
class DGRAM_API SignalWatcher {
 public:
  /// Names no watcher (what `onSignal` returns when it fails).
  SignalWatcher() noexcept = default;

  /// Whether this names a watcher (false when `onSignal` failed).
  explicit operator bool() const noexcept { return id_ != 0; }
  /// The signal watched (0 if none).
  int signal() const noexcept { return signum_; }
  /// Whether the watcher is started and not stopped.
  bool active() const;
  /// Makes the watcher keep `run()` alive: a program that only waits for
  /// a signal. Watchers start unref'd, as Node's signal listeners do.
  SignalWatcher& ref();
  /// The watcher no longer keeps `run()` alive (the default).
  SignalWatcher& unref();
  /// Whether the watcher is active and ref'd.
  bool hasRef() const;
  /// Stops the watcher (Node's `process.off`); when the last watcher of a
  /// signal in the process stops, the signal's previous disposition is
  /// put back.
  void stop();

 private:
  friend class Loop;
  SignalWatcher(Loop& owner, std::uint64_t watcher, int watched) noexcept
      : loop_(&owner), id_(watcher), signum_(watched) {}

  Loop* loop_ = nullptr;
  std::uint64_t id_ = 0;
  int signum_ = 0;
};

}  // namespace dgram
