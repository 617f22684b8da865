// LoopCore: one iteration (timers, deferred calls, posted calls, I/O wait)
// and the bookkeeping that decides whether the loop is still alive.
// Layer: common state machine.
#include "common/loop_core.hpp"

#include <algorithm>
#include <utility>

#include "common/errors.hpp"
#include "common/socket_impl.hpp"

namespace dgram::detail {
namespace {

// Deferred calls whose queue capacity is kept between turns (32 bytes
// each).
constexpr std::size_t kKeptDeferredCapacity = 1024;

}  // namespace

LoopCore::LoopCore(std::string_view backendName)
    : backend_(createPlatformBackend(backendName)) {
  if (!backend_) throw errInvalidArgValue("backend", backendName);
}

LoopCore::~LoopCore() {
  // post() and stop() wake the backend while holding postedMutex_: taking
  // it here waits for any call still in progress, so none touches the
  // backend after this point (calls that start later break the contract).
  { std::lock_guard<std::mutex> lock(postedMutex_); }
  // Deferred callbacks may point at sockets: drop them unrun, then let the
  // sockets go without emitting anything (nobody is running the loop).
  deferred_.clear();
  running_.clear();
  auto sockets = sockets_;
  for (SocketImpl* socket : sockets)
    socket->abandon();
}

void LoopCore::defer(std::function<void()> fn) {
  deferred_.push_back(std::move(fn));
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
  std::lock_guard<std::mutex> lock(postedMutex_);
  stopRequested_.store(true);
  backend_->wake();
}

void LoopCore::raiseUnhandled(const Error& error) {
  if (!unhandled_) unhandled_ = error;
}

void LoopCore::throwUnhandled() {
  Error error = std::move(*unhandled_);
  unhandled_.reset();
  throw error;
}

void LoopCore::runDeferredCalls() {
  // Run only what was deferred before this phase began: callbacks that
  // defer more (a send callback that sends again) wait for the next turn,
  // so I/O is never starved.
  running_.swap(deferred_);
  std::size_t i = 0;
  try {
    for (; i < running_.size(); ++i) {
      running_[i]();
      throwPending();
    }
  } catch (...) {
    // Keep the callbacks not yet run, ahead of anything deferred since.
    deferred_.insert(deferred_.begin(),
                     std::make_move_iterator(running_.begin() + i + 1),
                     std::make_move_iterator(running_.end()));
    running_.clear();
    throw;
  }
  running_.clear();
  // A burst (thousands of sockets bound in one turn) must not leave its
  // queue's memory behind for the loop's lifetime; a queue of the usual
  // size keeps its capacity, so the steady state allocates nothing.
  if (running_.capacity() > kKeptDeferredCapacity)
    std::vector<std::function<void()>>().swap(running_);
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
inline int LoopCore::pollTimeout(int requestedMs,
                                 std::optional<Timers::Clock::time_point> now) {
  if (!deferred_.empty() || postedCount_.load() > 0 || stopRequested_.load())
    return 0;
  int timeout = requestedMs;
  if (!timers_.empty()) {
    // No reading yet this turn: the timer was added after the turn began
    // (by a job posted meanwhile).
    if (!now) now = Timers::Clock::now();
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
  if (timeout < 0 && !alive()) return 0;
  return timeout;
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

bool LoopCore::runOnce(int timeoutMs) {
  // Running the loop from one of its own callbacks would re-run the
  // deferred callback in progress (and dispatch a batch of events from
  // inside itself) until the stack overflows: refuse it.
  if (iterating_) throw errLoopReentered();
  struct Iterating {
    bool& flag;
    explicit Iterating(bool& f) : flag(f) { flag = true; }
    ~Iterating() { flag = false; }
  } iterating(iterating_);
  // Sends issued by callbacks leave together at the end of each phase that
  // runs callbacks, before the loop waits (or returns): a send never waits
  // longer than the turn it was issued in, even when a callback throws.
  try {
    std::optional<Timers::Clock::time_point> now = runDueTimers();
    throwPending();
    // As libuv's UV_RUN_ONCE: an iteration that starts with callbacks to
    // run polls for I/O without blocking. A caller that runs the loop
    // until a deferred callback happened ('listening' after bind) then
    // sees it without waiting out its timeout for I/O that may never come.
    bool hadCallbacks = !deferred_.empty() || postedCount_.load() > 0;
    runPosted();
    runDeferred();
    runTurnEnd();
    bool dispatched =
        backend_->wait(hadCallbacks ? 0 : pollTimeout(timeoutMs, now));
    throwPending();
    // After a wait that may have timed out, the timers it waited for run
    // now. After one that brought I/O, timers that came due meanwhile run
    // at the start of the next turn, which reads the clock before it
    // waits: a busy loop reads the clock once per turn, not twice.
    if (!dispatched) runDueTimers();
    throwPending();
    runPosted();
    runDeferred();
  } catch (...) {
    runTurnEnd();
    throw;
  }
  runTurnEnd();
  return alive();
}

void LoopCore::attach(SocketImpl* socket) {
  socket->setLoopSlot(static_cast<std::uint32_t>(sockets_.size()));
  sockets_.push_back(socket);
}

void LoopCore::detach(SocketImpl* socket) {
  // O(1): the socket knows its slot, and the last socket takes it (the
  // order is of no use: the destructor abandons them all). Closing 10,000
  // sockets used to spend most of its user time finding and erasing.
  std::uint32_t slot = socket->loopSlot();
  if (slot >= sockets_.size() || sockets_[slot] != socket) return;
  sockets_[slot] = sockets_.back();
  sockets_[slot]->setLoopSlot(slot);
  sockets_.pop_back();
}

Resolver& LoopCore::resolver() {
  if (!resolver_) {
    resolver_ = createDefaultResolver(*this);
    resolver_->configure(resolverOptions_);
  }
  return *resolver_;
}

void LoopCore::setResolverOptions(const ResolverOptions& options) {
  resolverOptions_ = validateResolverOptions(options);
  if (resolver_) resolver_->configure(resolverOptions_);
}

std::uint8_t* LoopCore::growArena(std::size_t bytes) {
  arena_.reset(new std::uint8_t[bytes]);  // default-initialised
  arenaSize_ = bytes;
  return arena_.get();
}

}  // namespace dgram::detail
