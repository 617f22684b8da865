// DescriptorTable: an array indexed by file descriptor (the poller's
// watchers, the descriptors its sockets own) that grows to twice its size
// when a descriptor beyond it comes, its new entries zero.
//
// Why pages of its own rather than a std::vector or calloc: growing a
// vector writes every new entry, and calloc writes zeros too for a table
// under the C library's mapping threshold (128 KiB in glibc), so a burst
// of sockets paid for zeroing and copying each doubled table (18 to 30
// instructions a socket in the bench's bursts of a thousand, depending on
// the doublings a burst crosses), and every page of it became resident.
// Fresh anonymous pages are zero already, and a page is resident only once
// a descriptor on it is used; on Linux a growth moves the mapping (mremap)
// instead of copying it. The entries are plain data whose zero bytes are
// the empty value (a null pointer, a 0 flag).
// Layer: platform (readiness backends).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include "dgram/exceptions.hpp"

namespace dgram::detail {

template <typename T>
class DescriptorTable {
  static_assert(std::is_trivially_copyable_v<T> &&
                std::is_trivially_destructible_v<T>);

 public:
  DescriptorTable() = default;
  DescriptorTable(const DescriptorTable&) = delete;
  DescriptorTable& operator=(const DescriptorTable&) = delete;
  ~DescriptorTable() {
    if (entries_) ::munmap(entries_, size_ * sizeof(T));
  }

  std::size_t size() const noexcept { return size_; }
  T& operator[](std::size_t index) noexcept { return entries_[index]; }
  const T& operator[](std::size_t index) const noexcept {
    return entries_[index];
  }

  /// Grows so that `index` is inside: to twice the size, at least a page
  /// (descriptors mostly come in rising order: growing to the one asked
  /// for would grow for every socket opened). Fails as operator new does
  /// (std::bad_alloc, or the end of the process without exceptions).
  void growFor(std::size_t index) {
    std::size_t grown = 2 * size_;
    if (grown < index + 1) grown = index + 1;
    const std::size_t page = pageSize();
    const std::size_t bytes = (grown * sizeof(T) + page - 1) / page * page;
    const std::size_t oldBytes = size_ * sizeof(T);
    void* memory = MAP_FAILED;
#if defined(__linux__) && defined(MREMAP_MAYMOVE)
    if (entries_) {
      // The pages move with their contents; the new ones are zero.
      memory = ::mremap(entries_, oldBytes, bytes, MREMAP_MAYMOVE);
      if (memory == MAP_FAILED) outOfMemory();
      entries_ = static_cast<T*>(memory);
      size_ = bytes / sizeof(T);
      return;
    }
#endif  // __linux__ && MREMAP_MAYMOVE
    memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) outOfMemory();
    if (entries_) {
      std::memcpy(memory, entries_, oldBytes);
      ::munmap(entries_, oldBytes);
    }
    entries_ = static_cast<T*>(memory);
    size_ = bytes / sizeof(T);
  }

 private:
  static std::size_t pageSize() noexcept {
    static const std::size_t size = [] {
      long reported = ::sysconf(_SC_PAGESIZE);
      return reported > 0 ? static_cast<std::size_t>(reported)
                          : std::size_t{4096};
    }();
    return size;
  }

  [[noreturn]] static void outOfMemory() {
#if DGRAM_EXCEPTIONS
    throw std::bad_alloc();
#else
    std::abort();
#endif
  }

  T* entries_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace dgram::detail
