// dgram::Loop: the reactor that runs sockets, timers and posted work.
// Layer: public API.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dgram/error.hpp"
#include "dgram/export.hpp"
#include "dgram/signal_watcher.hpp"
#include "dgram/timeout.hpp"

DGRAM_DLL_WARNINGS_PUSH

namespace dgram {

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

/// One descriptor a host event loop waits on for this loop
/// (`Loop::pollDescriptors`), as a `pollfd` asks for it.
struct PollDescriptor {
  int fd = -1;            ///< a file descriptor (POSIX)
  bool readable = false;  ///< wait for POLLIN
  bool writable = false;  ///< wait for POLLOUT
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
  /// halves it, down to zero; one whose first poll found work changes
  /// nothing (it was there before the spin began: a sleep would have
  /// returned at once too), except that after a raise from zero it counts
  /// as a failed try. While spinning, the loop mostly reads the socket that was
  /// readable last directly (one system call per datagram less than a
  /// wait and a read), and every few polls waits for everything else.
  /// So:
  /// - while traffic is hot, the loop's thread keeps its core busy: up to
  ///   `maxSpin` of polling per wait, a full core when replies keep coming
  ///   within it;
  /// - an idle loop costs nothing: a loop going quiet spends about twice
  ///   `maxSpin` in all, then sleeps exactly as in the default mode (timers
  ///   alone never raise the budget);
  /// - on one core, with the peer on the same core, spinning only delays
  ///   the peer (which runs when this loop sleeps, or preempts it, in
  ///   which case the reply is there at the first poll): a spin that
  ///   follows a zero budget and finds nothing, or finds the reply at its
  ///   first poll, drops back to zero at once,
  ///   and each such failure in a row doubles the number of wake-ups
  ///   before the next try (up to 1024), so the cost falls to about one
  ///   wasted spin per thousand wake-ups.
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

  /// Runs iterations (see `runOnce`) until nothing ref'd is left (no
  /// ref'd bound socket, pending timer, lookup, queued send or pending
  /// callback) or `stop()` is called; with nothing ref'd to begin with it
  /// returns at once, running nothing (not even unref'd timers that are
  /// due), as libuv's `uv_run`. An 'error' emitted with no listener is
  /// thrown from here (without exceptions: passed to the ErrorHandler,
  /// dgram/exceptions.hpp), and so is an exception from any callback. Called
  /// from inside a callback of this same loop (re-entered), it throws
  /// `dgram::Error` `ERR_INVALID_STATE` and runs nothing.
  void run();
  /// One iteration, in this order: the timers that are due, the posted
  /// jobs (see `post`), the deferred callbacks (the sockets' 'listening',
  /// send callbacks and the like); the sends issued so far leave (the
  /// readiness backends send a socket's first send of a phase at once and
  /// batch the ones after it until here; IOCP hands each to the system as
  /// it is issued); the wait for I/O, at most `timeout`,
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
  /// Makes `run()` return after the current iteration. Thread-safe, and
  /// async-signal-safe: a POSIX signal handler may call it (it takes no
  /// lock and keeps errno). The only call here that is: `post()` and the
  /// rest are not (use `onSignal` to run code on the loop instead).
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

  /// Calls `fn` once after `delay` (Node's `setTimeout`). A pending timer
  /// keeps the loop alive unless unref'd. As in Node, a delay under 1 ms
  /// is 1 ms, and timers due at the same time run in the order they were
  /// set. Unlike Node, which turns a delay over 2^31-1 ms (24.8 days) into
  /// 1 ms, a long delay is honoured (up to 100 years). An empty `fn`
  /// throws `ERR_INVALID_ARG_TYPE`.
  Timeout setTimeout(std::chrono::milliseconds delay, std::function<void()> fn);
  /// Calls `fn` every `delay` until cleared (Node's `setInterval`; the same
  /// delay rules). Each run is due `delay` after the loop's clock reading
  /// for the turn the previous run happened in, as in Node: lateness and a
  /// long callback push later runs back, they are never caught up in a
  /// burst.
  Timeout setInterval(std::chrono::milliseconds delay,
                      std::function<void()> fn);
  /// Cancels a pending timer (O(log n); its callback is freed at once, or
  /// when it returns if it is running); ids of timers that are gone are
  /// ignored. Takes either kind of timer, as Node's does.
  void clearTimeout(TimerId id);
  /// The same as `clearTimeout` (Node's `clearInterval`).
  void clearInterval(TimerId id);

  /// Runs `fn` on the loop's thread whenever signal `signum` arrives
  /// (Node's `process.on('SIGTERM', fn)`); `fn` gets the signal's number.
  /// Any number of watchers per signal and loop, and any number of loops
  /// may watch the same signal: each is called. A watcher starts unref'd,
  /// as Node's signal listeners: it does not keep `run()` alive on its own
  /// (`ref()` it to wait for a signal and nothing else). Signals that
  /// arrive again before the loop got to them are one call, as the kernel
  /// merges a pending signal.
  ///
  /// POSIX: a `sigaction` handler (installed with the first watcher of a
  /// signal in the process, the previous disposition put back after the
  /// last) writes to a pipe or eventfd the loop watches, so the callback
  /// runs like any I/O callback, on every backend. Signals blocked in
  /// every thread (`pthread_sigmask`) never arrive. Windows: the console's
  /// control handler (`SetConsoleCtrlHandler`): Ctrl-C is `SIGINT`,
  /// Ctrl-Break `SIGBREAK` and closing the console `SIGHUP` (1; Windows
  /// then ends the process within seconds, so the program gets that long
  /// to finish); `SIGTERM` is accepted and never arrives, as in Node.
  ///
  /// A number this platform has no signal for throws `dgram::Error`
  /// `ERR_UNKNOWN_SIGNAL`, an empty `fn` `ERR_INVALID_ARG_TYPE`. When the
  /// system refuses (`SIGKILL`, `SIGSTOP`: EINVAL from `sigaction`; no
  /// descriptor left) this overload throws the system error; the one
  /// with `error` returns an empty watcher and sets `error` instead.
  SignalWatcher onSignal(int signum, SignalListener fn);
  /// The same, reporting a system refusal in `error` (reset on success)
  /// instead of throwing it.
  SignalWatcher onSignal(int signum, SignalListener fn,
                         std::optional<Error>& error);

  /// Driving this loop from another event loop (a GUI toolkit's, a game
  /// loop, an RTOS task), as libuv's `uv_backend_fd`: wait on this, with
  /// at most `backendTimeout()`, then call `runOnce(0ms)`. epoll and
  /// kqueue: their descriptor, readable whenever this loop has I/O, a
  /// `post()`, a `stop()` or a signal to handle. poll: -1 (nothing one
  /// descriptor could stand for: use `pollDescriptors`). IOCP: the
  /// completion port's HANDLE, which another loop cannot wait on without
  /// taking this loop's completions: call `runOnce(0ms)` from the host's
  /// own timer or idle hook instead, at least every `backendTimeout()`.
  std::intptr_t backendFd() const noexcept;
  /// What a host's `poll()` watches for this loop, replacing `out`'s
  /// contents: epoll and kqueue one entry (`backendFd()`); poll every
  /// descriptor of the loop (sockets, the resolver's, the wake-up). The
  /// set changes as sockets open, close and wait to write: ask again
  /// before each wait. Returns false, with `out` empty, on IOCP, which
  /// has nothing to poll.
  bool pollDescriptors(std::vector<PollDescriptor>& out) const;
  /// libuv's `uv_backend_timeout`: how long a host may wait before it
  /// calls `runOnce(0ms)` even if nothing is ready: 0 when callbacks or a
  /// stop are waiting, the milliseconds to the next timer (ref'd or not),
  /// -1 when no timer is pending.
  int backendTimeout() const;

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
  /// The same, an error stored in `error` (reset on success) instead of
  /// thrown; the options in force are then left as they were.
  void setResolverOptions(const ResolverOptions& options,
                          std::optional<Error>& error);

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

/// Node's global `setTimeout`: `Loop::defaultLoop().setTimeout(...)`.
DGRAM_API Timeout setTimeout(std::chrono::milliseconds delay,
                             std::function<void()> fn);
/// Node's global `setInterval` on the default loop.
DGRAM_API Timeout setInterval(std::chrono::milliseconds delay,
                              std::function<void()> fn);
/// Node's global `clearTimeout` on the default loop.
DGRAM_API void clearTimeout(TimerId id);
/// Node's global `clearInterval` on the default loop.
DGRAM_API void clearInterval(TimerId id);
/// Node's `process.on(signal, fn)`: `Loop::defaultLoop().onSignal(...)`.
DGRAM_API SignalWatcher onSignal(int signum, SignalListener fn);

}  // namespace dgram

DGRAM_DLL_WARNINGS_POP
