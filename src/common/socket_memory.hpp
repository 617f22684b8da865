// Where createSocket's one allocation comes from: the Socket, its state,
// its platform socket and the shared_ptr's control block, in one block.
//
// Why not the C library's malloc: every socket's block has the same size,
// and in a burst (thousands of sockets created, bound, later closed) glibc
// cuts each from the top of the heap and, when freed, merges each with the
// freed neighbour before it: about 350 instructions a socket, more than the
// rest of its creation, bind and close together. Here the blocks of one
// size come from slabs of about 180, each block remembering its slab: a
// block is taken from its slab's free list and given back to it. A slab's
// blocks join its free list a few dozen at a time, from its unused end,
// when the list runs out (so that allocating is only a pop, and a program
// with one socket does not touch a whole slab).
//
// Process-wide, behind one lock: a socket may outlive its loop, and its
// last reference may go on another thread than the one that made it. The
// lock is held for a few dozen instructions, so it spins (yielding, then
// sleeping: see waitUnlocked) rather than being a mutex, whose lock and
// unlock cost three times the pool's own work. A slab goes back to the
// heap as soon as its last block does (one empty slab is kept, so that a
// program that makes and closes one socket at a time does not allocate a
// slab each time), so memory returns to its baseline after a burst.
// Blocks are never moved.
//
// Builds with AddressSanitizer take each block from the heap instead, so
// that a socket used after it was freed is still reported.
// Layer: common state machine.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

#include "common/compiler.hpp"

// Builds with AddressSanitizer take each block from the heap (see above).
#if defined(__SANITIZE_ADDRESS__)
#define DGRAM_SOCKET_BLOCKS_FROM_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DGRAM_SOCKET_BLOCKS_FROM_HEAP 1
#endif
#endif

namespace dgram::detail {

// A block: its header (the slab it belongs to while in use, the next free
// block while free), then what the caller asked for.
union BlockHeader {
  void* slab;
  BlockHeader* next;
};

/// Blocks of one size (fixed when the pool is made), in slabs.
class BlockPool {
 public:
  /// A pool of blocks of `size` bytes, aligned for any object whose
  /// alignment is at most kBlockAlign. (A constant expression: the pools
  /// socketBlockPool uses are made before the program runs.)
  explicit constexpr BlockPool(std::size_t size) noexcept
      : stride_(roundUp(kHeaderBytes + size, kBlockAlign)),
        blocksPerSlab_((kSlabBytes - kSlabHeaderBytes) / stride_),
        slabBytes_(kSlabHeaderBytes + blocksPerSlab_ * stride_) {}
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;
  /// Never called for the pools socketBlockPool makes (they are never
  /// destroyed: a socket may be freed during the program's exit, after
  /// static destructors ran). Frees the slabs (all blocks must be free).
  ~BlockPool();

  static constexpr std::size_t kBlockAlign = 8;

  /// A block (throws std::bad_alloc as operator new does).
  void* allocate();
  /// Gives back a block allocate() returned.
  void deallocate(void* block) noexcept;

  /// For tests: slabs held now (the kept empty one included).
  std::size_t slabCount() const;
  /// Whether blocks come from slabs (false under AddressSanitizer: from
  /// the heap one by one).
  static bool usesSlabs() noexcept;
  /// Blocks per slab.
  std::size_t blocksPerSlab() const noexcept { return blocksPerSlab_; }

 private:
  friend struct BlockPoolProbe;  // the tests hold the lock (socket_memory)
  static constexpr std::size_t roundUp(std::size_t n, std::size_t to) noexcept {
    return (n + to - 1) / to * to;
  }
  /// A slab's size at most: a few pages, for about 180 socket blocks
  /// (below the size the C library maps on its own, so slabs come from its
  /// heap). A slab takes only what its blocks fill: a socket costs its
  /// block and its share of one slab header (a malloc'd block cost a chunk
  /// header).
  static constexpr std::size_t kSlabBytes = 32 * 1024 - 64;
  /// A block's header: the slab it belongs to while in use, the next free
  /// block while free (socket_memory.cpp).
  static constexpr std::size_t kHeaderBytes = 8;
  /// Blocks cut from a slab's unused end onto its free list at a time
  /// (see the top of this file).
  static constexpr std::size_t kBlocksPerCut = 32;
  /// A slab's header, before its blocks: three pointers and two counts
  /// (socket_memory.cpp checks it against the Slab itself).
  static constexpr std::size_t kSlabHeaderBytes =
      (3 * sizeof(void*) + 2 * sizeof(std::size_t) + kBlockAlign - 1) /
      kBlockAlign * kBlockAlign;
  struct Slab;
  Slab* newSlab();
  /// Puts the next blocks of `slab`'s unused end on its free list, which
  /// is empty (with the lock held).
  void cut(Slab* slab) noexcept;
  // The parts of allocate() and deallocate() that change the slab lists,
  // out of line so that the usual call keeps no register saved. Each is
  // called with the lock held and unlocks it.
  /// allocate() with no slab open: a spare or new one.
  DGRAM_NOINLINE void* allocateInNewSlab();
  /// allocate() just emptied the free list of `slab`: cuts more blocks,
  /// or, with none left to cut, the slab becomes full.
  DGRAM_NOINLINE void* ranOut(Slab* slab, void* payload) noexcept;
  /// allocate() found the lock held: waits for it, then allocates.
  DGRAM_NOINLINE void* allocateContended();
  /// allocate()'s work with the lock held (unlocks it).
  DGRAM_ALWAYS_INLINE void* take();
  /// deallocate() gave a block back to `slab`, which was full or is empty.
  DGRAM_NOINLINE void slabChanged(Slab* slab, bool wasFull) noexcept;
  /// deallocate() found the lock held: waits for it, then gives back.
  DGRAM_NOINLINE void deallocateContended(void* payload) noexcept;
  /// deallocate()'s work with the lock held (unlocks it).
  DGRAM_ALWAYS_INLINE void giveBack(void* payload) noexcept;
  void link(Slab*& list, Slab* slab) noexcept;
  void unlink(Slab*& list, Slab* slab) noexcept;

  /// Held for a few instructions at a time (see the top of this file).
  class SpinLock {
   public:
    void lock() noexcept {
      if (!tryLock()) lockContended();
    }
    bool tryLock() noexcept {
      return !held_.exchange(true, std::memory_order_acquire);
    }
    void unlock() noexcept { held_.store(false, std::memory_order_release); }

   private:
    /// lock() (or tryLock()) found it held: waits, then takes it.
    DGRAM_NOINLINE void lockContended() noexcept;
    void waitUnlocked() noexcept;
    std::atomic<bool> held_{false};
  };
  static_assert(std::atomic<bool>::is_always_lock_free);

  mutable SpinLock lock_;
  std::size_t stride_;         ///< a block with its slab pointer
  std::size_t blocksPerSlab_;  ///< blocks a slab holds
  std::size_t slabBytes_;      ///< a slab's size
  /// Slabs with a free block (never an empty free list: see ranOut), a
  /// list.
  Slab* open_ = nullptr;
  /// Slabs without one, a list: every slab stays reachable from the pool
  /// (a leak checker sees a socket alive at exit as reachable).
  Slab* full_ = nullptr;   ///< (their free lists are empty)
  Slab* spare_ = nullptr;  ///< one empty slab, kept
  std::size_t slabs_ = 0;  ///< slabs held, the spare included
};

struct BlockPool::Slab {
  Slab* prev = nullptr;  ///< in open_ or full_
  Slab* next = nullptr;
  /// Blocks to give out: given back, or cut from the unused end.
  BlockHeader* free = nullptr;
  std::size_t used = 0;    ///< blocks given out
  std::size_t carved = 0;  ///< blocks cut from the front so far

  unsigned char* blocks() noexcept {
    return reinterpret_cast<unsigned char*>(this) + kSlabHeaderBytes;
  }
};

// allocate() and deallocate(), inline where the sockets are made and
// released (createSocket, the control block's release): their usual call
// is a few instructions, less than a call's own.
inline void* BlockPool::allocate() {
#ifdef DGRAM_SOCKET_BLOCKS_FROM_HEAP
  return ::operator new(stride_ - kHeaderBytes);
#else
  // The wait is out of line, with the rest of the call (as deallocate's):
  // the usual call keeps no register saved for it.
  if (!lock_.tryLock()) return allocateContended();
  return take();
#endif  // DGRAM_SOCKET_BLOCKS_FROM_HEAP
}

inline void* BlockPool::take() {
  Slab* slab = open_;
  if (!slab) return allocateInNewSlab();
  BlockHeader* block = slab->free;  // an open slab's list has one
  BlockHeader* next = block->next;
  slab->free = next;
  block->slab = slab;
  ++slab->used;
  void* payload = reinterpret_cast<unsigned char*>(block) + kHeaderBytes;
  if (!next) return ranOut(slab, payload);
  lock_.unlock();
  return payload;
}

inline void BlockPool::deallocate(void* payload) noexcept {
#ifdef DGRAM_SOCKET_BLOCKS_FROM_HEAP
  ::operator delete(payload);
#else
  // The wait is out of line, with the rest of the call: the usual call
  // keeps no register saved (it runs in the socket's final release).
  if (!lock_.tryLock()) return deallocateContended(payload);
  giveBack(payload);
#endif  // DGRAM_SOCKET_BLOCKS_FROM_HEAP
}

#ifndef DGRAM_SOCKET_BLOCKS_FROM_HEAP
inline void BlockPool::giveBack(void* payload) noexcept {
  auto* block = reinterpret_cast<BlockHeader*>(
      static_cast<unsigned char*>(payload) - kHeaderBytes);
  auto* slab = static_cast<Slab*>(block->slab);
  BlockHeader* first = slab->free;
  bool wasFull = !first;  // (an open slab's list is never empty)
  block->next = first;
  slab->free = block;
  if (--slab->used == 0 || wasFull) return slabChanged(slab, wasFull);
  lock_.unlock();
}
#endif  // DGRAM_SOCKET_BLOCKS_FROM_HEAP

/// A BlockPool that is never destroyed (see socketBlockPool).
union ImmortalBlockPool {
  explicit constexpr ImmortalBlockPool(std::size_t size) noexcept
      : pool(size) {}
  ~ImmortalBlockPool() {}  // `pool` stays
  BlockPool pool;
};

/// The storage of socketBlockPool<Size>: initialised as a constant, before
/// any code runs, so no call tests a guard (a function's static would).
template <std::size_t Size>
inline ImmortalBlockPool socketBlockPoolStorage{Size};

/// The pool for blocks of `Size` bytes, never destroyed: a socket may be
/// freed during the program's exit, after static destructors ran.
template <std::size_t Size>
BlockPool& socketBlockPool() {
  return socketBlockPoolStorage<Size>.pool;
}

/// The allocator createSocket's allocate_shared takes its one block from
/// (see above): the control block and the object it holds, of one size.
template <typename T>
struct SocketAllocator {
  using value_type = T;
  SocketAllocator() = default;
  template <typename U>
  SocketAllocator(const SocketAllocator<U>&) noexcept {}  // NOLINT: rebind

  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= BlockPool::kBlockAlign);
    if (n != 1) return static_cast<T*>(::operator new(n * sizeof(T)));
    return static_cast<T*>(socketBlockPool<sizeof(T)>().allocate());
  }
  void deallocate(T* block, std::size_t n) noexcept {
    if (n != 1) return ::operator delete(block);
    socketBlockPool<sizeof(T)>().deallocate(block);
  }

  template <typename U>
  bool operator==(const SocketAllocator<U>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const SocketAllocator<U>&) const noexcept {
    return false;
  }
};

}  // namespace dgram::detail
