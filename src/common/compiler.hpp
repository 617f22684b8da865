// Compiler hints for the per-datagram paths.
// Layer: common state machine.
#pragma once

#include <cassert>

/// Keeps a rarely taken branch's work (error handling, first-use setup)
/// out of the function that calls it: inlined, it makes every call of the
/// hot function save more registers and set up more stack.
#if defined(_MSC_VER)
#define DGRAM_NOINLINE __declspec(noinline)
#else
#define DGRAM_NOINLINE __attribute__((noinline))
#endif

/// Inlines a function into each of its (few) callers, where the compiler
/// would keep one out-of-line copy: the loop's turn, so that run() pays
/// one call and one register save per run rather than per turn.
/// A build for size (-Os: GCC and clang define __OPTIMIZE_SIZE__) leaves
/// the choice to the compiler, which inlines where that is smaller: each
/// forced copy is code the smallest build would not have.
#if defined(__OPTIMIZE_SIZE__)
#define DGRAM_ALWAYS_INLINE inline
#elif defined(_MSC_VER)
#define DGRAM_ALWAYS_INLINE __forceinline
#else
#define DGRAM_ALWAYS_INLINE inline __attribute__((always_inline))
#endif

/// A test that is almost always false (a branch the usual path does not
/// take): the compiler lays the usual path out straight, with no jump.
#if defined(__GNUC__) || defined(__clang__)
#define DGRAM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define DGRAM_UNLIKELY(x) (x)
#endif

/// Tells the compiler that `cond` holds (it must), so that it leaves out
/// what would only run otherwise: a destructor's test of a member known
/// to be empty, for one. Builds with assertions check it instead.
#if !defined(NDEBUG)
#define DGRAM_ASSUME(cond) assert(cond)
#elif defined(_MSC_VER) && !defined(__clang__)
#define DGRAM_ASSUME(cond) __assume(cond)
#else
#define DGRAM_ASSUME(cond)                \
  do {                                    \
    if (!(cond)) __builtin_unreachable(); \
  } while (false)
#endif

/// Whether this is a build for size (see DGRAM_ALWAYS_INLINE): a second,
/// faster copy of a path that a general one also covers is left out of
/// it (`if constexpr (!kBuildForSize)`), as the compiler would.
namespace dgram::detail {
#if defined(__OPTIMIZE_SIZE__)
inline constexpr bool kBuildForSize = true;
#else
inline constexpr bool kBuildForSize = false;
#endif
}  // namespace dgram::detail
