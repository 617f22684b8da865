// The latency mode's spin budget on its own: it grows when a spin finds
// work, halves to zero when spins find nothing, comes back when traffic is
// hot, and backs off when spinning never pays (a peer on the same core).
#include "support/catch.hpp"

#include <chrono>
#include <cstdint>

#include "common/spin_budget.hpp"

using dgram::detail::SpinBudget;
using namespace std::chrono_literals;

namespace {

// A budget at its maximum after a hot sleep (a probe).
SpinBudget probed(SpinBudget::Duration maximum) {
  SpinBudget budget;
  budget.setMaximum(maximum);
  budget.slept(10us, true);
  return budget;
}

}  // namespace

TEST_CASE("a spin budget is off until a maximum is set", "[spin_budget]") {
  SpinBudget budget;
  CHECK_FALSE(budget.enabled());
  CHECK(budget.current() == 0ns);
  budget.slept(1us, true);  // hot traffic, but the mode is off
  CHECK(budget.current() == 0ns);
  CHECK(budget.counters().probes == 0);

  budget.setMaximum(50us);
  CHECK(budget.enabled());
  CHECK(budget.maximum() == 50us);
  CHECK(budget.current() == 0ns);  // starts asleep: an idle loop sleeps

  budget.setMaximum(-5us);  // nonsense reads as off
  CHECK_FALSE(budget.enabled());
}

TEST_CASE("a hot sleep raises a zero budget to the maximum, a cold one not",
          "[spin_budget]") {
  SpinBudget budget;
  budget.setMaximum(50us);
  budget.slept(5ms, false);  // the timeout ended it: nothing came
  CHECK(budget.current() == 0ns);
  budget.slept(SpinBudget::kProbeWindowFactor * 50us + 1ns, true);  // idle
  CHECK(budget.current() == 0ns);
  CHECK(budget.counters().probes == 0);

  budget.slept(SpinBudget::kProbeWindowFactor * 50us, true);  // hot
  CHECK(budget.current() == 50us);
  CHECK(budget.counters().probes == 1);
  budget.slept(1us, true);  // not at zero: a sleep changes nothing
  CHECK(budget.counters().probes == 1);
}

TEST_CASE("spins that find nothing halve the budget down to zero",
          "[spin_budget]") {
  SpinBudget budget = probed(50us);
  budget.found();  // the probe paid: ordinary halving from here on
  REQUIRE(budget.current() == 50us);
  // 50 -> 25 -> 12.5 -> 6.25 -> 3.125 -> 1.5625 -> 0.78 (< 1 us): zero.
  SpinBudget::Duration expected[] = {25us, 12500ns, 6250ns, 3125ns, 1562ns};
  for (SpinBudget::Duration step : expected) {
    budget.missed();
    CHECK(budget.current() == step);
  }
  budget.missed();
  CHECK(budget.current() == 0ns);
  CHECK(budget.counters().missed == 6);
  CHECK(budget.counters().found == 1);

  // Traffic comes back: the next hot sleep probes at once (the last probe
  // paid, so there is no holdoff), and a spin that finds work keeps it.
  budget.slept(20us, true);
  CHECK(budget.current() == 50us);
  CHECK(budget.counters().probes == 2);
  budget.found();
  CHECK(budget.current() == 50us);
}

TEST_CASE("spins that find work double the budget up to the maximum",
          "[spin_budget]") {
  SpinBudget budget = probed(40us);
  budget.found();
  budget.missed();
  budget.missed();
  REQUIRE(budget.current() == 10us);
  budget.found();
  CHECK(budget.current() == 20us);
  budget.found();
  CHECK(budget.current() == 40us);
  budget.found();
  CHECK(budget.current() == 40us);
  CHECK(budget.counters().found == 4);
}

TEST_CASE("a probe that finds nothing drops to zero and backs off",
          "[spin_budget]") {
  SpinBudget budget = probed(50us);
  budget.missed();  // the probe failed: straight to zero, not halved
  CHECK(budget.current() == 0ns);
  // Holdoffs of 2, 4, 8, ... hot sleeps, then a probe.
  for (std::uint32_t holdoff = 2; holdoff <= 16; holdoff *= 2) {
    for (std::uint32_t i = 0; i < holdoff; ++i) {
      budget.slept(5us, true);
      REQUIRE(budget.current() == 0ns);
    }
    budget.slept(5us, true);
    REQUIRE(budget.current() == 50us);
    budget.missed();
    REQUIRE(budget.current() == 0ns);
  }
  // Cold sleeps do not count towards the holdoff.
  budget.slept(1s, true);
  budget.slept(1us, false);
  for (int i = 0; i < 32; ++i)
    budget.slept(5us, true);
  CHECK(budget.current() == 0ns);
  budget.slept(5us, true);
  CHECK(budget.current() == 50us);

  // A spin that pays forgets the failures: after ordinary halving to zero
  // the next hot sleep probes at once, and a failure holds off 2 again.
  budget.found();
  for (int i = 0; i < 6; ++i)
    budget.missed();
  REQUIRE(budget.current() == 0ns);
  budget.slept(5us, true);
  REQUIRE(budget.current() == 50us);
  budget.missed();
  budget.slept(5us, true);
  budget.slept(5us, true);
  CHECK(budget.current() == 0ns);
  budget.slept(5us, true);
  CHECK(budget.current() == 50us);
}

TEST_CASE("a peer on the same core costs one spin per thousand wake-ups",
          "[spin_budget]") {
  // Model of a ping-pong on one core: the peer runs only while we sleep,
  // so every spin finds nothing and every sleep ends at once with work.
  SpinBudget budget;
  budget.setMaximum(50us);
  SpinBudget::Duration spun{0};
  const int wakeups = 100000;
  for (int i = 0; i < wakeups; ++i) {
    if (budget.current() > 0ns) {
      spun += budget.current();
      budget.missed();
    } else {
      budget.slept(7us, true);
    }
  }
  // Probes after 0, 2, 4, ... 1024 hot sleeps, then one per 1024.
  CHECK(budget.counters().found == 0);
  CHECK(budget.counters().probes <= 12 + wakeups / SpinBudget::kMaxHoldoff);
  CHECK(budget.counters().probes >= wakeups / (SpinBudget::kMaxHoldoff + 1));
  // About 0.75 us of spinning per wake-up against ~7 us of round trip.
  CHECK(spun <= 50us * (12 + wakeups / SpinBudget::kMaxHoldoff));
}

TEST_CASE("a peer on another core keeps the budget at its maximum",
          "[spin_budget]") {
  // Model: a reply comes within the spin nine times in ten; the tenth is
  // late (the peer was preempted) and the loop sleeps.
  SpinBudget budget;
  budget.setMaximum(50us);
  budget.slept(40us, true);  // the first round trip, both sides asleep
  int atMaximum = 0;
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(budget.current() > 0ns);
    if (i % 10 == 9) {
      budget.missed();
    } else {
      budget.found();
    }
    if (budget.current() == 50us) ++atMaximum;
  }
  CHECK(atMaximum == 900);
  CHECK(budget.counters().probes == 1);
}

TEST_CASE(
    "work there at a spin's first poll changes the budget only in a probe",
    "[spin_budget]") {
  SpinBudget budget = probed(50us);
  budget.found();  // the probe paid: spinning
  REQUIRE(budget.current() == 50us);
  budget.foundAtOnce();  // a sleep would have returned at once too
  CHECK(budget.current() == 50us);
  budget.missed();
  budget.foundAtOnce();
  CHECK(budget.current() == 25us);
  CHECK(budget.counters().atOnce == 2);
  CHECK(budget.counters().found == 1);
  CHECK(budget.counters().missed == 1);

  // A probe whose first poll finds the work (a peer on this core answered
  // before the loop polled) failed: zero again, and the next hot sleeps
  // wait before another probe.
  SpinBudget shared = probed(50us);
  shared.foundAtOnce();
  CHECK(shared.current() == 0ns);
  shared.slept(1us, true);  // the holdoff: no probe yet
  CHECK(shared.current() == 0ns);
  CHECK(shared.counters().probes == 1);
}
