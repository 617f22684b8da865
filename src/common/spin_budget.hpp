// SpinBudget: how long a loop in latency mode polls for work before it
// sleeps, adapted from one wait to the next. Pure bookkeeping (durations
// in, a duration out, no clock), so its rules are tested on their own.
// Layer: common state machine.
//
// Why adapt: polling pays when a reply comes back within the spin, because
// a sleep plus a wake-up from another core costs far more than many empty
// polls. It is a loss when nothing comes (an idle loop) and worse when the
// peer shares this core (it cannot run while we poll). So:
// - a spin that finds work doubles the budget (up to the maximum);
// - a spin that finds nothing halves it, and below kMinimum it is zero;
// - a spin whose first poll found work changes nothing: the work was there
//   before it began, so a sleep would have returned at once too (on one
//   core: the peer preempted this loop and answered before it polled).
//   Only a probe learns from it: spinning did not help, the probe failed;
// - at zero the loop sleeps as in the default mode, and a sleep that ended
//   with work soon after it began (within kProbeWindowFactor maximum
//   spins: traffic is hot) raises the budget to the maximum again: a probe;
// - a probe that finds nothing drops straight back to zero, and each probe
//   in a row that fails doubles the number of such hot sleeps the loop lets
//   pass before the next one (at most kMaxHoldoff): a peer on the same core
//   costs one spin per kMaxHoldoff wake-ups, not one per wake-up.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace dgram::detail {

class SpinBudget {
 public:
  using Duration = std::chrono::nanoseconds;

  /// A shorter spin is a poll or two, not worth its bookkeeping.
  static constexpr Duration kMinimum = std::chrono::microseconds(1);
  /// A sleep that ended with work within this many maximum spins is
  /// traffic worth a probe (a sleeping peer's own wake-up makes the sleep
  /// seen here several times longer than the spin that would catch it).
  static constexpr int kProbeWindowFactor = 16;
  /// The most hot sleeps let pass between two probes.
  static constexpr std::uint32_t kMaxHoldoff = 1024;

  /// What the loop did, for tests and tuning.
  struct Counters {
    std::uint64_t found = 0;   ///< spins that found work
    std::uint64_t missed = 0;  ///< spins that found nothing
    std::uint64_t probes = 0;  ///< times the budget rose from zero
    std::uint64_t atOnce = 0;  ///< spins whose first poll found work
  };

  /// Sets the longest spin; zero turns spinning off. Starts over from a
  /// zero budget (the loop learns again); the counters go on.
  void setMaximum(Duration maximum) noexcept {
    maximum_ = std::max(maximum, Duration::zero());
    current_ = Duration::zero();
    probing_ = false;
    failedProbes_ = 0;
    holdoff_ = 0;
  }
  Duration maximum() const noexcept { return maximum_; }
  bool enabled() const noexcept { return maximum_ > Duration::zero(); }
  /// How long the next wait may spin; zero = sleep at once.
  Duration current() const noexcept { return current_; }
  const Counters& counters() const noexcept { return counters_; }

  /// The spin found work before its budget ran out.
  void found() noexcept {
    ++counters_.found;
    // min after max: a maximum below kMinimum (or zero, set by a callback
    // during the spin) bounds the result.
    current_ = std::min(std::max(2 * current_, kMinimum), maximum_);
    probing_ = false;
    failedProbes_ = 0;
  }

  /// The spin ran out of budget (or reached the wait's timeout) and found
  /// nothing.
  void missed() noexcept {
    ++counters_.missed;
    if (probing_) {
      failProbe();
      return;
    }
    current_ /= 2;
    if (current_ < kMinimum) current_ = Duration::zero();
  }

  /// The spin's first poll found work: it was there before the spin began.
  void foundAtOnce() noexcept {
    ++counters_.atOnce;
    if (probing_) failProbe();
  }

  /// The loop slept without spinning (a zero budget) for `asleep`, and
  /// `woken` says whether it woke for work (I/O, a post(), a stop())
  /// rather than for its timeout.
  void slept(Duration asleep, bool woken) noexcept {
    if (!enabled() || current_ > Duration::zero() || !woken ||
        asleep > kProbeWindowFactor * maximum_)
      return;
    if (holdoff_ > 0) {
      --holdoff_;
      return;
    }
    ++counters_.probes;
    current_ = maximum_;
    probing_ = true;
  }

 private:
  // A probe found nothing that spinning brought: back to zero, and a
  // longer holdoff before the next.
  void failProbe() noexcept {
    probing_ = false;
    current_ = Duration::zero();
    if (failedProbes_ < kHoldoffDoublings) ++failedProbes_;
    holdoff_ = std::uint32_t{1} << failedProbes_;
  }

  // 2^10 = kMaxHoldoff.
  static constexpr std::uint32_t kHoldoffDoublings = 10;
  static_assert(std::uint32_t{1} << kHoldoffDoublings == kMaxHoldoff,
                "the holdoff doubles up to kMaxHoldoff");

  Duration maximum_{0};
  Duration current_{0};
  bool probing_ = false;  ///< raised from zero, no spin has found work yet
  std::uint32_t failedProbes_ = 0;  ///< probes in a row that found nothing
  std::uint32_t holdoff_ = 0;       ///< hot sleeps to let pass before a probe
  Counters counters_;
};

}  // namespace dgram::detail
