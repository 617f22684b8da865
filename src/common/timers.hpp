// Timers of a loop: a min-heap of deadlines with lazy cancellation.
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

  /// Schedules `fn` at `due`; returns its id (never 0).
  std::uint64_t add(Clock::time_point due, std::function<void()> fn);
  /// Cancels a pending timer; returns whether it was pending.
  bool cancel(std::uint64_t id);
  /// Number of pending timers.
  std::size_t size() const noexcept { return callbacks_.size(); }
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
  std::unordered_map<std::uint64_t, std::function<void()>> callbacks_;
  std::uint64_t nextId_ = 1;
};

}  // namespace dgram::detail
