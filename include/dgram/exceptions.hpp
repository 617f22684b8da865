// Whether C++ exceptions are on, and where an error goes when they are off.
// Layer: public API.
#pragma once

#include "dgram/export.hpp"

// DGRAM_EXCEPTIONS: 1 when this translation unit is compiled with C++
// exceptions, 0 with -fno-exceptions (GCC, Clang) or without /EH (MSVC).
// The one place the library asks: the standard feature macro where the
// compiler has it, else GCC's and MSVC's own.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define DGRAM_EXCEPTIONS 1
#else
#define DGRAM_EXCEPTIONS 0
#endif

namespace dgram {

class Error;

/// What the library calls, in a build without exceptions, where it would
/// otherwise throw: an argument or state error (a bad port, a closed
/// socket), a failure the call has no error-returning form for, or an
/// 'error' emitted with no listener (from `Loop::run()`). It must not
/// return: end the process (`std::exit`, `std::abort`) or leave by
/// `longjmp` to a point that does. If it returns anyway, the library
/// prints the error and aborts. With exceptions on it is never called:
/// the error is thrown.
using ErrorHandler = void (*)(const Error& error);

/// Installs `handler` for the whole process (nullptr = the default, which
/// prints "dgram: <code>: <message>" to stderr and calls `std::abort()`);
/// returns the one installed before. Thread-safe.
DGRAM_API ErrorHandler setErrorHandler(ErrorHandler handler) noexcept;

/// The handler in force (never nullptr: the default when none is set).
DGRAM_API ErrorHandler errorHandler() noexcept;

/// Whether the library itself was compiled with exceptions (1) or not (0):
/// a program should be compiled the same way (DGRAM_EXCEPTIONS). A
/// program without exceptions cannot catch what a library with them
/// throws (it ends in `std::terminate`).
DGRAM_API bool libraryUsesExceptions() noexcept;

}  // namespace dgram
