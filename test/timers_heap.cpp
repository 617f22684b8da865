// The loop's timers as an indexed heap: removal from anywhere, in-place
// re-arming, and deadline order (ties: creation order) kept through both.
#include "support/catch.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <map>
#include <random>
#include <vector>

#include "common/timers.hpp"

using dgram::detail::Timers;
using namespace std::chrono_literals;

TEST_CASE("timers fire in deadline order after removals from the middle",
          "[timer]") {
  Timers timers;
  const auto base = Timers::Clock::now();
  std::mt19937 random(12345);
  struct Planned {
    int due;
    int order;
    std::uint64_t id = 0;
    bool cancelled = false;
  };
  std::vector<Planned> plan;
  std::vector<int> fired;
  for (int i = 0; i < 500; ++i) {
    Planned p{static_cast<int>(random() % 50), i};
    p.id = timers.add(base + std::chrono::milliseconds(p.due),
                      [&fired, i] { fired.push_back(i); });
    plan.push_back(p);
  }
  for (int i = 0; i < 250; ++i) {
    Planned& p = plan[random() % plan.size()];
    CHECK(timers.cancel(p.id) == !p.cancelled);
    p.cancelled = true;
  }
  std::vector<Planned> expected;
  for (const Planned& p : plan)
    if (!p.cancelled) expected.push_back(p);
  std::stable_sort(
      expected.begin(), expected.end(),
      [](const Planned& a, const Planned& b) { return a.due < b.due; });
  CHECK(timers.refCount() == expected.size());
  timers.runDue(base + 1s);
  REQUIRE(fired.size() == expected.size());
  for (std::size_t i = 0; i < fired.size(); ++i)
    CHECK(fired[i] == expected[i].order);
  CHECK(timers.refCount() == 0);
  CHECK_FALSE(timers.nextDue());
}

TEST_CASE("a cancelled id stays dead after its slot is reused", "[timer]") {
  Timers timers;
  const auto base = Timers::Clock::now();
  int first = 0;
  int second = 0;
  auto old = timers.add(base, [&] { ++first; });
  CHECK(timers.cancel(old));
  auto reused = timers.add(base, [&] { ++second; });
  CHECK(reused != old);
  CHECK_FALSE(timers.cancel(old));  // must not cancel the new timer
  timers.runDue(base + 1ms);
  CHECK(first == 0);
  CHECK(second == 1);
  CHECK_FALSE(timers.cancel(reused));  // fired: no longer pending
}

TEST_CASE("rescheduling moves a timer in place", "[timer]") {
  Timers timers;
  const auto base = Timers::Clock::now();
  std::vector<char> fired;
  auto a = timers.add(
      base + 10ms, [&] { fired.push_back('a'); }, false);
  timers.add(base + 20ms, [&] { fired.push_back('b'); });
  const std::uint64_t issued = timers.issued();
  CHECK(timers.reschedule(a, base + 30ms));
  CHECK(timers.dueOf(a) == base + 30ms);
  CHECK(timers.issued() == issued);  // no new timer
  CHECK(timers.refCount() == 1);     // a stays unref'd
  CHECK(timers.nextDue() == base + 20ms);
  timers.runDue(base + 25ms);
  CHECK(fired == std::vector<char>{'b'});
  CHECK(timers.reschedule(a, base + 5ms));
  timers.runDue(base + 25ms);
  CHECK(fired == std::vector<char>{'b', 'a'});
  CHECK_FALSE(timers.reschedule(a, base));  // fired: nothing to move
}

TEST_CASE("the earliest deadline stays right through every heap change",
          "[timer]") {
  // The loop reads earliest() and anyDue() every turn, which the heap
  // keeps rather than finds: after each add, cancel, reschedule and run
  // they must agree with the deadlines actually pending.
  Timers timers;
  const auto base = Timers::Clock::now();
  std::mt19937 random(4242);
  std::map<std::uint64_t, Timers::Clock::time_point> pending;
  auto pick = [&] {
    auto it = pending.begin();
    std::advance(it, random() % pending.size());
    return it->first;
  };
  for (int step = 0; step < 3000; ++step) {
    auto due = base + std::chrono::microseconds(random() % 100000);
    switch (random() % 5) {
      case 0:
      case 1:
        pending[timers.add(due, [] {})] = due;
        break;
      case 2:
        if (pending.empty()) break;
        {
          auto id = pick();
          CHECK(timers.cancel(id));
          pending.erase(id);
        }
        break;
      case 3:
        if (pending.empty()) break;
        {
          auto id = pick();
          CHECK(timers.reschedule(id, due));
          pending[id] = due;
        }
        break;
      default: {
        auto now = base + std::chrono::microseconds(random() % 20000);
        timers.runDue(now);
        for (auto it = pending.begin(); it != pending.end();)
          it = it->second <= now ? pending.erase(it) : std::next(it);
        break;
      }
    }
    REQUIRE(timers.empty() == pending.empty());
    if (pending.empty()) {
      CHECK_FALSE(timers.anyDue(base + std::chrono::hours(1)));
      continue;
    }
    auto earliest = pending.begin()->second;
    for (const auto& entry : pending)
      earliest = std::min(earliest, entry.second);
    REQUIRE(timers.earliest() == earliest);
    CHECK(timers.anyDue(earliest));
    CHECK_FALSE(timers.anyDue(earliest - std::chrono::nanoseconds(1)));
  }
}

TEST_CASE("a timer that re-arms itself with no delay waits for the next turn",
          "[timer]") {
  Timers timers;
  const auto base = Timers::Clock::now();
  int runs = 0;
  std::function<void()> again = [&] {
    ++runs;
    timers.add(base, again);
  };
  timers.add(base, again);
  timers.runDue(base + 1ms);
  CHECK(runs == 1);
  timers.runDue(base + 1ms);
  CHECK(runs == 2);
}

// Issue 21 item 6: a slot's generation is 32 bits, so after 2^32 re-arms
// of one slot its ids came round again and a stale clearTimeout cancelled
// a newer timer. The constructor's argument starts every slot's
// generation where 2^32 - 2 re-arms of it would have left it (each id
// below that generation was handed out in that history).
TEST_CASE("timer ids never repeat, not even after 2^32 re-arms of a slot",
          "[timer]") {
  const std::uint32_t aged = 0xfffffffeu;
  Timers timers(aged);
  const auto base = Timers::Clock::now();
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 6; ++i) {
    std::uint64_t id = timers.add(base, [] {});
    CHECK(id != 0);
    // Every id of the history the generation stands for is below it.
    CHECK((id >> 32) >= aged);
    for (std::uint64_t old : ids)
      CHECK(id != old);
    // A stale id never cancels the timer that is pending now.
    for (std::uint64_t old : ids)
      CHECK_FALSE(timers.cancel(old));
    CHECK(timers.dueOf(id).has_value());
    CHECK(timers.cancel(id));
    ids.push_back(id);
  }
}
