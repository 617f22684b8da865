// Timers of a loop: an indexed binary min-heap of deadlines. Each timer
// lives in a slot that remembers its position in the heap, so cancelling
// or moving one is O(log n) and leaves nothing behind; freed slots are
// reused, so re-arming a timer over and over allocates nothing and never
// grows memory (lazy deletion kept every cancelled entry until it reached
// the top of the heap).
// Layer: common state machine.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace dgram::detail {

class Timers {
 public:
  using Clock = std::chrono::steady_clock;

  /// `firstGeneration` is where every slot's generation starts: 0, except
  /// in a test that stands for a slot re-armed that many times already.
  explicit Timers(std::uint32_t firstGeneration = 0) noexcept
      : firstGeneration_(firstGeneration) {}

  /// Schedules `fn` at `due`; returns its id (never 0, never reused). An
  /// unref'd timer (`ref` false, the library's own housekeeping) does not
  /// keep the loop alive.
  std::uint64_t add(Clock::time_point due, std::function<void()> fn,
                    bool ref = true);
  /// A user's timer (setTimeout, setInterval): due `delay` after `now`,
  /// ref'd; `refresh` re-arms it `delay` after its time, and a repeating
  /// one is re-armed `delay` after the time it ran (Node's rule: lateness
  /// is not caught up).
  std::uint64_t add(Clock::time_point now, Clock::duration delay, bool repeat,
                    std::function<void()> fn);
  /// Cancels a pending timer; returns whether it was pending. A timer is
  /// pending from `add` until its callback has returned for the last time
  /// (cancelling one from its own callback stops an interval's repeats).
  bool cancel(std::uint64_t id);
  /// Moves a pending timer to `due`, keeping its callback and id; returns
  /// whether it was pending. It then runs after timers already due at the
  /// same instant.
  bool reschedule(std::uint64_t id, Clock::time_point due);
  /// Node's `refresh()`: moves a pending timer to its delay after `now`
  /// (from inside its own callback, a one-shot timer is armed again);
  /// returns whether it was pending.
  bool refresh(std::uint64_t id, Clock::time_point now);
  /// Makes a pending timer keep the loop alive or not; returns whether it
  /// was pending.
  bool setRef(std::uint64_t id, bool ref);
  /// Whether `id` is pending and ref'd.
  bool hasRef(std::uint64_t id) const noexcept;
  /// The deadline of a pending timer (none while its callback runs).
  std::optional<Clock::time_point> dueOf(std::uint64_t id) const;
  /// Number of pending ref'd timers.
  std::size_t refCount() const noexcept { return refs_; }
  /// How many timers were ever added (a statistic for tests).
  std::uint64_t issued() const noexcept { return issued_; }
  /// Whether any timer is pending (the loop reads the clock only then).
  bool empty() const noexcept { return heap_.empty(); }
  /// The earliest deadline, if any timer is pending.
  std::optional<Clock::time_point> nextDue() const;
  /// The earliest deadline; only while a timer is pending.
  Clock::time_point earliest() const noexcept { return earliest_; }
  /// Whether a timer is due at `now` (runDue would run one).
  bool anyDue(Clock::time_point now) const noexcept {
    return earliest_ <= now;  // never with no timer pending (see earliest_)
  }
  /// Runs every timer due at `now`, in deadline order (ties: the order
  /// they were scheduled in). Timers added or moved meanwhile wait for the
  /// next call, so a timer that re-arms itself cannot starve I/O.
  void runDue(Clock::time_point now);

 private:
  static constexpr std::uint32_t kNotInHeap = ~std::uint32_t{0};
  /// Out of the heap with its callback being called (runDue).
  static constexpr std::uint32_t kRunning = kNotInHeap - 1;

  struct Slot {
    Clock::time_point due;
    Clock::duration delay{};     ///< refresh() and repeats re-arm with it
    std::uint64_t sequence = 0;  ///< when it was (re)scheduled: tie-break
    std::function<void()> fn;
    std::uint32_t generation = 0;  ///< bumped on each reuse: stale ids miss
    std::uint32_t heapIndex = kNotInHeap;  ///< or kRunning
    bool ref = false;
    bool repeat = false;
  };

  // An id is (generation << 32) | (slot index + 1): never 0, and an old id
  // of a reused slot does not match the slot's new generation. A slot
  // whose generation would wrap is retired instead of reused (freeSlot),
  // so no id is ever handed out twice.
  static std::uint64_t makeId(std::uint32_t index, std::uint32_t generation) {
    return (std::uint64_t{generation} << 32) | (std::uint64_t{index} + 1);
  }
  /// The slot index of a pending timer's id, or kNotInHeap.
  std::uint32_t find(std::uint64_t id) const noexcept;

  std::uint64_t insertNew(Clock::time_point due, Clock::duration delay,
                          bool repeat, bool ref, std::function<void()> fn);
  bool before(std::uint32_t a, std::uint32_t b) const noexcept;
  void place(std::size_t position, std::uint32_t slot) noexcept;
  void siftUp(std::size_t position) noexcept;
  void siftDown(std::size_t position) noexcept;
  /// Puts a slot that is out of the heap into it, due at `due`.
  void push(std::uint32_t slot, Clock::time_point due);
  /// Takes a slot out of the heap (it stays allocated).
  void unlink(std::uint32_t slot) noexcept;
  /// Frees a slot that is out of the heap; returns its callback.
  std::function<void()> freeSlot(std::uint32_t slot);
  /// After a callback run by runDue: re-arms, frees or leaves the slot.
  void finishRun(std::uint32_t slot, std::uint32_t generation,
                 Clock::time_point now, std::function<void()>& fn);

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;  ///< slot indices ready for reuse
  std::vector<std::uint32_t> heap_;  ///< slot indices, earliest first
  /// The deadline of heap_'s first entry, kept by `place`, and the end of
  /// time while the heap is empty (unlink): the loop asks whether a timer
  /// is due every turn, one compare rather than a load of the heap too.
  Clock::time_point earliest_ = Clock::time_point::max();
  std::uint32_t firstGeneration_ = 0;
  std::uint64_t nextSequence_ = 1;
  std::uint64_t issued_ = 0;
  std::size_t refs_ = 0;
};

}  // namespace dgram::detail
