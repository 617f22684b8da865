// dgram::Timeout: Node's Timeout object, what setTimeout and setInterval
// return.
// Layer: public API.
#pragma once

#include <cstdint>

#include "dgram/export.hpp"

namespace dgram {

class Loop;

/// Identifies a timer made by `setTimeout` or `setInterval`. Never 0, and
/// never repeated: a loop does not hand out the same id twice, so clearing
/// a timer that is gone (fired or cleared) can never cancel another.
using TimerId = std::uint64_t;

/// Node's `Timeout`: names one timer of one loop. A small value (the loop
/// and the id): copies name the same timer, and dropping one leaves the
/// timer alone, as losing a reference to a Timeout does in Node. It
/// converts to its `TimerId`, so `clearTimeout(t)` and
/// `TimerId id = loop.setTimeout(...)` work as before.
///
/// Use it on the loop's thread while its loop exists. A timer is pending
/// from its creation until it is cleared or, for `setTimeout`, until its
/// callback has returned without refreshing it; on a timer that is no
/// longer pending every method does nothing (Node keeps a fired
/// Timeout's callback for as long as the object lives, so `refresh()` can
/// arm it again; without a garbage collector that would keep every fired
/// callback forever, so here only its own callback can re-arm a fired
/// timeout).
class DGRAM_API Timeout {
 public:
  /// Names no timer: every method does nothing, `id()` is 0.
  Timeout() noexcept = default;

  /// The timer's id (0 for a default-constructed Timeout).
  TimerId id() const noexcept { return id_; }
  /// The id, as Node's `Timeout[Symbol.toPrimitive]()` gives a number
  /// that `clearTimeout` accepts.
  operator TimerId() const noexcept { return id_; }

  /// Makes the timer keep the loop alive again (the default).
  Timeout& ref();
  /// The timer no longer keeps `run()` alive: a retransmission or dally
  /// timer that should not hold a finished program open. It still fires
  /// if the loop runs on for other reasons.
  Timeout& unref();
  /// Whether the timer is pending and keeps the loop alive.
  bool hasRef() const;
  /// Re-arms the timer its delay from now, keeping its callback and id
  /// (Node's `refresh()`): a dally or keep-alive timer pushed back by
  /// traffic. From inside its own callback it arms a fired setTimeout
  /// again. Its position among timers due at the same time is then the
  /// last.
  Timeout& refresh();
  /// Clears the timer (Node's `timeout.close()`, `clearTimeout`).
  void close();

 private:
  friend class Loop;
  Timeout(Loop& owner, TimerId timer) noexcept : loop_(&owner), id_(timer) {}

  Loop* loop_ = nullptr;
  TimerId id_ = 0;
};

}  // namespace dgram
