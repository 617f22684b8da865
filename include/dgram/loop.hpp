// dgram::Loop: the reactor that runs sockets, timers and posted work.
// Layer: public API.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dgram/export.hpp"

namespace dgram {

/// Identifies a timer made by `Loop::setTimeout`.
using TimerId = std::uint64_t;

/// How the loop's resolver looks up names (as Node's `dns.setServers`
/// plus c-ares' timeout and tries).
struct ResolverOptions {
  /// DNS servers as "127.0.0.1", "127.0.0.1:5353", "::1" or "[::1]:53";
  /// empty = the system's configuration.
  std::vector<std::string> servers;
  /// Time to wait for one server's answer; 0 = c-ares' default (5 s).
  std::chrono::milliseconds timeout{0};
  /// Attempts per server; 0 = c-ares' default (4).
  int tries = 0;
};

/// How a loop waits (see `Loop(const LoopOptions&)` and
/// `Loop::setOptions`).
struct LoopOptions {
  /// Latency mode: the longest time the loop polls for work without
  /// blocking before it goes to sleep; zero (the default) = off, the loop
  /// sleeps as soon as it has nothing to do. At most one second.
  ///
  /// Why: a sleeping loop is woken by the kernel, and waking a thread that
  /// sleeps on another core is slow (tens of microseconds in a virtual
  /// machine, more than the rest of a loopback round trip). A loop that is
  /// still polling when the reply arrives takes it at once: a ping-pong
  /// between two cores gets several times faster, and cheaper in CPU too,
  /// because a few empty polls cost less than a sleep and a wake-up.
  ///
  /// What it costs, and how the loop keeps that down: the budget adapts to
  /// the traffic, starting at zero. A sleep that ended with work soon after
  /// it began (hot traffic) raises the budget to `maxSpin`; a spin that
  /// finds work doubles it (up to `maxSpin`); a spin that finds nothing
  /// halves it, down to zero. So:
  /// - while traffic is hot, the loop's thread keeps its core busy: up to
  ///   `maxSpin` of polling per wait, a full core when replies keep coming
  ///   within it;
  /// - an idle loop costs nothing: a loop going quiet spends about twice
  ///   `maxSpin` in all, then sleeps exactly as in the default mode (timers
  ///   alone never raise the budget);
  /// - on one core, with the peer on the same core, spinning only delays
  ///   the peer: a spin that follows a zero budget and finds nothing drops
  ///   back to zero at once, and each such failure in a row doubles the
  ///   number of wake-ups before the next try (up to 1024), so the cost
  ///   falls to about one wasted spin per thousand wake-ups.
  /// Timers, `post()` and `stop()` behave as in the default mode: a spin
  /// ends at the next timer's due time and as soon as another thread posts
  /// or stops. A few tens of microseconds (50 is a good start) cover a
  /// cross-core round trip on loopback; more only burns CPU on a miss.
  std::chrono::microseconds maxSpin{0};
};

/// The event loop: one per thread. It owns the platform backend (epoll,
/// kqueue, poll or IOCP), timers and the queue of callbacks that run "after
/// this tick". Sockets and timers are used from the loop's thread only;
/// `post()` and `stop()` may be called from any thread until the
/// destructor starts (it waits for those calls still in progress).
class DGRAM_API Loop {
 public:
  /// A loop on the default backend: the `DGRAM_BACKEND` environment
  /// variable if set, else the best one compiled in.
  Loop();
  /// A loop on a named backend ("epoll", "poll", ...); throws
  /// `dgram::Error` `ERR_INVALID_ARG_VALUE` if it is not compiled in.
  explicit Loop(std::string_view backend);
  /// A loop on the default backend with `options`; throws `dgram::Error`
  /// `ERR_OUT_OF_RANGE` if `maxSpin` is negative or over one second.
  explicit Loop(const LoopOptions& options);
  /// A loop on a named backend with `options`.
  Loop(std::string_view backend, const LoopOptions& options);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// The loop `createSocket` uses when no loop is given.
  static Loop& defaultLoop();
  /// The backends compiled into this build, best first.
  static std::vector<std::string_view> availableBackends();

  /// Runs until nothing ref'd is left (no ref'd bound socket, pending
  /// timer, lookup, queued send or pending callback) or `stop()` is called.
  /// An 'error' emitted with no listener is thrown from here, and so is an
  /// exception from any callback. Called from inside a callback of this
  /// same loop (re-entered), it throws `dgram::Error` `ERR_INVALID_STATE`
  /// and runs nothing.
  void run();
  /// One iteration that waits at most `timeout` for I/O (not at all when
  /// it started with callbacks to run, as libuv's UV_RUN_ONCE); returns
  /// whether anything ref'd is left. Refuses re-entry as `run()` does.
  bool runOnce(std::chrono::milliseconds timeout);
  /// Thread-safe: makes `run()` return after the current iteration.
  void stop();
  /// Thread-safe: runs `fn` on the loop thread on a later iteration. Safe
  /// until the loop's destructor starts; the destructor waits for calls in
  /// progress, so the loop may be destroyed as soon as `fn` has run.
  void post(std::function<void()> fn);

  /// Calls `fn` once after `delay`. A pending timer keeps the loop alive.
  TimerId setTimeout(std::chrono::milliseconds delay, std::function<void()> fn);
  /// Cancels a pending timer (O(log n); its callback is freed at once);
  /// unknown or fired ids are ignored.
  void clearTimeout(TimerId id);

  /// "epoll", "kqueue", "poll" or "iocp".
  std::string_view backend() const;

  /// Changes the options of this loop (the default loop's, for one), from
  /// its thread; from the next wait on, the spin starts learning again from
  /// zero. Throws as the constructor does and changes nothing then.
  void setOptions(const LoopOptions& options);
  /// The options in force.
  LoopOptions options() const;

  /// Configures name lookup for every socket of this loop. A server string
  /// that is not an IP address (with an optional port) throws
  /// `ERR_INVALID_IP_ADDRESS`; a negative timeout or tries throws
  /// `ERR_OUT_OF_RANGE`. Lookups already in flight finish as they started.
  void setResolverOptions(const ResolverOptions& options);

 private:
  // The reactor behind the loop, defined inside the library.
  class Core;
  // The library's way in: a friend defined here and declared nowhere else,
  // so only argument-dependent lookup finds it, and what it returns is a
  // type users can neither name (private) nor use (incomplete).
  friend Core& coreOf(Loop& loop) noexcept { return *loop.core_; }

  std::unique_ptr<Core> core_;
};

/// `Loop::defaultLoop().run()`.
DGRAM_API void run();

}  // namespace dgram
