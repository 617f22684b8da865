// Node's timers on a loop: setTimeout, setInterval, clearTimeout and the
// Timeout handle (dgram/timeout.hpp), over the loop's timer heap.
// Layer: public API.
#include <algorithm>
#include <chrono>
#include <utility>

#include "common/errors.hpp"
#include "common/loop_core.hpp"
#include "dgram/loop.hpp"
#include "dgram/timeout.hpp"

namespace dgram {
namespace {

using detail::Timers;

// Node turns a delay under 1 ms into 1 ms. The upper bound keeps the
// deadline inside the steady clock's range (signed nanoseconds: about 292
// years), so no addition overflows.
Timers::Clock::duration timerDelay(std::chrono::milliseconds delay) {
  constexpr std::chrono::milliseconds kLongest =
      std::chrono::hours(24) * 36525;  // 100 years
  return std::clamp(delay, std::chrono::milliseconds(1), kLongest);
}

}  // namespace

Timeout Loop::setTimeout(std::chrono::milliseconds delay,
                         std::function<void()> fn) {
  if (!fn) throw detail::errCallbackMissing("callback");
  TimerId id = core_->timers().add(Timers::Clock::now(), timerDelay(delay),
                                   false, std::move(fn));
  return Timeout(*this, id);
}

Timeout Loop::setInterval(std::chrono::milliseconds delay,
                          std::function<void()> fn) {
  if (!fn) throw detail::errCallbackMissing("callback");
  TimerId id = core_->timers().add(Timers::Clock::now(), timerDelay(delay),
                                   true, std::move(fn));
  return Timeout(*this, id);
}

void Loop::clearTimeout(TimerId id) {
  core_->timers().cancel(id);
}

void Loop::clearInterval(TimerId id) {
  core_->timers().cancel(id);
}

Timeout& Timeout::ref() {
  if (loop_) coreOf(*loop_).timers().setRef(id_, true);
  return *this;
}

Timeout& Timeout::unref() {
  if (loop_) coreOf(*loop_).timers().setRef(id_, false);
  return *this;
}

bool Timeout::hasRef() const {
  return loop_ && coreOf(*loop_).timers().hasRef(id_);
}

Timeout& Timeout::refresh() {
  if (loop_) coreOf(*loop_).timers().refresh(id_, Timers::Clock::now());
  return *this;
}

void Timeout::close() {
  if (loop_) loop_->clearTimeout(id_);
}

Timeout setTimeout(std::chrono::milliseconds delay, std::function<void()> fn) {
  return Loop::defaultLoop().setTimeout(delay, std::move(fn));
}

Timeout setInterval(std::chrono::milliseconds delay, std::function<void()> fn) {
  return Loop::defaultLoop().setInterval(delay, std::move(fn));
}

void clearTimeout(TimerId id) {
  Loop::defaultLoop().clearTimeout(id);
}

void clearInterval(TimerId id) {
  Loop::defaultLoop().clearInterval(id);
}

}  // namespace dgram
