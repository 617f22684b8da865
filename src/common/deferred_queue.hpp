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

  // The ends of the blocks in use are kept as pointers, so a push or a
  // take is one comparison and a copy (no block header to read first).
  void push(const DeferredCall& call) {
    // Full, or no block yet: all of it out of line (the call's fields in
    // registers), so that the caller keeps nothing across a call on the
    // usual path.
    if (pushAt_ == pushEnd_)
      return pushInNewBlock(call.run, call.context, call.data);
    *pushAt_++ = call;
    ++size_;
  }

  /// The calls at the front that are in one block, at most `count` of
  /// them (`count` <= size()), for a caller that runs them in place (the
  /// loop): it counts each out (countOut) as it takes it, before running
  /// it, and says how far it got (takenUpTo) when it is done or a call
  /// threw; nothing else may take calls meanwhile. The run then needs no
  /// bookkeeping per call but the count.
  struct Span {
    DeferredCall* first;
    DeferredCall* last;
  };
  Span front(std::size_t count) const noexcept {
    // A head block before the tail is full; the tail's calls are size()
    // (no more than `count` are asked for): its end bounds both.
    auto inBlock = static_cast<std::size_t>(popEnd_ - popAt_);
    return Span{popAt_, popAt_ + (count < inBlock ? count : inBlock)};
  }
  void countOut() noexcept { --size_; }
  /// The calls before `at` (of the last front()) are taken.
  void takenUpTo(DeferredCall* at) noexcept {
    popAt_ = at;
    // Empty (the next call to take would be where the next push goes: a
    // tail block after the head always holds a call, so that is the head
    // block), or the head block's last place taken. Tested by place, not
    // by size_: the run's loop then keeps no copy of size_ and counts each
    // call out in memory, in one instruction.
    if (popAt_ == pushAt_ || popAt_ == popEnd_) emptied();
  }

  /// Drops every call unrun.
  void clear() noexcept {
    while (head_) {
      Block* next = head_->next;
      retire(head_);
      head_ = next;
    }
    tail_ = nullptr;
    pushAt_ = pushEnd_ = popAt_ = popEnd_ = nullptr;
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
    DeferredCall* begin() const noexcept { return calls.get(); }
    DeferredCall* end() const noexcept { return calls.get() + capacity; }
    Block* next = nullptr;
    std::unique_ptr<DeferredCall[]> calls;
    std::uint32_t capacity;
  };

  /// takenUpTo() emptied the queue or took the head block's last
  /// place (out of line: the caller's loop keeps the call it took in
  /// registers).
  DGRAM_NOINLINE void emptied() noexcept {
    Block* block = head_;
    if (block != tail_) {
      // A full block before the tail: the next one is the head now.
      head_ = block->next;
      retire(block);
      popAt_ = head_->begin();
      popEnd_ = head_->end();
    } else if (block->capacity == kBlockCalls) {
      popAt_ = pushAt_ = block->begin();  // the only block: reused in place
    } else {
      clear();  // a burst's last large block goes too
    }
  }

  DGRAM_NOINLINE void pushInNewBlock(void (*run)(void*, void*), void* context,
                                     void* data) {
    addBlock();
    *pushAt_++ = DeferredCall{run, context, data};
    ++size_;
  }

  void addBlock() {
    Block* block = nullptr;
    if (tail_) {
      block = new Block(kLargeBlockCalls);  // a burst
    } else if (spare_) {
      block = std::exchange(spare_, nullptr);
      block->next = nullptr;
    } else {
      block = new Block(kBlockCalls);
    }
    if (tail_) {
      tail_->next = block;
    } else {
      head_ = block;
      popAt_ = block->begin();
      popEnd_ = block->end();
    }
    tail_ = block;
    pushAt_ = block->begin();
    pushEnd_ = block->end();
  }

  void retire(Block* block) noexcept {
    if (block->capacity == kBlockCalls && !spare_)
      spare_ = block;
    else
      delete block;
  }

  Block* head_ = nullptr;
  Block* tail_ = nullptr;
  Block* spare_ = nullptr;           ///< the usual block, kept while unused
  DeferredCall* pushAt_ = nullptr;   ///< the tail's next free place
  DeferredCall* pushEnd_ = nullptr;  ///< the tail's end
  DeferredCall* popAt_ = nullptr;    ///< the head's first call not yet taken
  DeferredCall* popEnd_ = nullptr;   ///< the head's end
  std::size_t size_ = 0;
};

}  // namespace dgram::detail
