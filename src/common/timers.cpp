// Timers: the min-heap of deadlines behind setTimeout (timers.hpp).
// Layer: common state machine.
#include "common/timers.hpp"

#include <utility>

namespace dgram::detail {

std::uint64_t Timers::add(Clock::time_point due, std::function<void()> fn,
                          bool ref) {
  std::uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  slot.due = due;
  slot.sequence = nextSequence_++;
  slot.fn = std::move(fn);
  slot.ref = ref;
  if (ref) ++refs_;
  ++issued_;
  heap_.push_back(index);
  slot.heapIndex = static_cast<std::uint32_t>(heap_.size() - 1);
  siftUp(heap_.size() - 1);
  return makeId(index, slot.generation);
}

std::uint32_t Timers::find(std::uint64_t id) const noexcept {
  std::uint64_t low = id & 0xffffffffu;
  if (low == 0 || low > slots_.size()) return kNotInHeap;
  auto index = static_cast<std::uint32_t>(low - 1);
  const Slot& slot = slots_[index];
  if (slot.heapIndex == kNotInHeap || slot.generation != (id >> 32))
    return kNotInHeap;
  return index;
}

bool Timers::cancel(std::uint64_t id) {
  std::uint32_t index = find(id);
  if (index == kNotInHeap) return false;
  // Destroyed after the heap is consistent again: a capture's destructor
  // may touch the timers.
  std::function<void()> fn = remove(index);
  return true;
}

bool Timers::reschedule(std::uint64_t id, Clock::time_point due) {
  std::uint32_t index = find(id);
  if (index == kNotInHeap) return false;
  Slot& slot = slots_[index];
  slot.due = due;
  slot.sequence = nextSequence_++;
  // Later (or equal) deadline: only down can be wrong; earlier: only up.
  siftUp(slot.heapIndex);
  siftDown(slots_[index].heapIndex);
  return true;
}

std::optional<Timers::Clock::time_point> Timers::dueOf(std::uint64_t id) const {
  std::uint32_t index = find(id);
  if (index == kNotInHeap) return std::nullopt;
  return slots_[index].due;
}

std::optional<Timers::Clock::time_point> Timers::nextDue() const {
  if (heap_.empty()) return std::nullopt;
  return slots_[heap_.front()].due;
}

void Timers::runDue(Clock::time_point now) {
  // Only timers scheduled before this call may run now.
  const std::uint64_t limit = nextSequence_;
  while (!heap_.empty()) {
    std::uint32_t index = heap_.front();
    const Slot& top = slots_[index];
    if (top.due > now || top.sequence >= limit) return;
    std::function<void()> fn = remove(index);
    fn();
  }
}

bool Timers::before(std::uint32_t a, std::uint32_t b) const noexcept {
  const Slot& x = slots_[a];
  const Slot& y = slots_[b];
  return x.due != y.due ? x.due < y.due : x.sequence < y.sequence;
}

void Timers::place(std::size_t position, std::uint32_t slot) noexcept {
  heap_[position] = slot;
  slots_[slot].heapIndex = static_cast<std::uint32_t>(position);
}

void Timers::siftUp(std::size_t position) noexcept {
  std::uint32_t moving = heap_[position];
  while (position > 0) {
    std::size_t parent = (position - 1) / 2;
    if (!before(moving, heap_[parent])) break;
    place(position, heap_[parent]);
    position = parent;
  }
  place(position, moving);
}

void Timers::siftDown(std::size_t position) noexcept {
  std::uint32_t moving = heap_[position];
  const std::size_t size = heap_.size();
  for (;;) {
    std::size_t child = 2 * position + 1;
    if (child >= size) break;
    if (child + 1 < size && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], moving)) break;
    place(position, heap_[child]);
    position = child;
  }
  place(position, moving);
}

std::function<void()> Timers::remove(std::uint32_t index) {
  Slot& slot = slots_[index];
  std::size_t position = slot.heapIndex;
  std::uint32_t last = heap_.back();
  heap_.pop_back();
  if (position < heap_.size()) {
    // The last entry fills the hole and moves whichever way it must.
    place(position, last);
    siftUp(position);
    siftDown(slots_[last].heapIndex);
  }
  slot.heapIndex = kNotInHeap;
  ++slot.generation;
  if (slot.ref) --refs_;
  std::function<void()> fn = std::move(slot.fn);
  slot.fn = nullptr;
  free_.push_back(index);
  return fn;
}

}  // namespace dgram::detail
