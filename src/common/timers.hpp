// Timers of a loop: a min-heap of deadlines with lazy cancellation.
// Layer: common state machine.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

namespace dgram::detail {

class Timers {
 public:
  using Clock = std::chrono::steady_clock;

  /// Schedules `fn` at `due`; returns its id (never 0). An unref'd timer
  /// (`ref` false, the library's own housekeeping) does not keep the loop
  /// alive.
  std::uint64_t add(Clock::time_point due, std::function<void()> fn,
                    bool ref = true);
  /// Cancels a pending timer; returns whether it was pending.
  bool cancel(std::uint64_t id);
  /// Number of pending ref'd timers.
  std::size_t refCount() const noexcept { return refs_; }
  /// The earliest deadline, if any timer is pending.
  std::optional<Clock::time_point> nextDue();
  /// Runs every timer due at `now`, in deadline order (ties: creation
  /// order). Timers added meanwhile wait for the next call.
  void runDue(Clock::time_point now);

 private:
  struct Entry {
    Clock::time_point due;
    std::uint64_t id;
    bool operator>(const Entry& other) const {
      return due != other.due ? due > other.due : id > other.id;
    }
  };
  void dropCancelled();

  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  struct Callback {
    std::function<void()> fn;
    bool ref;
  };
  std::unordered_map<std::uint64_t, Callback> callbacks_;
  std::uint64_t nextId_ = 1;
  std::size_t refs_ = 0;
};

}  // namespace dgram::detail
