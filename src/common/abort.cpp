// dgram::AbortController / AbortSignal: listeners kept in a shared state so
// a signal outlives its controller.
// Layer: public API.
#include <utility>
#include <vector>

#include "dgram/abort.hpp"

namespace dgram {

struct AbortSignal::State {
  bool aborted = false;
  std::uint64_t nextId = 1;
  std::vector<std::pair<std::uint64_t, std::function<void()>>> listeners;
};

bool AbortSignal::aborted() const noexcept {
  return state_ && state_->aborted;
}

std::uint64_t AbortSignal::addListener(std::function<void()> fn) const {
  if (!state_) return 0;
  if (state_->aborted) {
    fn();
    return 0;
  }
  std::uint64_t id = state_->nextId++;
  state_->listeners.emplace_back(id, std::move(fn));
  return id;
}

void AbortSignal::removeListener(std::uint64_t id) const {
  if (!state_) return;
  auto& list = state_->listeners;
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->first == id) {
      list.erase(it);
      return;
    }
  }
}

AbortController::AbortController()
    : signal_(std::make_shared<AbortSignal::State>()) {}

void AbortController::abort() {
  auto state = signal_.state_;
  if (state->aborted) return;
  state->aborted = true;
  // Listeners may remove themselves or others while running: take them.
  auto listeners = std::move(state->listeners);
  state->listeners.clear();
  for (auto& listener : listeners)
    listener.second();
}

}  // namespace dgram
