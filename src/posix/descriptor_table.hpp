// DescriptorTable: an array indexed by file descriptor (the poller's
// watchers, the descriptors its sockets own) that grows to twice its size
// when a descriptor beyond it comes, its new entries zero.
//
// Why not a std::vector: growing one writes every new entry, so a table
// doubled to 16,384 entries for 10,000 sockets has all of its pages
// resident (13 bytes a socket for the watchers). Here the new table comes
// from calloc, which hands over memory it knows to be zero (fresh pages
// from the system) without writing it: a page is resident once a
// descriptor on it is used. The entries are plain data whose zero bytes
// are the empty value (a null pointer, a 0 flag).
// Layer: platform (readiness backends).
#pragma once

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
  ~DescriptorTable() { std::free(entries_); }

  std::size_t size() const noexcept { return size_; }
  T& operator[](std::size_t index) noexcept { return entries_[index]; }
  const T& operator[](std::size_t index) const noexcept {
    return entries_[index];
  }

  /// Grows so that `index` is inside: to twice the size, at least 64
  /// entries (descriptors mostly come in rising order: growing to the one
  /// asked for would grow for every socket opened). Fails as operator new
  /// does (std::bad_alloc, or the end of the process without exceptions).
  void growFor(std::size_t index) {
    std::size_t grown = 2 * size_;
    if (grown < index + 1) grown = index + 1;
    if (grown < 64) grown = 64;
    void* memory = std::calloc(grown, sizeof(T));
    if (!memory) outOfMemory();
    auto* entries = static_cast<T*>(memory);
    if (size_) std::memcpy(entries, entries_, size_ * sizeof(T));
    std::free(entries_);
    entries_ = entries;
    size_ = grown;
  }

 private:
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
