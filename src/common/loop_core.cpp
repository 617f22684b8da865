// LoopCore: one iteration (timers, deferred calls, posted calls, I/O wait)
// and the bookkeeping that decides whether the loop is still alive.
// Layer: common state machine.
#include "common/loop_core.hpp"

#include <algorithm>
#include <exception>
#include <thread>
#include <utility>

#include "common/errors.hpp"
#include "common/raise.hpp"
#include "common/signals.hpp"
#include "common/socket_impl.hpp"

namespace dgram::detail {
namespace {

// std::function calls whose queue capacity is kept between turns (32
// bytes each).
constexpr std::size_t kKeptFunctionCapacity = 1024;

}  // namespace

LoopCore::LoopCore(std::string_view backendName)
    : backend_(createPlatformBackend(backendName)) {
  if (!backend_) detail::throwError(errInvalidArgValue("backend", backendName));
}

LoopCore::~LoopCore() {
  // post() and stop() wake the backend while holding postedMutex_: taking
  // it here waits for any call still in progress, so none touches the
  // backend after this point (calls that start later break the contract).
  std::vector<std::function<void()>> posted;
  {
    std::lock_guard<std::mutex> lock(postedMutex_);
    posted.swap(posted_);
  }
  while (stopsInProgress_.load() != 0)
    std::this_thread::yield();
  posted.clear();
  // Deferred callbacks may point at sockets: they are dropped unrun; then
  // the sockets are let go without emitting anything (nobody runs the loop
  // any more). Either may run user destructors (captures) that drop or
  // close other sockets of this loop, or defer more: so each step starts
  // from the loop's state as it is then, never from a copy of it (a
  // socket destroyed meanwhile has left sockets_ by itself), until nothing
  // is left.
  for (;;) {
    if (!deferred_.empty() || !functions_.empty()) {
      // The plain calls own nothing; the std::functions' captures are
      // destroyed here.
      deferred_.clear();
      std::vector<std::function<void()>> dropped;
      dropped.swap(functions_);
      functionsTaken_ = 0;
      continue;
    }
    if (sockets_.empty()) break;
    sockets_.back()->abandon();  // leaves sockets_ first
  }
}

void LoopCore::defer(std::function<void()> fn) {
  functions_.push_back(std::move(fn));
  deferred_.push(DeferredCall{nullptr, nullptr, nullptr});
}

void LoopCore::post(std::function<void()> fn) {
  // The wake-up happens under the lock: once the loop thread can see the
  // job (and run it, and destroy the loop), this call is already done
  // with the loop, or the destructor waits for it.
  std::lock_guard<std::mutex> lock(postedMutex_);
  posted_.push_back(std::move(fn));
  postedCount_.fetch_add(1);
  backend_->wake();
}

void LoopCore::stop() {
  // Async-signal-safe (a signal handler may call it): lock-free atomics
  // and the backend's wake-up, a write() to an eventfd or pipe (IOCP:
  // PostQueuedCompletionStatus; Windows runs its handlers on a thread of
  // their own). No mutex: a handler that interrupted post() on the same
  // thread would wait for itself. The count lets the destructor wait for
  // calls in progress, as the mutex does for post().
  stopsInProgress_.fetch_add(1);
  stopRequested_.store(true);
  backend_->wake();
  stopsInProgress_.fetch_sub(1);
}

void LoopCore::raiseUnhandled(const Error& error) {
  if (unhandled_) return;
  unhandled_ = error;
  pending_ |= kUnhandledPending;
}

void LoopCore::throwUnhandled() {
  Error error = std::move(*unhandled_);
  unhandled_.reset();
  pending_ &= ~kUnhandledPending;
  detail::throwError(error);
}

void LoopCore::runDeferredCalls() {
  // Run only what was deferred before this phase began: callbacks that
  // defer more (a send callback that sends again) wait for the next turn,
  // so I/O is never starved. Each call leaves the queue before it runs:
  // if it throws, the calls not yet run stay in front, ahead of anything
  // deferred since.
  struct Done {
    LoopCore& loop;
    // The std::functions taken go; those deferred meanwhile move to the
    // front (few: only this phase's).
    ~Done() {
      std::vector<std::function<void()>>& functions = loop.functions_;
      if (loop.functionsTaken_ == 0) return;
      functions.erase(functions.begin(),
                      functions.begin() +
                          static_cast<std::ptrdiff_t>(loop.functionsTaken_));
      loop.functionsTaken_ = 0;
      // A burst must not leave its queue's memory behind for the loop's
      // lifetime; a queue of the usual size keeps its capacity, so the
      // steady state allocates nothing.
      if (functions.empty() && functions.capacity() > kKeptFunctionCapacity)
        std::vector<std::function<void()>>().swap(functions);
    }
  } done{*this};
  // The calls run where they are queued, a block's worth at a time; each
  // is counted out before it runs, and the queue learns how far the run
  // got once, after the block's calls (or a throw: `taken`).
  struct Taken {
    DeferredQueue& queue;
    DeferredCall* at;
    ~Taken() { queue.takenUpTo(at); }
  };
  for (std::size_t count = deferred_.size(); count > 0;) {
    const DeferredQueue::Span span = deferred_.front(count);
    count -= static_cast<std::size_t>(span.last - span.first);
    Taken taken{deferred_, span.first};
    while (taken.at != span.last) {
      // The entry stays where it is until takenUpTo: read in place.
      const DeferredCall& call = *taken.at++;
      deferred_.countOut();
      if (auto* run = call.run) {
        run(call.context, call.data);
      } else {
        // Moved out first: the call may defer more, which may move the
        // vector's contents.
        std::function<void()> fn = std::move(functions_[functionsTaken_++]);
        fn();
      }
      throwPending();
    }
  }
}

void LoopCore::runPostedCalls() {
  std::vector<std::function<void()>> posted;
  {
    std::lock_guard<std::mutex> lock(postedMutex_);
    posted.swap(posted_);
  }
  for (auto& fn : posted)
    defer(std::move(fn));
  postedCount_.fetch_sub(posted.size());
}

// Inline: runOnce calls it once per turn, the usual turn of a busy loop.
// `now` by address (null: no timer), not as an optional: a copy of an
// empty optional reads its unset value, which g++ -Os reports as
// maybe-uninitialized.
inline int LoopCore::pollTimeout(int requestedMs,
                                 const Timers::Clock::time_point* now,
                                 bool knownAlive) {
  if (stopRequested_.load()) return 0;
  int timeout = requestedMs;
  if (now) {
    // Only unref'd timers and nothing else ref'd: run() returns rather
    // than wait for them (as libuv's does).
    if (timeout < 0 && timers_.refCount() == 0 && !knownAlive && !alive())
      return 0;
    // Whole milliseconds, rounded up (never early), at most 2^30.
    long long left = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         timers_.earliest() - *now)
                         .count();
    constexpr long long kMillisecond = 1000000;
    constexpr long long kLongest = 1LL << 30;
    long long ms = left <= 0 ? 0
                   : left >= kLongest * kMillisecond
                       ? kLongest
                       : (left - 1) / kMillisecond + 1;
    int untilTimer = static_cast<int>(ms);
    if (timeout < 0 || untilTimer < timeout) timeout = untilTimer;
  }
  // Nothing could ever wake a loop with nothing ref'd: do not block.
  if (timeout < 0 && !knownAlive && !alive()) return 0;
  return timeout;
}

int LoopCore::backendTimeout() const {
  if (!deferred_.empty() || !turnEnd_.empty() || postedCount_.load() > 0 ||
      stopRequested_.load())
    return 0;
  auto due = timers_.nextDue();
  if (!due) return -1;
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(*due - Timers::Clock::now())
          .count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

bool LoopCore::spinThenWait(int timeoutMs) {
  // A turn that must not block (callbacks are waiting) does not spin
  // either, and teaches the budget nothing.
  if (timeoutMs == 0) return backend_->wait(0);
  using Clock = Timers::Clock;
  const Clock::time_point start = Clock::now();
  const SpinBudget::Duration budget = spin_.current();
  if (budget == SpinBudget::Duration::zero()) {
    bool woken = backend_->wait(timeoutMs);
    spin_.slept(Clock::now() - start, woken);
    return woken;
  }
  // Poll without blocking until something is dispatched (I/O, or the
  // wake-up of a post() or stop() from another thread), the budget runs
  // out, or the wait's timeout (the next timer) comes: a spin never makes
  // a timer late.
  const std::optional<Clock::time_point> timeoutAt =
      timeoutMs > 0 ? std::optional<Clock::time_point>(
                          start + std::chrono::milliseconds(timeoutMs))
                    : std::nullopt;
  const Clock::time_point spinEnd =
      timeoutAt ? std::min(start + budget, *timeoutAt) : start + budget;
  Clock::time_point now;
  unsigned polls = 0;
  do {
    if (backend_->spinPoll(polls)) {
      // Work the first poll found was there before the spin began (see
      // SpinBudget::foundAtOnce).
      if (polls > 0)
        spin_.found();
      else
        spin_.foundAtOnce();
      return true;
    }
    ++polls;
    now = Clock::now();
  } while (now < spinEnd);
  spin_.missed();
  // The rest of the timeout, rounded up: the timer is never early.
  if (timeoutAt) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*timeoutAt - now);
    timeoutMs = static_cast<int>(std::max<long long>(left.count(), 0));
  }
  return backend_->wait(timeoutMs);
}

void LoopCore::cancelTurnEnd(void* context) noexcept {
  auto sameContext = [context](const TurnEndWork& work) {
    return work.context == context;
  };
  // A hole rather than a removal: the first slot stays taken while the
  // others are (see atTurnEnd).
  if (sameContext(turnEndFirst_)) turnEndFirst_.context = nullptr;
  turnEnd_.erase(std::remove_if(turnEnd_.begin(), turnEnd_.end(), sameContext),
                 turnEnd_.end());
  for (TurnEndWork& work : turnEndRunning_)
    if (sameContext(work)) work.context = nullptr;
}

void LoopCore::runTurnEndWork() noexcept {
  // Work scheduled while this runs waits for the next turn's end.
  TurnEndWork first = turnEndFirst_;
  turnEndFirst_ = TurnEndWork{};
  pending_ &= ~kTurnEndPending;
  if (turnEnd_.empty()) {
    if (first.context) first.run(first.context);  // the usual turn: one
    return;
  }
  turnEndRunning_.swap(turnEnd_);
  if (first.context) first.run(first.context);
  for (std::size_t i = 0; i < turnEndRunning_.size(); ++i) {
    const TurnEndWork& work = turnEndRunning_[i];
    if (work.context) work.run(work.context);
  }
  turnEndRunning_.clear();
}

void LoopCore::throwReentered() {
  detail::throwError(errLoopReentered());
}

namespace {

// Marks the loop thread as inside the loop (LoopCore::inTurn) while it
// lives.
struct Iterating {
  bool& flag;
  explicit Iterating(bool& f) : flag(f) { flag = true; }
  ~Iterating() { flag = false; }
};

}  // namespace

DGRAM_ALWAYS_INLINE bool LoopCore::turn(int timeoutMs, bool knownAlive) {
  // The clock is read only while a timer is pending: a loop of sockets
  // alone reads it never, one with timers once per turn, before waiting
  // (the wait's timeout uses that reading: the phases in between take
  // microseconds, and can only make a timer late, as libuv's cached loop
  // time does, never early), and once more after a wait that may have
  // timed out.
  // (A reading and a flag rather than an optional: the usual turn keeps
  // them in registers, and builds the optional only for busyTurn.)
  Timers::Clock::time_point now{};
  const bool timed = !timers_.empty();
  if (timed) now = Timers::Clock::now();
  if (busy() || (timed && timers_.anyDue(now)))
    return busyTurn(timeoutMs, timed ? std::optional(now) : std::nullopt);
  // The usual turn of a busy loop: nothing to do before the wait (one
  // test said so), and after it only when the dispatch scheduled work or
  // the wait may have timed out. Work posted from another thread since
  // that test wakes the wait. The rules are busyTurn's, with no
  // exception yet. Nothing has run since the caller learnt that the loop
  // is alive, if it did (run()): the timeout need not ask again.
  DGRAM_TRY {
    bool dispatched =
        waitForIo(pollTimeout(timeoutMs, timed ? &now : nullptr, knownAlive));
    if (!dispatched || busy()) afterWait(dispatched, false);
  }
  DGRAM_CATCH(...) {
    failQuietTurn(std::current_exception());
  }
  runTurnEnd();
  return alive();
}

bool LoopCore::runOnce(int timeoutMs) {
  // Running the loop from one of its own callbacks would re-run the
  // deferred callback in progress (and dispatch a batch of events from
  // inside itself) until the stack overflows: refuse it.
  if (iterating_) throwReentered();
  Iterating iterating(iterating_);
  return turn(timeoutMs, false);
}

void LoopCore::run() {
  // Nothing ref'd: no turn at all, as libuv's uv_run (a turn would still
  // fire unref'd timers that are due).
  if (!alive()) {
    takeStopRequest();
    return;
  }
  if (iterating_) throwReentered();
  // One guard for the whole run: between turns no callback runs.
  Iterating iterating(iterating_);
  // Each turn starts alive: the one before returned alive(), and taking
  // the stop request changes nothing it counts.
  while (turn(-1, true)) {
    if (takeStopRequest()) return;
  }
  takeStopRequest();
}

void LoopCore::failQuietTurn(std::exception_ptr failure) {
  runTurnEnd();
  std::rethrow_exception(failure);
}

bool LoopCore::busyTurn(int timeoutMs,
                        std::optional<Timers::Clock::time_point> now) {
  // The rule (issue 22, item 4): every iteration reaches the I/O wait,
  // whatever callbacks throw. Before, a throw ended the iteration at once,
  // so callbacks that kept throwing (posted jobs reposting themselves)
  // kept the loop from ever polling. The first exception of the iteration
  // is kept and thrown when the iteration ends; the phases before the wait
  // stop at it (what they did not run waits for the next iteration), the
  // wait does not block, and the phases after it are skipped. An exception
  // from the I/O dispatch after that one is carried to the next call,
  // which polls I/O, runs nothing else and throws it.
  std::exception_ptr failure;
  // As libuv's UV_RUN_ONCE: an iteration that starts with callbacks to
  // run polls for I/O without blocking. A caller that runs the loop until
  // a deferred callback happened ('listening' after bind) then sees it
  // without waiting out its timeout for I/O that may never come.
  bool hadCallbacks = false;
  if (pending_ & kCarriedPending) {
    failure = std::exchange(carried_, nullptr);
    pending_ &= ~kCarriedPending;
  } else {
    DGRAM_TRY {
      if (now && timers_.anyDue(*now)) timers_.runDue(*now);
      throwPending();
      hadCallbacks = !deferred_.empty() || postedCount_.load() > 0;
      runPosted();
      runDeferred();
    }
    DGRAM_CATCH(...) {
      failure = std::current_exception();
    }
  }
  // Sends issued by callbacks leave together before the loop waits, and
  // again before it returns: a send never waits longer than the iteration
  // it was issued in, even when a callback throws.
  runTurnEnd();
  // Callbacks waiting (deferred by the phases above, or posted meanwhile)
  // make the wait a poll.
  const bool poll =
      failure || hadCallbacks || !deferred_.empty() || postedCount_.load() > 0;
  // The callbacks may have set the first timer (read the clock for it)
  // or cleared the last.
  if (timers_.empty())
    now.reset();
  else if (!now)
    now = Timers::Clock::now();
  DGRAM_TRY {
    bool dispatched = waitForIo(
        poll ? 0 : pollTimeout(timeoutMs, now ? &*now : nullptr, false));
    if (!dispatched || busy()) afterWait(dispatched, failure != nullptr);
  }
  DGRAM_CATCH(...) {
    if (failure) {
      carried_ = std::current_exception();
      pending_ |= kCarriedPending;
    } else {
      failure = std::current_exception();
    }
  }
  runTurnEnd();
  if (failure) std::rethrow_exception(failure);
  return alive();
}

void LoopCore::afterWait(bool dispatched, bool failed) {
  throwPending();
  if (failed) return;
  // After a wait that may have timed out, the timers it waited for run
  // now. After one that brought I/O, timers that came due meanwhile run
  // at the start of the next turn, which reads the clock before it waits:
  // a busy loop reads the clock once per turn, not twice.
  if (!dispatched) runTimersDueNow();
  throwPending();
  runPosted();
  runDeferred();
}

Resolver& LoopCore::resolver() {
  if (!resolver_) {
    resolver_ = createDefaultResolver(*this);
    resolver_->configure(resolverOptions_);
  }
  return *resolver_;
}

void LoopCore::setResolverOptions(const ResolverOptions& options,
                                  ErrorSink sink) {
  std::optional<ResolverOptions> checked =
      validateResolverOptions(options, sink);
  if (!checked) return;
  resolverOptions_ = std::move(*checked);
  if (resolver_) resolver_->configure(resolverOptions_);
}

std::uint8_t* LoopCore::growArena(std::size_t bytes) {
  arena_.reset(new std::uint8_t[bytes]);  // default-initialised
  arenaSize_ = bytes;
  return arena_.get();
}

}  // namespace dgram::detail
