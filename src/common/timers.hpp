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

  /// Schedules `fn` at `due`; returns its id (never 0, never reused). An
  /// unref'd timer (`ref` false, the library's own housekeeping) does not
  /// keep the loop alive.
  std::uint64_t add(Clock::time_point due, std::function<void()> fn,
                    bool ref = true);
  /// Cancels a pending timer; returns whether it was pending.
  bool cancel(std::uint64_t id);
  /// Moves a pending timer to `due`, keeping its callback and id; returns
  /// whether it was pending. It then runs after timers already due at the
  /// same instant.
  bool reschedule(std::uint64_t id, Clock::time_point due);
  /// The deadline of a pending timer.
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
  Clock::time_point earliest() const noexcept {
    return slots_[heap_.front()].due;
  }
  /// Whether a timer is due at `now` (runDue would run one).
  bool anyDue(Clock::time_point now) const noexcept {
    return !heap_.empty() && slots_[heap_.front()].due <= now;
  }
  /// Runs every timer due at `now`, in deadline order (ties: the order
  /// they were scheduled in). Timers added or moved meanwhile wait for the
  /// next call, so a timer that re-arms itself cannot starve I/O.
  void runDue(Clock::time_point now);

 private:
  static constexpr std::uint32_t kNotInHeap = ~std::uint32_t{0};

  struct Slot {
    Clock::time_point due;
    std::uint64_t sequence = 0;  ///< when it was (re)scheduled: tie-break
    std::function<void()> fn;
    std::uint32_t generation = 0;  ///< bumped on each reuse: stale ids miss
    std::uint32_t heapIndex = kNotInHeap;
    bool ref = false;
  };

  // An id is (generation << 32) | (slot index + 1): never 0, and an old id
  // of a reused slot does not match the slot's new generation.
  static std::uint64_t makeId(std::uint32_t index, std::uint32_t generation) {
    return (std::uint64_t{generation} << 32) | (std::uint64_t{index} + 1);
  }
  /// The slot index of a pending timer's id, or kNotInHeap.
  std::uint32_t find(std::uint64_t id) const noexcept;

  bool before(std::uint32_t a, std::uint32_t b) const noexcept;
  void place(std::size_t position, std::uint32_t slot) noexcept;
  void siftUp(std::size_t position) noexcept;
  void siftDown(std::size_t position) noexcept;
  /// Takes the slot out of the heap and frees it; returns its callback.
  std::function<void()> remove(std::uint32_t slot);

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;  ///< slot indices ready for reuse
  std::vector<std::uint32_t> heap_;  ///< slot indices, earliest first
  std::uint64_t nextSequence_ = 1;
  std::uint64_t issued_ = 0;
  std::size_t refs_ = 0;
};

}  // namespace dgram::detail
