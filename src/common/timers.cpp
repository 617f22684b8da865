// Timers: the min-heap of deadlines behind setTimeout (timers.hpp).
// Layer: common state machine.
#include "common/timers.hpp"

#include <utility>

namespace dgram::detail {

std::uint64_t Timers::add(Clock::time_point due, std::function<void()> fn,
                          bool ref) {
  return insertNew(due, Clock::duration::zero(), false, ref, std::move(fn));
}

std::uint64_t Timers::add(Clock::time_point now, Clock::duration delay,
                          bool repeat, std::function<void()> fn) {
  return insertNew(now + delay, delay, repeat, true, std::move(fn));
}

std::uint64_t Timers::insertNew(Clock::time_point due, Clock::duration delay,
                                bool repeat, bool ref,
                                std::function<void()> fn) {
  std::uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    slots_.back().generation = firstGeneration_;
  }
  Slot& slot = slots_[index];
  slot.delay = delay;
  slot.fn = std::move(fn);
  slot.ref = ref;
  slot.repeat = repeat;
  if (ref) ++refs_;
  ++issued_;
  push(index, due);
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
  if (slots_[index].heapIndex != kRunning) unlink(index);
  // Destroyed after the heap is consistent again: a capture's destructor
  // may touch the timers. (A running timer's callback is held by runDue,
  // which sees the new generation and lets it go when the call returns.)
  std::function<void()> fn = freeSlot(index);
  return true;
}

bool Timers::reschedule(std::uint64_t id, Clock::time_point due) {
  std::uint32_t index = find(id);
  if (index == kNotInHeap) return false;
  Slot& slot = slots_[index];
  if (slot.heapIndex == kRunning) {
    push(index, due);
    return true;
  }
  slot.due = due;
  slot.sequence = nextSequence_++;
  // Later (or equal) deadline: only down can be wrong; earlier: only up.
  siftUp(slot.heapIndex);
  siftDown(slots_[index].heapIndex);
  return true;
}

bool Timers::refresh(std::uint64_t id, Clock::time_point now) {
  std::uint32_t index = find(id);
  if (index == kNotInHeap) return false;
  return reschedule(id, now + slots_[index].delay);
}

bool Timers::setRef(std::uint64_t id, bool ref) {
  std::uint32_t index = find(id);
  if (index == kNotInHeap) return false;
  Slot& slot = slots_[index];
  if (slot.ref != ref) {
    slot.ref = ref;
    if (ref)
      ++refs_;
    else
      --refs_;
  }
  return true;
}

bool Timers::hasRef(std::uint64_t id) const noexcept {
  std::uint32_t index = find(id);
  return index != kNotInHeap && slots_[index].ref;
}

std::optional<Timers::Clock::time_point> Timers::dueOf(std::uint64_t id) const {
  std::uint32_t index = find(id);
  if (index == kNotInHeap || slots_[index].heapIndex == kRunning)
    return std::nullopt;
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
    // The slot stays pending while its callback runs (so the callback can
    // clear or refresh it by id); its callback is held here, because the
    // call may add timers and so move the slots.
    unlink(index);
    slots_[index].heapIndex = kRunning;
    const std::uint32_t generation = slots_[index].generation;
    std::function<void()> fn = std::move(slots_[index].fn);
    struct Finish {
      Timers& timers;
      std::uint32_t index;
      std::uint32_t generation;
      Clock::time_point now;
      std::function<void()>& fn;
      // Also when the callback throws: an interval stays armed, as Node's
      // re-arms in a `finally`.
      ~Finish() { timers.finishRun(index, generation, now, fn); }
    } finish{*this, index, generation, now, fn};
    fn();
  }
}

void Timers::finishRun(std::uint32_t index, std::uint32_t generation,
                       Clock::time_point now, std::function<void()>& fn) {
  Slot& slot = slots_[index];
  // Cleared by its callback (and the slot perhaps reused): the callback
  // goes with runDue's copy.
  if (slot.generation != generation) return;
  if (slot.repeat) {
    // Node's interval rule: the next run is its interval after the time
    // this one was due to run at the loop's reading, not after its
    // deadline: a late or long callback delays the next, never bunches.
    slot.fn = std::move(fn);
    if (slot.heapIndex == kRunning) {
      push(index, now + slot.delay);
    } else {
      reschedule(makeId(index, generation), now + slot.delay);
    }
    return;
  }
  if (slot.heapIndex != kRunning) {
    // Refreshed from its own callback: armed again, callback and all.
    slot.fn = std::move(fn);
    return;
  }
  // Done: the callback is destroyed by runDue once the slot is free.
  (void)freeSlot(index);
}

bool Timers::before(std::uint32_t a, std::uint32_t b) const noexcept {
  const Slot& x = slots_[a];
  const Slot& y = slots_[b];
  return x.due != y.due ? x.due < y.due : x.sequence < y.sequence;
}

void Timers::place(std::size_t position, std::uint32_t slot) noexcept {
  heap_[position] = slot;
  slots_[slot].heapIndex = static_cast<std::uint32_t>(position);
  // Every move to the top passes here (sifts end with a `place`, also of
  // an entry whose deadline changed in place).
  if (position == 0) earliest_ = slots_[slot].due;
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

void Timers::push(std::uint32_t index, Clock::time_point due) {
  Slot& slot = slots_[index];
  slot.due = due;
  slot.sequence = nextSequence_++;
  heap_.push_back(index);
  slot.heapIndex = static_cast<std::uint32_t>(heap_.size() - 1);
  siftUp(heap_.size() - 1);
}

void Timers::unlink(std::uint32_t index) noexcept {
  Slot& slot = slots_[index];
  std::size_t position = slot.heapIndex;
  std::uint32_t last = heap_.back();
  heap_.pop_back();
  if (heap_.empty()) earliest_ = Clock::time_point::max();
  if (position < heap_.size()) {
    // The last entry fills the hole and moves whichever way it must.
    place(position, last);
    siftUp(position);
    siftDown(slots_[last].heapIndex);
  }
  slots_[index].heapIndex = kNotInHeap;
}

std::function<void()> Timers::freeSlot(std::uint32_t index) {
  Slot& slot = slots_[index];
  slot.heapIndex = kNotInHeap;
  if (slot.ref) --refs_;
  std::function<void()> fn = std::move(slot.fn);
  slot.fn = nullptr;
  // A slot whose generation comes round to 0 has handed out every id it
  // can: it is retired (never reused) rather than give an id again. That
  // costs one slot per 2^32 timers set in it.
  if (++slot.generation != 0) free_.push_back(index);
  return fn;
}

}  // namespace dgram::detail
