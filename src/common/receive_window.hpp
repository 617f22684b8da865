// The loop's receive arena belongs to the 'message' listeners only while
// one receive batch is read and dispatched. Builds with AddressSanitizer
// poison it outside that window, so that a view of a message kept past its
// listener (a moved-out Bytes, a string_view of it, a pointer into it) is
// reported when read, rather than reading whichever datagram came later.
// In other builds this is nothing at all.
// Layer: common state machine.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define DGRAM_POISON_RECEIVE_ARENA 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DGRAM_POISON_RECEIVE_ARENA 1
#endif
#endif

#ifdef DGRAM_POISON_RECEIVE_ARENA
#include <sanitizer/asan_interface.h>
#endif

namespace dgram::detail {

/// Opens the arena for one batch (the kernel writes into it, listeners
/// read it) and closes it again when the batch is dispatched, the
/// exception of a throwing listener included.
class ReceiveWindow {
 public:
  ReceiveWindow(void* arena, std::size_t size) noexcept
      : arena_(arena), size_(size) {
#ifdef DGRAM_POISON_RECEIVE_ARENA
    __asan_unpoison_memory_region(arena_, size_);
#endif
  }
  ~ReceiveWindow() {
#ifdef DGRAM_POISON_RECEIVE_ARENA
    __asan_poison_memory_region(arena_, size_);
#endif
  }
  ReceiveWindow(const ReceiveWindow&) = delete;
  ReceiveWindow& operator=(const ReceiveWindow&) = delete;

 private:
  [[maybe_unused]] void* arena_;
  [[maybe_unused]] std::size_t size_;
};

}  // namespace dgram::detail
