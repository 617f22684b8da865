// CHECK for the programs of test/no_exceptions: Catch2 needs exceptions,
// these must build without them. A failed check prints where and what,
// and the program's exit status counts the failures.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include <dgram/dgram.hpp>

namespace check {

inline int failures = 0;

inline void report(bool ok, const char* expr, const char* file, int line,
                   const std::string& detail) {
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "%s:%d: FAILED: %s%s%s\n", file, line, expr,
               detail.empty() ? "" : "\n  with: ", detail.c_str());
}

/// "code|syscall|message" of an error, or "no error".
inline std::string describe(const std::optional<dgram::Error>& error) {
  if (!error) return "no error";
  return error->code() + "|" + error->syscall() + "|" + error->what();
}

/// Runs `loop` until `done()` or 10 s (on a loaded machine), in turns of
/// at most 50 ms; returns `done()`.
inline bool runUntil(dgram::Loop& loop, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < deadline)
    loop.runOnce(std::chrono::milliseconds(50));
  return done();
}

}  // namespace check

#define CHECK(expr) \
  ::check::report(static_cast<bool>(expr), #expr, __FILE__, __LINE__, {})
// The error's code must be `expected`.
#define CHECK_CODE(err, expected)                                             \
  ::check::report((err) && (err)->code() == (expected), #err " is " expected, \
                  __FILE__, __LINE__, ::check::describe(err))
#define CHECK_NO_ERROR(err)                                     \
  ::check::report(!(err), #err " is empty", __FILE__, __LINE__, \
                  ::check::describe(err))
