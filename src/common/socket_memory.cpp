// BlockPool: slabs of equal blocks for createSocket (see socket_memory.hpp).
// Layer: common state machine.
#include "common/socket_memory.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <new>
#include <thread>

namespace dgram::detail {

BlockPool::~BlockPool() {
  for (Slab** list : {&open_, &full_}) {
    while (Slab* slab = *list) {
      unlink(*list, slab);
      ::operator delete(slab);
    }
  }
  ::operator delete(spare_);
}

void* BlockPool::allocateInNewSlab() {
  Slab* slab = spare_;
  if (!slab) {
    std::unique_lock<SpinLock> guard(lock_, std::adopt_lock);
    slab = newSlab();  // may throw: unlocked
    guard.release();   // held on, for take()
    cut(slab);
  }
  spare_ = nullptr;
  link(open_, slab);  // its free list has blocks (a spare's: all it cut)
  return take();
}

void* BlockPool::allocateContended() {
  lock_.lock();
  return take();
}

void BlockPool::cut(Slab* slab) noexcept {
  std::size_t from = slab->carved;
  std::size_t to = std::min(from + kBlocksPerCut, blocksPerSlab_);
  slab->carved = to;
  // Linked front to back, so that blocks are given out in address order.
  BlockHeader* next = nullptr;
  for (std::size_t i = to; i-- > from;) {
    auto* block = reinterpret_cast<BlockHeader*>(slab->blocks() + i * stride_);
    block->next = next;
    next = block;
  }
  slab->free = next;
}

void* BlockPool::ranOut(Slab* slab, void* payload) noexcept {
  if (slab->carved < blocksPerSlab_) {
    cut(slab);
  } else {
    unlink(open_, slab);
    link(full_, slab);
  }
  lock_.unlock();
  return payload;
}

void BlockPool::slabChanged(Slab* slab, bool wasFull) noexcept {
  std::lock_guard<SpinLock> guard(lock_, std::adopt_lock);
  if (slab->used == 0) {
    // Empty: back to the heap, unless it is the one kept.
    unlink(wasFull ? full_ : open_, slab);
    if (!spare_) {
      spare_ = slab;  // its free list holds every block it cut
      return;
    }
    --slabs_;
    ::operator delete(slab);
    return;
  }
  // It was full: it has a free block again.
  unlink(full_, slab);
  link(open_, slab);
}

#ifndef DGRAM_SOCKET_BLOCKS_FROM_HEAP
void BlockPool::deallocateContended(void* payload) noexcept {
  lock_.lock();
  giveBack(payload);
}
#endif  // DGRAM_SOCKET_BLOCKS_FROM_HEAP

void BlockPool::SpinLock::lockContended() noexcept {
  do
    waitUnlocked();
  while (held_.exchange(true, std::memory_order_acquire));
}

void BlockPool::SpinLock::waitUnlocked() noexcept {
  // Another thread is inside allocate() or deallocate(): it is out within
  // a few dozen instructions, unless it was preempted there. Yielding lets
  // it run again, except where it cannot: a yield gives the processor only
  // to threads of the caller's priority or above, so a real-time thread
  // (SCHED_FIFO) waiting for a lower-priority holder on its processor
  // would yield to itself forever. After kYields a wait sleeps, which
  // lets any holder run.
  constexpr unsigned kYields = 64;
  for (unsigned waits = 0; held_.load(std::memory_order_relaxed); ++waits) {
    if (waits < kYields)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

bool BlockPool::usesSlabs() noexcept {
#ifdef DGRAM_SOCKET_BLOCKS_FROM_HEAP
  return false;
#else
  return true;
#endif
}

std::size_t BlockPool::slabCount() const {
  std::lock_guard<SpinLock> guard(lock_);
  return slabs_;
}

BlockPool::Slab* BlockPool::newSlab() {
  // The header sizes the constructor (in the header) counts with.
  static_assert(sizeof(BlockHeader) <= kHeaderBytes &&
                kHeaderBytes % kBlockAlign == 0);
  static_assert(roundUp(sizeof(Slab), kBlockAlign) == kSlabHeaderBytes);
  Slab* slab = new (::operator new(slabBytes_)) Slab;
  ++slabs_;
  return slab;
}

void BlockPool::link(Slab*& list, Slab* slab) noexcept {
  slab->prev = nullptr;
  slab->next = list;
  if (list) list->prev = slab;
  list = slab;
}

void BlockPool::unlink(Slab*& list, Slab* slab) noexcept {
  if (slab->prev)
    slab->prev->next = slab->next;
  else
    list = slab->next;
  if (slab->next) slab->next->prev = slab->prev;
  slab->prev = slab->next = nullptr;
}

}  // namespace dgram::detail
