// A set of handles (SOCKET values) with constant-time lookups that
// allocates only when it grows: the IOCP backend records the sockets of its
// loop in one, to refuse adopting a socket twice. A std::unordered_set
// would allocate a node per socket (the one-allocation socket budget of
// test/alloc_steady_state.cpp), a vector scanned on every association and
// every close is quadratic with thousands of sockets.
// Layer: platform (IOCP). Free of Windows headers, so it is tested on
// every platform (test/handle_set.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dgram::detail {

/// Open addressing with linear probing, at most half full; erasing shifts
/// the entries behind back (no tombstones, so lookups stay short however
/// many sockets came and went). Never shrinks, like the loop's other
/// tables. The all-ones value (INVALID_SOCKET) marks a free slot and
/// cannot be stored.
class HandleSet {
 public:
  using Handle = std::uintptr_t;
  static constexpr Handle kFree = ~Handle{0};

  bool contains(Handle handle) const noexcept {
    if (slots_.empty()) return false;
    for (std::size_t i = home(handle);; i = next(i)) {
      if (slots_[i] == handle) return true;
      if (slots_[i] == kFree) return false;
    }
  }

  /// Adds `handle`; false if it was there already. May throw
  /// std::bad_alloc when it grows (then nothing changed).
  bool insert(Handle handle) {
    if (contains(handle)) return false;
    if (2 * (size_ + 1) > slots_.size()) grow();
    place(handle);
    ++size_;
    return true;
  }

  void erase(Handle handle) noexcept {
    if (slots_.empty()) return;
    std::size_t hole = home(handle);
    while (slots_[hole] != handle) {
      if (slots_[hole] == kFree) return;
      hole = next(hole);
    }
    // Entries after the hole whose probe started at or before it move
    // into it, so that a lookup never stops at the hole too early.
    for (std::size_t i = next(hole); slots_[i] != kFree; i = next(i)) {
      std::size_t start = home(slots_[i]);
      bool reachesHole = hole <= i ? (start <= hole || start > i)
                                   : (start <= hole && start > i);
      if (reachesHole) {
        slots_[hole] = slots_[i];
        hole = i;
      }
    }
    slots_[hole] = kFree;
    --size_;
  }

  std::size_t size() const noexcept { return size_; }

 private:
  std::size_t home(Handle handle) const noexcept {
    // Handles are multiples of 4: drop those bits, then Fibonacci hashing
    // spreads consecutive values over the table.
    std::uint64_t mixed =
        static_cast<std::uint64_t>(handle >> 2) * 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(mixed >> 32) & (slots_.size() - 1);
  }
  std::size_t next(std::size_t i) const noexcept {
    return (i + 1) & (slots_.size() - 1);
  }

  void place(Handle handle) noexcept {
    std::size_t i = home(handle);
    while (slots_[i] != kFree)
      i = next(i);
    slots_[i] = handle;
  }

  void grow() {
    std::vector<Handle> old(slots_.empty() ? 16 : 2 * slots_.size(), kFree);
    old.swap(slots_);
    for (Handle handle : old)
      if (handle != kFree) place(handle);
  }

  std::vector<Handle> slots_;  ///< a power of two long, or empty
  std::size_t size_ = 0;
};

}  // namespace dgram::detail
