// createSocket's block pool (common/socket_memory.hpp): blocks are distinct
// and usable, given back to their slab, slabs go back to the heap once
// empty (one is kept), and threads may allocate and free concurrently, a
// block freed on another thread than the one that took it.
#include "support/catch.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "common/socket_memory.hpp"
#include "support/heap_usage.hpp"
#include "support/socket_helpers.hpp"

namespace {

using dgram::detail::BlockPool;

constexpr std::size_t kBlock = 168;  // a socket's block on 64-bit systems

bool aligned(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % BlockPool::kBlockAlign == 0;
}

}  // namespace

TEST_CASE("pool blocks are distinct, aligned and usable", "[memory]") {
  BlockPool pool(kBlock);
  REQUIRE(pool.blocksPerSlab() >= 8);
  const std::size_t count = pool.blocksPerSlab() * 3 + 5;
  std::vector<unsigned char*> blocks;
  for (std::size_t i = 0; i < count; ++i) {
    auto* block = static_cast<unsigned char*>(pool.allocate());
    CHECK(aligned(block));
    std::memset(block, static_cast<int>(i & 0xff), kBlock);
    blocks.push_back(block);
  }
  // No two overlap: sorted, each ends before the next starts.
  std::vector<unsigned char*> sorted = blocks;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 1; i < sorted.size(); ++i)
    CHECK(sorted[i - 1] + kBlock <= sorted[i]);
  // What was written stayed (no block's header sits in another block).
  for (std::size_t i = 0; i < count; ++i) {
    CHECK(blocks[i][0] == (i & 0xff));
    CHECK(blocks[i][kBlock - 1] == (i & 0xff));
  }
  if (BlockPool::usesSlabs()) CHECK(pool.slabCount() == 4);
  for (unsigned char* block : blocks)
    pool.deallocate(block);
}

TEST_CASE("empty slabs go back to the heap but one", "[memory]") {
  if (!BlockPool::usesSlabs()) {
    WARN("SKIPPED: under AddressSanitizer blocks come from the heap");
    return;
  }
  BlockPool pool(kBlock);
  const std::size_t perSlab = pool.blocksPerSlab();
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < perSlab * 5; ++i)
    blocks.push_back(pool.allocate());
  CHECK(pool.slabCount() == 5);
  // Freed in a scrambled order: every slab passes from full to partly
  // free to empty.
  std::mt19937 random(7);
  std::shuffle(blocks.begin(), blocks.end(), random);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    pool.deallocate(blocks[i]);
    CHECK(pool.slabCount() <= 5);
  }
  CHECK(pool.slabCount() == 1);  // the one kept
  // A socket made and closed over and over reuses the kept slab.
  for (int i = 0; i < 1000; ++i) {
    void* block = pool.allocate();
    pool.deallocate(block);
  }
  CHECK(pool.slabCount() == 1);
  // Blocks given back are given out again before the slab grows.
  std::set<void*> first;
  for (std::size_t i = 0; i < perSlab; ++i)
    first.insert(pool.allocate());
  CHECK(pool.slabCount() == 1);
  for (void* block : first)
    pool.deallocate(block);
  CHECK(pool.slabCount() == 1);
}

TEST_CASE("a slab gives out all its blocks, freed ones and unused ones mixed",
          "[memory]") {
  if (!BlockPool::usesSlabs()) {
    WARN("SKIPPED: under AddressSanitizer blocks come from the heap");
    return;
  }
  BlockPool pool(kBlock);
  const std::size_t perSlab = pool.blocksPerSlab();
  // Blocks come from a slab's unused end a few at a time: frees between
  // allocations put blocks back before the end is reached.
  std::vector<void*> held;
  std::set<void*> seen;
  for (std::size_t i = 0; i < perSlab - 1; ++i) {
    held.push_back(pool.allocate());
    seen.insert(held.back());
    if (i % 3 == 2) {
      pool.deallocate(held[held.size() - 2]);
      held.erase(held.end() - 2);
    }
  }
  // The slab holds perSlab blocks: the rest fit in it, then one more
  // needs a second slab.
  while (held.size() < perSlab) {
    held.push_back(pool.allocate());
    seen.insert(held.back());
    CHECK(pool.slabCount() == 1);
  }
  CHECK(seen.size() == perSlab);  // no block was given out twice at once
  std::set<void*> distinct(held.begin(), held.end());
  CHECK(distinct.size() == perSlab);
  held.push_back(pool.allocate());
  CHECK(pool.slabCount() == 2);
  // Emptied in any order, then filled again: the kept slab gives all its
  // blocks again before a second one is made.
  std::mt19937 random(11);
  std::shuffle(held.begin(), held.end(), random);
  for (void* block : held)
    pool.deallocate(block);
  held.clear();
  CHECK(pool.slabCount() == 1);
  for (std::size_t i = 0; i < perSlab; ++i)
    held.push_back(pool.allocate());
  CHECK(pool.slabCount() == 1);
  held.push_back(pool.allocate());
  CHECK(pool.slabCount() == 2);
  for (void* block : held)
    pool.deallocate(block);
}

TEST_CASE("threads share the pool, a block freed by another thread",
          "[memory][thread]") {
  BlockPool pool(kBlock);
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  // Each thread hands half of what it takes to its neighbour to free.
  std::vector<std::vector<unsigned char*>> handed(kThreads);
  std::vector<std::atomic<bool>> ready(kThreads);
  std::atomic<int> corrupted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<unsigned char*> mine;
      for (int i = 0; i < kRounds; ++i) {
        auto* block = static_cast<unsigned char*>(pool.allocate());
        std::memset(block, t + 1, kBlock);
        mine.push_back(block);
        if (mine.size() == 16) {
          for (std::size_t k = 0; k < 8; ++k) {
            if (mine[k][0] != t + 1 || mine[k][kBlock - 1] != t + 1)
              ++corrupted;
            pool.deallocate(mine[k]);
          }
          mine.erase(mine.begin(), mine.begin() + 8);
        }
      }
      handed[t] = std::move(mine);
      ready[t] = true;
      // Free the neighbour's remainder once it is handed over (bounded).
      int next = (t + 1) % kThreads;
      for (int wait = 0; wait < 100000 && !ready[next]; ++wait)
        std::this_thread::yield();
      if (!ready[next]) return;
      for (unsigned char* block : handed[next]) {
        if (block[0] != next + 1) ++corrupted;
        pool.deallocate(block);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  CHECK(corrupted == 0);
  if (BlockPool::usesSlabs()) CHECK(pool.slabCount() <= 1);
}

#if defined(DGRAM_TEST_HEAP) && !defined(DGRAM_TEST_ASAN)

TEST_CASE("heap returns to baseline after a burst of sockets",
          "[memory][footprint]") {
  // 600 sockets bound and closed: their slabs go back to the heap.
  dgram::Loop loop;
  {
    auto warm = test::makeSocket(loop);  // loop tables, the kept slab
    bool bound = false;
    warm->bind(0, "127.0.0.1", [&bound] { bound = true; });
    REQUIRE(test::runUntil(
        loop, [&] { return bound; }, std::chrono::seconds(5)));
    warm->close();
    REQUIRE(test::runUntilIdle(loop));
  }
  std::size_t baseline = test::heapInUse();
  if (baseline == 0) {
    WARN("SKIPPED: the heap counters read 0 (running under valgrind?)");
    return;
  }
  constexpr int kSockets = 600;  // within the usual descriptor limit
  std::vector<std::shared_ptr<dgram::Socket>> sockets;
  int bound = 0;
  for (int i = 0; i < kSockets; ++i) {
    sockets.push_back(test::makeSocket(loop));
    sockets.back()->bind(0, "127.0.0.1", [&bound] { ++bound; });
  }
  REQUIRE(test::runUntil(
      loop, [&] { return bound == kSockets; }, std::chrono::seconds(30)));
  std::size_t peak = test::heapInUse();
  for (auto& socket : sockets)
    socket->close();
  REQUIRE(test::runUntilIdle(loop));
  sockets.clear();
  std::size_t after = test::heapInUse();
  INFO("baseline " << baseline << " peak " << peak << " after " << after);
  CHECK(peak > baseline + kSockets * 150);  // really held
  CHECK(after < baseline + 64 * 1024);
}
#endif

#ifdef __linux__
#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace dgram::detail {
// The pool's lock, held by a test as allocate() would hold it.
struct BlockPoolProbe {
  static void lock(BlockPool& pool) { pool.lock_.lock(); }
  static void unlock(BlockPool& pool) { pool.lock_.unlock(); }
};
}  // namespace dgram::detail

namespace {

// Runs the calling thread on `cpu` under SCHED_FIFO at `priority`; false
// where the system refuses (no CAP_SYS_NICE, an RT budget of 0).
bool realTimeOn(int cpu, int priority) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
    return false;
  sched_param param{};
  param.sched_priority = priority;
  return pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
}

}  // namespace

TEST_CASE(
    "a real-time thread waiting for the pool's lock lets a "
    "lower-priority holder on its processor finish",
    "[memory][thread]") {
  // The holder takes the lock and wakes the waiter, of higher priority on
  // the same processor, which preempts it at once and finds the lock
  // taken. Yielding gives the processor only to threads of the waiter's
  // priority: the holder would never run again. The wait must sleep.
  if (!BlockPool::usesSlabs()) {
    WARN("SKIPPED: blocks come from the heap in this build (no lock)");
    return;
  }
  BlockPool pool(kBlock);
  std::mutex mutex;
  std::condition_variable wake;
  bool go = false;
  std::atomic<int> refused{0};
  std::atomic<bool> allocated{false};
  std::atomic<bool> ready{false};
  std::atomic<pthread_t> waiterThread{};
  std::thread waiter([&] {
    waiterThread = pthread_self();
    if (!realTimeOn(0, 2)) ++refused;
    std::unique_lock<std::mutex> hold(mutex);
    ready = true;
    wake.wait(hold, [&] { return go; });
    hold.unlock();
    pool.deallocate(pool.allocate());  // the lock is held: waits
    allocated = true;
  });
  std::thread holder([&] {
    if (!realTimeOn(0, 1)) ++refused;
    while (!ready)
      std::this_thread::yield();
    dgram::detail::BlockPoolProbe::lock(pool);
    {
      std::lock_guard<std::mutex> hold(mutex);
      go = true;
    }
    wake.notify_one();  // the waiter preempts this thread here
    dgram::detail::BlockPoolProbe::unlock(pool);
  });
  // Bounded: a waiter that never lets the holder run is taken off real
  // time after 10 s, so that the test ends (and fails) rather than hangs.
  auto start = std::chrono::steady_clock::now();
  while (!allocated &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(10))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const bool inTime = allocated.load();
  if (!inTime) {
    sched_param normal{};
    pthread_setschedparam(waiterThread.load(), SCHED_OTHER, &normal);
  }
  holder.join();
  waiter.join();
  if (refused > 0) {
    WARN("SKIPPED: SCHED_FIFO or processor affinity refused here");
    return;
  }
  CHECK(inTime);
}
#endif  // __linux__
