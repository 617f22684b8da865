// Counters behind fault_injection.hpp. Atomics, because a test may run
// loops on several threads; the cost is paid only in builds that have the
// seam.
// Layer: common state machine.
#include "common/fault_injection.hpp"

#ifdef DGRAM_FAULT_INJECTION

#include <array>
#include <atomic>
#include <cstddef>

namespace dgram::detail::fault {
namespace {

struct Slot {
  std::atomic<long> attempts{0};
  // The attempt number (1-based, counted from arming) of the first
  // failure, and how many consecutive attempts fail from there.
  std::atomic<long> firstFailure{0};
  std::atomic<long> failures{0};
  std::atomic<long> armedAt{0};
  std::atomic<int> error{0};
};

std::array<Slot, static_cast<std::size_t>(Call::count_)> slots;

Slot& slotOf(Call call) noexcept {
  return slots[static_cast<std::size_t>(call)];
}

}  // namespace

void failNth(Call call, int nth, int error, int times) noexcept {
  Slot& slot = slotOf(call);
  slot.failures.store(0);
  slot.error.store(error);
  slot.armedAt.store(slot.attempts.load());
  slot.firstFailure.store(nth < 1 ? 1 : nth);
  slot.failures.store(times < 1 ? 1 : times);
}

void reset() noexcept {
  for (Slot& slot : slots) {
    slot.failures.store(0);
    slot.attempts.store(0);
    slot.armedAt.store(0);
    slot.firstFailure.store(0);
    slot.error.store(0);
  }
}

long calls(Call call) noexcept {
  return slotOf(call).attempts.load();
}

int take(Call call) noexcept {
  Slot& slot = slotOf(call);
  long attempt = slot.attempts.fetch_add(1) + 1;
  if (slot.failures.load(std::memory_order_relaxed) == 0) return 0;
  long sinceArmed = attempt - slot.armedAt.load();
  long first = slot.firstFailure.load();
  if (sinceArmed < first || sinceArmed >= first + slot.failures.load())
    return 0;
  return slot.error.load();
}

}  // namespace dgram::detail::fault

#endif  // DGRAM_FAULT_INJECTION
