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
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// The loop `createSocket` uses when no loop is given.
  static Loop& defaultLoop();
  /// The backends compiled into this build, best first.
  static std::vector<std::string_view> availableBackends();

  /// Runs iterations (see `runOnce`) until nothing ref'd is left (no
  /// ref'd bound socket, pending timer, lookup, queued send or pending
  /// callback) or `stop()` is called. An 'error' emitted with no listener
  /// is thrown from here, and so is an exception from any callback. Called
  /// from inside a callback of this same loop (re-entered), it throws
  /// `dgram::Error` `ERR_INVALID_STATE` and runs nothing.
  void run();
  /// One iteration, in this order: the timers that are due, the posted
  /// jobs (see `post`), the deferred callbacks (the sockets' 'listening',
  /// send callbacks and the like); the sends issued so far leave (the
  /// readiness backends batch a phase's sends until here; IOCP hands each
  /// to the system as it is issued); the wait for I/O, at most `timeout`,
  /// and its dispatch ('message'...); then the due timers, posted jobs and
  /// deferred callbacks again, and the sends leave again. The wait does not
  /// block when the iteration started with callbacks to run (as libuv's
  /// UV_RUN_ONCE) or one of them threw. Every iteration reaches the wait
  /// whatever callbacks throw: the first exception stops the phase it came from
  /// (what it did not run waits for the next iteration), the phases after the
  /// wait are skipped, and it is thrown when the iteration ends; one from the
  /// I/O dispatch after it is thrown by the next call, which only polls I/O.
  /// Returns whether anything ref'd is left. Refuses re-entry as `run()` does.
  bool runOnce(std::chrono::milliseconds timeout);
  /// Thread-safe: makes `run()` return after the current iteration.
  void stop();
  /// Thread-safe: runs `fn` on the loop thread in the first posted-jobs
  /// phase that begins after this call returns, never inside it. An
  /// iteration has two such phases, after its due timers and after its
  /// I/O wait, and each runs only the jobs queued when it began. So, as in
  /// libuv, a job posted from a timer or an I/O callback ('message') runs
  /// in the same iteration (from a timer, on the readiness backends:
  /// before the sends that timer issued leave); one posted from a posted
  /// job or a deferred callback runs in the next such phase (after the I/O
  /// wait, or in the next iteration), so jobs that post jobs never starve I/O;
  /// one posted from another thread wakes a waiting loop and runs in that
  /// iteration. A job that throws: see `runOnce`. Safe until the loop's
  /// destructor starts; the destructor waits for calls in progress, so the loop
  /// may be destroyed as soon as `fn` has run (jobs not run then are destroyed
  /// unrun).
  void post(std::function<void()> fn);

  /// Calls `fn` once after `delay`. A pending timer keeps the loop alive.
  TimerId setTimeout(std::chrono::milliseconds delay, std::function<void()> fn);
  /// Cancels a pending timer (O(log n); its callback is freed at once);
  /// unknown or fired ids are ignored.
  void clearTimeout(TimerId id);

  /// "epoll", "kqueue", "poll" or "iocp".
  std::string_view backend() const;

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
