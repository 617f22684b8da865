// The loop's receive arena belongs to a 'message' listener only while it
// is called, and then only the bytes of its datagram. Builds with
// AddressSanitizer poison the rest: the arena is open to the kernel while
// it reads a batch into it, then closed, and each datagram's bytes are
// opened for the call of its listeners alone. So a view of a message kept
// past its listener (a moved-out Bytes, a string_view of it, a pointer
// into it) is reported when read, whether later in the same batch, in a
// later batch's listener or outside the loop, rather than reading
// whichever datagram the slot holds by then. In other builds all of this
// is nothing at all.
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

/// Lets the kernel write into `size` bytes of the arena at `data`.
inline void openReceiveMemory([[maybe_unused]] const void* data,
                              [[maybe_unused]] std::size_t size) noexcept {
#ifdef DGRAM_POISON_RECEIVE_ARENA
  __asan_unpoison_memory_region(data, size);
#endif
}

/// Closes `size` bytes of the arena at `data` to every reader.
inline void closeReceiveMemory([[maybe_unused]] const void* data,
                               [[maybe_unused]] std::size_t size) noexcept {
#ifdef DGRAM_POISON_RECEIVE_ARENA
  __asan_poison_memory_region(data, size);
#endif
}

/// One receive batch: the arena is open for the kernel from here until
/// `received()`, and closed again when this ends (a listener's exception
/// included).
class ReceiveWindow {
 public:
  ReceiveWindow(const void* arena, std::size_t size) noexcept
      : arena_(arena), size_(size) {
    openReceiveMemory(arena_, size_);
  }
  ~ReceiveWindow() { closeReceiveMemory(arena_, size_); }
  ReceiveWindow(const ReceiveWindow&) = delete;
  ReceiveWindow& operator=(const ReceiveWindow&) = delete;

 private:
  const void* arena_;
  std::size_t size_;
};

/// One datagram of a batch, open while its listeners run (or while it is
/// copied for later).
class LentDatagram {
 public:
  LentDatagram(const void* data, std::size_t size) noexcept
      : data_(data), size_(size) {
    openReceiveMemory(data_, size_);
  }
  ~LentDatagram() { closeReceiveMemory(data_, size_); }
  LentDatagram(const LentDatagram&) = delete;
  LentDatagram& operator=(const LentDatagram&) = delete;

 private:
  const void* data_;
  std::size_t size_;
};

}  // namespace dgram::detail
