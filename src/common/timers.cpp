// Timers: the min-heap of deadlines behind setTimeout (timers.hpp).
// Layer: common state machine.
#include "common/timers.hpp"

#include <utility>

namespace dgram::detail {

std::uint64_t Timers::add(Clock::time_point due, std::function<void()> fn,
                          bool ref) {
  std::uint64_t id = nextId_++;
  callbacks_.emplace(id, Callback{std::move(fn), ref});
  if (ref) ++refs_;
  heap_.push(Entry{due, id});
  return id;
}

bool Timers::cancel(std::uint64_t id) {
  auto it = callbacks_.find(id);
  if (it == callbacks_.end()) return false;
  if (it->second.ref) --refs_;
  callbacks_.erase(it);
  return true;
}

void Timers::dropCancelled() {
  while (!heap_.empty() && callbacks_.count(heap_.top().id) == 0)
    heap_.pop();
}

std::optional<Timers::Clock::time_point> Timers::nextDue() {
  dropCancelled();
  if (heap_.empty()) return std::nullopt;
  return heap_.top().due;
}

void Timers::runDue(Clock::time_point now) {
  // Only ids issued before this call may run now, so a timer that re-arms
  // itself with a zero delay cannot starve I/O.
  const std::uint64_t limit = nextId_;
  for (;;) {
    dropCancelled();
    if (heap_.empty()) return;
    Entry top = heap_.top();
    if (top.due > now || top.id >= limit) return;
    heap_.pop();
    auto it = callbacks_.find(top.id);
    std::function<void()> fn = std::move(it->second.fn);
    if (it->second.ref) --refs_;
    callbacks_.erase(it);
    fn();
  }
}

}  // namespace dgram::detail
