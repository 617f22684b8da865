// DeferredQueue: the loop's deferred calls ("after this tick"), first in
// first out, in blocks of plain entries. A burst (thousands of sockets
// bound in one turn) adds blocks and never moves what is queued: a vector
// that doubled would copy every entry again at each growth, which cost
// more than the push itself. Emptied blocks are kept for reuse up to a
// bound, so the steady state allocates nothing and a burst does not keep
// its memory for the loop's lifetime.
// Layer: common state machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "common/compiler.hpp"

namespace dgram::detail {

/// A call deferred without a std::function: `run(context, data)`. Plain
/// data, so the queue copies it as bytes and it allocates nothing (a
/// socket's own steps, see SocketImpl::later). It owns nothing: dropped
/// unrun (the loop is destroyed first), it leaves nothing to free. An
/// entry with no `run` stands for the loop's next std::function call.
struct DeferredCall {
  void (*run)(void* context, void* data);
  void* context;
  void* data;
};

class DeferredQueue {
 public:
  DeferredQueue() = default;
  DeferredQueue(const DeferredQueue&) = delete;
  DeferredQueue& operator=(const DeferredQueue&) = delete;
  ~DeferredQueue() {
    clear();
    delete spare_;
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  void push(const DeferredCall& call) {
    if (!tail_ || tail_->end == tail_->capacity) addBlock();
    tail_->calls[tail_->end++] = call;
    ++size_;
  }

  /// Takes the first call out (the queue must not be empty).
  DeferredCall pop() noexcept {
    Block* block = head_;
    const DeferredCall& first = block->calls[block->begin++];
    DeferredCall call{first.run, first.context, first.data};
    --size_;
    if (block->begin == block->end) emptied(block);
    return call;
  }

  /// Drops every call unrun.
  void clear() noexcept {
    while (head_) {
      Block* next = head_->next;
      retire(head_);
      head_ = next;
    }
    tail_ = nullptr;
    size_ = 0;
  }

 private:
  // 256 entries (6 KiB) in the usual block, which an empty queue keeps
  // for reuse; there is one at most (a burst continues in large ones, and
  // the queue starts in the kept one again once it is empty). A burst (ten
  // thousand sockets bound in one turn) continues in large blocks of
  // 8,192 entries (192 KiB), freed as soon as they are emptied: blocks
  // that size get a mapping of their own from the C library (glibc maps
  // what is over 128 KiB) and go back to the system when freed, where many
  // small blocks, freed after the burst between the sockets it allocated,
  // would stay resident (24 bytes a socket in the bench's burst of ten
  // thousand).
  static constexpr std::uint32_t kBlockCalls = 256;
  static constexpr std::uint32_t kLargeBlockCalls = 8192;

  struct Block {
    explicit Block(std::uint32_t size)
        : calls(new DeferredCall[size]), capacity(size) {}
    Block* next = nullptr;
    std::unique_ptr<DeferredCall[]> calls;
    std::uint32_t capacity;
    std::uint32_t begin = 0;  ///< the first call not yet taken
    std::uint32_t end = 0;    ///< one past the last call pushed
  };

  /// pop() took the last call of `block`, the first (out of line: the
  /// caller's loop keeps the call it took in registers).
  DGRAM_NOINLINE void emptied(Block* block) noexcept {
    if (block == tail_ && block->capacity == kBlockCalls) {
      block->begin = block->end = 0;  // the only block: reused in place
    } else {
      head_ = block->next;  // a burst's last large block goes too
      if (block == tail_) tail_ = nullptr;
      retire(block);
    }
  }

  DGRAM_NOINLINE void addBlock() {
    Block* block = nullptr;
    if (tail_) {
      block = new Block(kLargeBlockCalls);  // a burst
    } else if (spare_) {
      block = std::exchange(spare_, nullptr);
      block->next = nullptr;
      block->begin = block->end = 0;
    } else {
      block = new Block(kBlockCalls);
    }
    if (tail_)
      tail_->next = block;
    else
      head_ = block;
    tail_ = block;
  }

  void retire(Block* block) noexcept {
    if (block->capacity == kBlockCalls && !spare_)
      spare_ = block;
    else
      delete block;
  }

  Block* head_ = nullptr;
  Block* tail_ = nullptr;
  Block* spare_ = nullptr;  ///< the usual block, kept while unused
  std::size_t size_ = 0;
};

}  // namespace dgram::detail
