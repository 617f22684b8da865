// What Bytes, ByteView and Buffer do out of line: the shared block a kept
// message owns, and the errors of Node's Buffer read and write methods
// (thrown here, never from the header templates).
// Layer: public API.
#include <atomic>
#include <cstring>
#include <new>
#include <string>

#include "common/errors.hpp"
#include "dgram/buffer.hpp"
#include "dgram/bytes.hpp"

namespace dgram {
namespace {

// A kept message's bytes, which follow the block in the same allocation,
// and the number of Bytes holding them. Atomic: a kept copy may be handed
// to another thread and copied or dropped there.
struct SharedBlock {
  std::atomic<std::size_t> holders{1};
};

std::uint8_t* bytesOf(SharedBlock* block) noexcept {
  return reinterpret_cast<std::uint8_t*>(block + 1);
}

}  // namespace

void Bytes::keep() {
  if (owner_ != kBorrowed) {
    reinterpret_cast<SharedBlock*>(owner_)->holders.fetch_add(
        1, std::memory_order_relaxed);
    return;
  }
  // A lent message: copied into a block of its own, since the loop reuses
  // the buffer once the listener returns.
  if (size_ == 0) {
    data_ = nullptr;
    owner_ = kView;
    return;
  }
  void* memory = ::operator new(sizeof(SharedBlock) + size_);
  auto* block = new (memory) SharedBlock;
  std::memcpy(bytesOf(block), data_, size_);
  data_ = bytesOf(block);
  owner_ = reinterpret_cast<std::uintptr_t>(block);
}

void Bytes::release() noexcept {
  auto* block = reinterpret_cast<SharedBlock*>(owner_);
  if (block->holders.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    block->~SharedBlock();
    ::operator delete(block);
  }
}

void ByteView::outOfBounds(std::size_t offset, std::size_t width) const {
  // As Node's boundsError: no room at all is ERR_BUFFER_OUT_OF_BOUNDS,
  // otherwise the offsets that would have fitted are named.
  if (width > size_) throw detail::errBufferOutOfBounds();
  throw detail::errOutOfRange("offset",
                              ">= 0 and <= " + std::to_string(size_ - width),
                              std::to_string(offset));
}

void Buffer::valueOutOfRange(std::int64_t min, std::uint64_t max, bool negative,
                             std::uint64_t magnitude) {
  std::string received = negative ? "-" : "";
  received += std::to_string(magnitude);
  throw detail::errOutOfRange(
      "value", ">= " + std::to_string(min) + " and <= " + std::to_string(max),
      received);
}

}  // namespace dgram
