// DeferredQueue (the loop's deferred calls): first in, first out across
// its blocks, whatever the mix of pushes and pops: the usual block filled
// to its last place and past it, a burst that continues in large blocks,
// pops that empty the queue in the middle of a block (which then starts
// again in place), and calls pushed while others are taken. Nothing is
// lost, nothing comes twice, and clear() drops what is left.
#include "support/catch.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/deferred_queue.hpp"

namespace {

using dgram::detail::DeferredCall;
using dgram::detail::DeferredQueue;

/// A call that stands for `n` (its context), recognisable when popped.
DeferredCall callFor(std::size_t n) {
  return DeferredCall{nullptr, reinterpret_cast<void*>(n + 1),
                      reinterpret_cast<void*>(~n)};
}

std::size_t numberOf(const DeferredCall& call) {
  auto n = reinterpret_cast<std::uintptr_t>(call.context) - 1;
  CHECK(call.data == reinterpret_cast<void*>(~n));
  return n;
}

/// Takes the first call out, the loop's way (a run in place of one call:
/// front, countOut, takenUpTo).
DeferredCall pop(DeferredQueue& queue) {
  DeferredQueue::Span span = queue.front(1);
  DeferredCall call = *span.first;
  queue.countOut();
  queue.takenUpTo(span.first + 1);
  return call;
}

/// Pushes `count` calls numbered from `next`, then pops `pops`, checking
/// that they come in order from `expected`.
void pushThenPop(DeferredQueue& queue, std::size_t& next, std::size_t& expected,
                 std::size_t count, std::size_t pops) {
  for (std::size_t i = 0; i < count; ++i)
    queue.push(callFor(next++));
  for (std::size_t i = 0; i < pops; ++i) {
    REQUIRE_FALSE(queue.empty());
    CHECK(numberOf(pop(queue)) == expected++);
  }
  CHECK(queue.size() == next - expected);
}

}  // namespace

TEST_CASE("deferred queue: first in, first out across its blocks",
          "[loop][deferred]") {
  DeferredQueue queue;
  std::size_t next = 0;
  std::size_t expected = 0;
  // Sizes around the usual block's (256) and a burst's large blocks
  // (8,192), each drained to empty, partly drained, or drained in steps
  // while more arrive.
  const std::size_t rounds[][2] = {
      {1, 1},       {255, 255},  {256, 256}, {257, 257}, {256, 100},
      {300, 456},   {513, 0},    {0, 513},   {20000, 7}, {5, 19000},
      {9000, 1003}, {1, 8996},   {256, 256}, {257, 1},   {600, 856},
      {8192, 8000}, {8192, 8384}};
  for (const auto& round : rounds)
    pushThenPop(queue, next, expected, round[0], round[1]);
  CHECK(queue.empty());
  // A queue used again after it emptied keeps its order.
  for (int step = 0; step < 1000; ++step)
    pushThenPop(queue, next, expected, 3, 2);
  pushThenPop(queue, next, expected, 0, 1000);
  CHECK(queue.empty());
}

TEST_CASE("deferred queue: calls pushed while others are taken follow them",
          "[loop][deferred]") {
  // The loop's pattern: take the calls there were, each pushing more.
  DeferredQueue queue;
  std::size_t next = 0;
  std::size_t expected = 0;
  for (std::size_t i = 0; i < 300; ++i)
    queue.push(callFor(next++));
  for (int turn = 0; turn < 40; ++turn) {
    for (std::size_t count = queue.size(); count > 0; --count) {
      CHECK(numberOf(pop(queue)) == expected++);
      if (expected % 3 != 0) queue.push(callFor(next++));
    }
  }
  while (!queue.empty())
    CHECK(numberOf(pop(queue)) == expected++);
  CHECK(expected == next);
}

TEST_CASE("deferred queue: clear drops every call, the queue works after",
          "[loop][deferred]") {
  DeferredQueue queue;
  for (std::size_t i = 0; i < 10000; ++i)
    queue.push(callFor(i));
  for (std::size_t i = 0; i < 10; ++i)
    CHECK(numberOf(pop(queue)) == i);
  queue.clear();
  CHECK(queue.empty());
  CHECK(queue.size() == 0);
  std::size_t next = 100;
  std::size_t expected = 100;
  pushThenPop(queue, next, expected, 700, 700);
  CHECK(queue.empty());
}

TEST_CASE("deferred queue: a run in place takes what it ran, also when cut",
          "[loop][deferred]") {
  // The loop's way (LoopCore::runDeferredCalls): the front calls of a
  // block, counted out one by one, taken up to where the run got; a run
  // cut short (a call threw) leaves the rest in front, ahead of the calls
  // pushed during the run.
  DeferredQueue queue;
  std::size_t next = 0;
  std::size_t expected = 0;
  for (std::size_t i = 0; i < 700; ++i)
    queue.push(callFor(next++));
  int runs = 0;
  while (!queue.empty()) {
    std::size_t count = queue.size();
    while (count > 0) {
      DeferredQueue::Span span = queue.front(count);
      REQUIRE(span.first != span.last);
      count -= static_cast<std::size_t>(span.last - span.first);
      DeferredCall* at = span.first;
      bool cut = false;
      while (at != span.last) {
        CHECK(numberOf(*at++) == expected++);
        queue.countOut();
        // Each call defers another for a while (the block fills and a
        // large one follows); every seventh run stops after a call.
        if (next < 5000) queue.push(callFor(next++));
        if (++runs % 7 == 0) {
          cut = true;
          break;
        }
      }
      queue.takenUpTo(at);
      CHECK(queue.size() == next - expected);
      if (cut) break;
    }
  }
  CHECK(expected == next);
  CHECK(next == 5000);
  // And the queue starts again after it emptied so.
  std::size_t again = next;
  pushThenPop(queue, next, again, 300, 300);
  CHECK(queue.empty());
}
