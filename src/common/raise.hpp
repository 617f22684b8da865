// The one way the library raises an error, and try/catch that compiles
// away without exceptions.
// Layer: common.
#pragma once

#include <optional>
#include <utility>

#include "dgram/error.hpp"
#include "dgram/exceptions.hpp"

// Every try/catch of the library goes through these, so that a build with
// -fno-exceptions compiles them away: the try block runs as a plain
// block and the catch blocks are dead code. They only ever clean up and
// rethrow (or ignore what cannot happen there without exceptions).
#if DGRAM_EXCEPTIONS
#define DGRAM_TRY try
#define DGRAM_CATCH(...) catch (__VA_ARGS__)
#define DGRAM_RETHROW throw
#else
#define DGRAM_TRY if (true)
#define DGRAM_CATCH(...) else if (false)
#define DGRAM_RETHROW static_cast<void>(0)
#endif

namespace dgram::detail {

/// Throws `error`; without exceptions, calls the installed ErrorHandler
/// (and aborts if it returns). Every error the library raises passes
/// here.
[[noreturn]] void throwError(const Error& error);

/// Where a call reports a failure: nullptr = raise it (throwError), else
/// store it for the caller (the public overloads that take
/// `std::optional<Error>&`).
using ErrorSink = std::optional<Error>*;

/// Reports `error` to `sink`, or raises it when there is none. Returns
/// false, for checks written `if (!ok) return fail(...)`.
inline bool fail(ErrorSink sink, Error error) {
  if (!sink) throwError(error);
  *sink = std::move(error);
  return false;
}

}  // namespace dgram::detail
