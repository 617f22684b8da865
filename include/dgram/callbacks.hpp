// The listener and callback types of a Socket: std::functions that also
// take the shorter shapes Node code is written in (a send callback `(err)`
// or `()`), and that say in one line which shape they expect when given
// another.
// Layer: public API.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "dgram/address.hpp"
#include "dgram/bytes.hpp"
#include "dgram/error.hpp"

namespace dgram {
namespace detail {

// Whether an argument of type F is meant as a listener or callback: a
// class (a lambda, a std::function...) or a function, but not a string,
// a number or nullptr, so that overloads which differ by a host string or
// a number in that place stay distinct (`send(msg, 2, 0)` is an offset and
// a length). A callable of the wrong shape passes this test and is then
// told, by a static_assert, which shape is expected.
template <typename F, typename Self>
inline constexpr bool kCallbackArgument =
    !std::is_same_v<std::decay_t<F>, Self> &&
    !std::is_convertible_v<const std::decay_t<F>&, std::string_view> &&
    (std::is_class_v<std::decay_t<F>> ||
     std::is_function_v<std::remove_pointer_t<std::decay_t<F>>>);

template <typename...>
inline constexpr bool kNever = false;

}  // namespace detail

/// 'message' listener: `(Bytes msg, const RemoteInfo& rinfo)` or `(msg)`.
/// `msg` is the loop's buffer, lent for the call (see Bytes: a copy of it
/// owns its bytes); `rinfo` is valid during the call (copy it to keep
/// it).
class MessageListener
    : public std::function<void(Bytes msg, const RemoteInfo& rinfo)> {
  using Base = std::function<void(Bytes, const RemoteInfo&)>;

 public:
  /// No listener.
  MessageListener() noexcept = default;
  /// A listener of either shape.
  template <typename F, typename = std::enable_if_t<
                            detail::kCallbackArgument<F, MessageListener>>>
  MessageListener(F&& fn)  // NOLINT: implicit, like std::function
      : Base(adapt(std::forward<F>(fn))) {}
  using Base::operator=;

 private:
  template <typename F>
  static Base adapt(F&& fn) {
    using Fn = std::decay_t<F>;
    if constexpr (std::is_invocable_v<Fn&, Bytes, const RemoteInfo&>) {
      return Base(std::forward<F>(fn));
    } else if constexpr (std::is_invocable_v<Fn&, Bytes>) {
      return Base(
          [f = Fn(std::forward<F>(fn))](Bytes msg, const RemoteInfo&) mutable {
            f(std::move(msg));
          });
    } else {
      static_assert(detail::kNever<F>,
                    "dgram: a 'message' listener takes (dgram::Bytes msg, "
                    "const dgram::RemoteInfo& rinfo) or (msg)");
      return Base();
    }
  }
};

/// 'listening', 'connect' and 'close' listeners, bind and close
/// callbacks: `()`.
class Listener : public std::function<void()> {
  using Base = std::function<void()>;

 public:
  /// No listener.
  Listener() noexcept = default;
  /// A listener taking no arguments.
  template <typename F,
            typename = std::enable_if_t<detail::kCallbackArgument<F, Listener>>>
  Listener(F&& fn)  // NOLINT: implicit, like std::function
      : Base(adapt(std::forward<F>(fn))) {}
  using Base::operator=;

 private:
  template <typename F>
  static Base adapt(F&& fn) {
    using Fn = std::decay_t<F>;
    if constexpr (std::is_invocable_v<Fn&>) {
      return Base(std::forward<F>(fn));
    } else {
      static_assert(detail::kNever<F>,
                    "dgram: 'listening', 'connect' and 'close' listeners and "
                    "bind and close callbacks take no arguments: ()");
      return Base();
    }
  }
};

/// 'error' listener: `(const Error& err)` or `()`.
class ErrorListener : public std::function<void(const Error& err)> {
  using Base = std::function<void(const Error&)>;

 public:
  /// No listener.
  ErrorListener() noexcept = default;
  /// A listener of either shape.
  template <typename F, typename = std::enable_if_t<
                            detail::kCallbackArgument<F, ErrorListener>>>
  ErrorListener(F&& fn)  // NOLINT: implicit, like std::function
      : Base(adapt(std::forward<F>(fn))) {}
  using Base::operator=;

 private:
  template <typename F>
  static Base adapt(F&& fn) {
    using Fn = std::decay_t<F>;
    if constexpr (std::is_invocable_v<Fn&, const Error&>) {
      return Base(std::forward<F>(fn));
    } else if constexpr (std::is_invocable_v<Fn&>) {
      return Base([f = Fn(std::forward<F>(fn))](const Error&) mutable { f(); });
    } else {
      static_assert(detail::kNever<F>,
                    "dgram: an 'error' listener takes (const dgram::Error& "
                    "err) or ()");
      return Base();
    }
  }
};

/// Send callback: `(const std::optional<Error>& err, std::size_t bytes)`,
/// `(err)` or `()`. No error and the bytes sent, or the error.
class SendCallback : public std::function<void(const std::optional<Error>& err,
                                               std::size_t bytes)> {
  using Base = std::function<void(const std::optional<Error>&, std::size_t)>;

 public:
  /// No callback.
  SendCallback() noexcept = default;
  /// A callback of any of the three shapes.
  template <typename F, typename = std::enable_if_t<
                            detail::kCallbackArgument<F, SendCallback>>>
  SendCallback(F&& fn)  // NOLINT: implicit, like std::function
      : Base(adapt(std::forward<F>(fn))) {}
  using Base::operator=;

 private:
  template <typename F>
  static Base adapt(F&& fn) {
    using Fn = std::decay_t<F>;
    using Err = const std::optional<Error>&;
    if constexpr (std::is_invocable_v<Fn&, Err, std::size_t>) {
      return Base(std::forward<F>(fn));
    } else if constexpr (std::is_invocable_v<Fn&, Err>) {
      return Base([f = Fn(std::forward<F>(fn))](Err err, std::size_t) mutable {
        f(err);
      });
    } else if constexpr (std::is_invocable_v<Fn&>) {
      return Base(
          [f = Fn(std::forward<F>(fn))](Err, std::size_t) mutable { f(); });
    } else {
      static_assert(detail::kNever<F>,
                    "dgram: a send callback takes (const "
                    "std::optional<dgram::Error>& err, std::size_t bytes), "
                    "(err) or ()");
      return Base();
    }
  }
};

/// Connect callback: `(const std::optional<Error>& err)` or `()`; no error
/// on success.
class ConnectCallback
    : public std::function<void(const std::optional<Error>& err)> {
  using Base = std::function<void(const std::optional<Error>&)>;

 public:
  /// No callback.
  ConnectCallback() noexcept = default;
  /// A callback of either shape.
  template <typename F, typename = std::enable_if_t<
                            detail::kCallbackArgument<F, ConnectCallback>>>
  ConnectCallback(F&& fn)  // NOLINT: implicit, like std::function
      : Base(adapt(std::forward<F>(fn))) {}
  using Base::operator=;

 private:
  template <typename F>
  static Base adapt(F&& fn) {
    using Fn = std::decay_t<F>;
    using Err = const std::optional<Error>&;
    if constexpr (std::is_invocable_v<Fn&, Err>) {
      return Base(std::forward<F>(fn));
    } else if constexpr (std::is_invocable_v<Fn&>) {
      return Base([f = Fn(std::forward<F>(fn))](Err) mutable { f(); });
    } else {
      static_assert(detail::kNever<F>,
                    "dgram: a connect callback takes (const "
                    "std::optional<dgram::Error>& err) or ()");
      return Base();
    }
  }
};

}  // namespace dgram
