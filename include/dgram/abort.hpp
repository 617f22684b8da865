// dgram::AbortController / AbortSignal, as in the web platform and Node.
// Layer: public API.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "dgram/export.hpp"

DGRAM_DLL_WARNINGS_PUSH

namespace dgram {

class AbortController;

/// A signal that a socket watches: aborting it closes the socket. A
/// default-constructed signal is "none" and never aborts.
class DGRAM_API AbortSignal {
 public:
  /// No signal: never aborts.
  AbortSignal() = default;

  /// Whether this signal belongs to a controller.
  explicit operator bool() const noexcept { return state_ != nullptr; }
  /// Whether `abort()` has been called on the controller.
  bool aborted() const noexcept;

  /// Registers `fn` to run once when the signal aborts (at once if it
  /// already has); returns an id for `removeListener`.
  std::uint64_t addListener(std::function<void()> fn) const;
  /// Unregisters a listener added by `addListener`; unknown ids are
  /// ignored.
  void removeListener(std::uint64_t id) const;

 private:
  friend class AbortController;
  struct State;
  explicit AbortSignal(std::shared_ptr<State> state)
      : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

/// Owns a signal; `abort()` fires it once.
class DGRAM_API AbortController {
 public:
  /// A controller whose signal has not aborted.
  AbortController();
  /// The signal to pass to `SocketOptions::signal` (shares the state).
  AbortSignal signal() const { return signal_; }
  /// Fires the signal's listeners once, in registration order.
  void abort();

 private:
  AbortSignal signal_;
};

}  // namespace dgram

DGRAM_DLL_WARNINGS_POP
