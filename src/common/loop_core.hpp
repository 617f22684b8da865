// LoopCore: the reactor behind dgram::Loop. One iteration runs due timers,
// the callbacks deferred to "after this tick", then waits for I/O.
// Layer: common state machine.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/backend.hpp"
#include "common/compiler.hpp"
#include "common/deferred_queue.hpp"
#include "common/ip_address.hpp"
#include "common/resolver.hpp"
#include "common/spin_budget.hpp"
#include "common/timers.hpp"
#include "dgram/error.hpp"
#include "dgram/loop.hpp"

namespace dgram::detail {

class SignalWatchers;
class SocketImpl;

/// Work a platform socket leaves for the end of the loop turn: the sends
/// issued during the turn, which then leave together (sendmmsg). `run`
/// runs no user code and does not throw: it hands datagrams to the kernel
/// and reports what happened through deferred callbacks. (A function and
/// its argument rather than an interface: no vtable pointer in every
/// socket.)
struct TurnEndWork {
  void (*run)(void* context) noexcept;
  void* context;
};

class LoopCore {
 public:
  explicit LoopCore(std::string_view backendName);
  ~LoopCore();

  Backend& backend() noexcept { return *backend_; }
  /// The dgram::Loop this is the core of (set once by Loop).
  Loop& publicLoop() const noexcept { return *publicLoop_; }
  void setPublicLoop(Loop& loop) noexcept { publicLoop_ = &loop; }

  // --- the iteration ------------------------------------------------------
  /// One iteration; waits at most `timeoutMs` (-1 = as long as needed).
  /// Returns whether anything ref'd is left. Throws an unhandled 'error',
  /// and ERR_INVALID_STATE if called from inside an iteration (a callback
  /// of this loop).
  bool runOnce(int timeoutMs);
  /// Loop::run(): turns until nothing ref'd is left or stop() is called
  /// (the stop request is taken). Throws as runOnce does.
  void run();
  /// Whether anything ref'd is left (asked at the end of every turn).
  bool alive() const noexcept {
    return handleRefs_ > 0 || requests_ > 0 || timers_.refCount() > 0 ||
           !deferred_.empty() || postedCount_.load() > 0 || carried_;
  }
  /// Thread-safe and async-signal-safe (see loop_core.cpp).
  void stop();
  bool takeStopRequest() noexcept {
    // A plain load first: the usual answer (no stop) writes nothing.
    return stopRequested_.load() && stopRequested_.exchange(false);
  }

  // --- latency mode -------------------------------------------------------
  /// The longest spin before a wait blocks (zero = off); the budget starts
  /// again from zero.
  void setMaxSpin(std::chrono::nanoseconds maxSpin) noexcept {
    spin_.setMaximum(maxSpin);
  }
  /// The spin's budget and counters (tests read how it adapted).
  const SpinBudget& spinBudget() const noexcept { return spin_; }
  /// Tests put the budget in a known state through this.
  SpinBudget& spinBudgetForTests() noexcept { return spin_; }

  // --- "after this tick" ------------------------------------------------
  /// Runs `fn` on a later turn, in FIFO order with other deferred calls.
  /// A lambda that captures one pointer is stored without allocating.
  void defer(std::function<void()> fn);
  /// The same, in the same order, for a call that needs no std::function.
  void defer(const DeferredCall& call) { deferred_.push(call); }
  /// Thread-safe defer. Safe until the destructor starts, which waits for
  /// calls in progress (as it does for stop()).
  void post(std::function<void()> fn);

  // --- the end of the turn ------------------------------------------------
  /// Whether the loop thread is inside runOnce (a callback of this loop is
  /// running, or the loop is dispatching events).
  bool inTurn() const noexcept { return iterating_; }
  /// Runs `work` once before this turn waits for I/O or returns, whichever
  /// comes first. The caller schedules it once until it has run or been
  /// cancelled (the socket keeps that flag; no search here per send).
  void atTurnEnd(TurnEndWork work) {
    pending_ |= kTurnEndPending;
    // Most turns have one (one socket sent): it takes no vector.
    if (!turnEndFirst_.run)
      turnEndFirst_ = work;
    else
      turnEnd_.push_back(work);
  }
  /// Forgets the work scheduled by atTurnEnd for `context` (its owner is
  /// closing).
  void cancelTurnEnd(void* context) noexcept;
  /// Whether `socket` may send its datagram at once rather than at the
  /// turn's end: true for its first send since the turn's last flush (and
  /// remembered), false for the ones after it, which then batch. Only the
  /// first few sockets of a turn are remembered; the others batch from
  /// their first send. (Compared, never dereferenced.)
  bool firstSendOfTurn(const void* socket) noexcept {
    for (std::size_t i = 0; i < sentAtOnceCount_; ++i)
      if (sentAtOnce_[i] == socket) return false;
    if (sentAtOnceCount_ == kSentAtOnce) return false;
    sentAtOnce_[sentAtOnceCount_++] = socket;
    return true;
  }

  // --- timers -------------------------------------------------------------
  Timers& timers() noexcept { return timers_; }

  // --- signals ------------------------------------------------------------
  /// The loop's signal watchers, created with the first (signals.cpp).
  SignalWatchers& signals();

  // --- embedding in another event loop ------------------------------------
  /// Milliseconds until this loop has work without I/O: 0 when callbacks
  /// or a stop are waiting, the time to the next timer, or -1 (none).
  int backendTimeout() const;

  // --- liveness -----------------------------------------------------------
  /// Ref'd active handles (bound, ref'd sockets).
  void addHandleRef() noexcept { ++handleRefs_; }
  void removeHandleRef() noexcept { --handleRefs_; }
  /// Requests in flight (sends, lookups): always ref'd, as in libuv.
  void addRequest() noexcept { ++requests_; }
  void removeRequest() noexcept { --requests_; }

  // --- errors nobody listened to -------------------------------------------
  /// An 'error' emitted with no listener: thrown from run() after the
  /// current callback returns (Node would crash the process with it).
  void raiseUnhandled(const Error& error);

  // --- sockets ------------------------------------------------------------
  /// Open sockets, so the loop can close them if it is destroyed first
  /// (inline, in socket_impl.hpp).
  inline void attach(SocketImpl* socket);
  inline void detach(SocketImpl* socket);

  /// The loop's name resolver, created on first use.
  Resolver& resolver();
  /// Validates and applies resolver options (now and for a later resolver).
  void setResolverOptions(const ResolverOptions& options,
                          ErrorSink sink = nullptr);

  /// Scratch memory for received datagrams, shared by the loop's sockets
  /// (only one socket reads at a time).
  std::uint8_t* receiveArena(std::size_t bytes) {
    return arenaSize_ >= bytes ? arena_.get() : growArena(bytes);
  }
  /// The arena as receiveArena last returned it.
  std::uint8_t* arena() const noexcept { return arena_.get(); }

  /// Per-datagram caches, shared by the loop's sockets rather than kept in
  /// each (only one socket sends or receives at a time): the last host
  /// text a send parsed, and the last sender a 'message' listener got.
  struct DatagramCaches {
    /// The last host text parsed (one too long for it is not kept: no
    /// numeric address is that long).
    IpString host;
    Family hostFamily = Family::IPv4;  ///< the family it was parsed for
    std::optional<IpAddress> hostIp;
    /// `host` is what formatting `hostIp` gives (no zone): a send to it
    /// need not keep a copy of the text for its error message.
    bool hostCanonical = false;
    /// `remote.address` is always this address's text.
    IpAddress sender;
    /// `remote` describes a datagram from `sender` with no metadata: the
    /// next such datagram changes only its port, size and TOS.
    bool plainSender = false;
    IpAddress local;    ///< the last destination reported (recvPktInfo)
    RemoteInfo remote;  ///< what listeners get (a const reference)
    /// The platform's key for the sender `remote` describes, when it
    /// described a datagram that had one (Arrival::senderKey), else 0.
    std::uint64_t senderKey = 0;
  };
  DatagramCaches& datagramCaches() noexcept { return caches_; }

  /// Ids for the listeners of this loop's sockets (`off` takes them): one
  /// counter per loop rather than one per socket.
  std::uint64_t nextListenerId() noexcept { return nextListenerId_++; }

 private:
  // Work of the loop thread waiting for a phase of the turn, one bit per
  // kind, set where it is scheduled and cleared where it is taken: a turn
  // with nothing but I/O to do (the usual turn of a busy loop) sees that
  // in one test of this word, the deferred queue's size and the posted
  // count (posted work comes from other threads) instead of one per
  // phase. (The queue's size is its own: a bit for it would have to
  // follow every push, pop and throw.)
  enum : unsigned {
    kTurnEndPending = 1u,    ///< atTurnEnd work is scheduled
    kUnhandledPending = 2u,  ///< unhandled_ holds an error
    kCarriedPending = 4u,    ///< carried_ holds an exception
  };
  /// Whether a phase other than the timers and the I/O wait has work.
  bool busy() const noexcept {
    return (pending_ | deferred_.size() | postedCount_.load()) != 0;
  }
  // The phases of a turn. Each is one test when it has nothing to do: the
  // work is out of line.
  void runDeferred() {
    if (!deferred_.empty()) runDeferredCalls();
  }
  void runPosted() {
    if (postedCount_.load() != 0) runPostedCalls();
  }
  void runTurnEnd() noexcept {
    sentAtOnceCount_ = 0;  // the next sends may leave at once again
    if (pending_ & kTurnEndPending) runTurnEndWork();
  }
  void throwPending() {
    if (pending_ & kUnhandledPending) throwUnhandled();
  }
  /// One turn (runOnce and run, inside the re-entry guard). `knownAlive`:
  /// the caller knows alive() is true (run() turns only while it is).
  DGRAM_ALWAYS_INLINE bool turn(int timeoutMs, bool knownAlive);
  /// A turn that starts with work before its wait (callbacks, a timer
  /// due, a carried exception, turn-end work): every phase.
  DGRAM_NOINLINE bool busyTurn(int timeoutMs,
                               std::optional<Timers::Clock::time_point> now);
  /// The phases after the wait of a turn that the wait left busy, or whose
  /// wait may have timed out; `failed`: the turn has an exception already.
  DGRAM_NOINLINE void afterWait(bool dispatched, bool failed);
  /// A turn without work before its wait whose dispatch threw: ends the
  /// turn and throws `failure`.
  [[noreturn]] DGRAM_NOINLINE void failQuietTurn(std::exception_ptr failure);
  [[noreturn]] DGRAM_NOINLINE void throwReentered();
  std::uint8_t* growArena(std::size_t bytes);
  void runDeferredCalls();
  void runPostedCalls();
  void runTurnEndWork() noexcept;
  [[noreturn]] void throwUnhandled();
  /// After a wait that may have timed out: runs the timers due now.
  void runTimersDueNow() {
    if (timers_.empty()) return;
    Timers::Clock::time_point now = Timers::Clock::now();
    if (timers_.anyDue(now)) timers_.runDue(now);
  }
  /// The wait's timeout when no callback is waiting: `requestedMs`, or
  /// less when a timer comes sooner; 0 on a stop, or when nothing could
  /// ever end the wait. `now` is this turn's clock reading, there exactly
  /// when a timer is pending (null: none is). `knownAlive`: alive() is true
  /// (the caller knows; it is then not asked again).
  int pollTimeout(int requestedMs, const Timers::Clock::time_point* now,
                  bool knownAlive);
  /// The turn's wait for I/O: straight to the backend, or in latency mode
  /// after a spin. One branch when the mode is off.
  /// Returns what the backend's wait returns (see Backend::wait).
  bool waitForIo(int timeoutMs) {
    if (spin_.enabled()) return spinThenWait(timeoutMs);
    return backend_->wait(timeoutMs);
  }
  bool spinThenWait(int timeoutMs);

  std::unique_ptr<Backend> backend_;
  SpinBudget spin_;  ///< latency mode (off: maximum zero)
  Timers timers_;
  /// The deferred calls in order. An entry with no `run` stands for the
  /// next of functions_ (calls that need a std::function), so both kinds
  /// keep one order while the usual one stays plain data.
  DeferredQueue deferred_;
  std::vector<std::function<void()>> functions_;
  std::size_t functionsTaken_ = 0;  ///< of functions_, run or running
  /// The first work scheduled this turn (`run` null: none), then the
  /// others, only while the first slot is taken.
  TurnEndWork turnEndFirst_{nullptr, nullptr};
  std::vector<TurnEndWork> turnEnd_;  ///< capacity kept: no allocation
  std::vector<TurnEndWork> turnEndRunning_;
  std::mutex postedMutex_;
  std::vector<std::function<void()>> posted_;
  std::atomic<std::size_t> postedCount_{0};
  std::atomic<bool> stopRequested_{false};
  std::atomic<int> stopsInProgress_{0};  ///< stop() calls not yet returned
  // stop() is called from signal handlers: its atomics must not hide a
  // lock.
  static_assert(std::atomic<bool>::is_always_lock_free &&
                std::atomic<int>::is_always_lock_free);
  bool iterating_ = false;  ///< inside runOnce (loop thread only)
  unsigned pending_ = 0;    ///< k...Pending bits (loop thread only)
  static constexpr std::size_t kSentAtOnce = 8;
  const void* sentAtOnce_[kSentAtOnce];  ///< see firstSendOfTurn
  std::size_t sentAtOnceCount_ = 0;
  std::size_t handleRefs_ = 0;
  std::size_t requests_ = 0;
  std::optional<Error> unhandled_;
  /// An exception an iteration could not throw (it had one already):
  /// thrown by the next (see runOnce).
  std::exception_ptr carried_;
  std::vector<SocketImpl*> sockets_;
  /// Not zeroed: pages the kernel never writes to are never touched, so
  /// they cost no memory.
  std::unique_ptr<std::uint8_t[]> arena_;
  std::size_t arenaSize_ = 0;
  DatagramCaches caches_;
  Loop* publicLoop_ = nullptr;
  std::uint64_t nextListenerId_ = 1;
  ResolverOptions resolverOptions_;
  std::unique_ptr<Resolver> resolver_;
  /// Last: destroyed first, while the backend it watches through exists.
  std::unique_ptr<SignalWatchers> signals_;
};

}  // namespace dgram::detail

namespace dgram {

/// What dgram::Loop holds, under the opaque name its header declares; the
/// library reaches it with `coreOf(loop)`.
class Loop::Core final : public detail::LoopCore {
 public:
  using LoopCore::LoopCore;
};

}  // namespace dgram
