// throwError and the ErrorHandler: what happens to an error the library
// raises, with and without exceptions.
// Layer: common.
#include "common/raise.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace dgram {
namespace {

[[noreturn]] void printAndAbort(const Error& error) {
  std::fprintf(stderr, "dgram: %s: %s\n", error.code().c_str(), error.what());
  std::fflush(stderr);
  std::abort();
}

std::atomic<ErrorHandler> gHandler{nullptr};

}  // namespace

ErrorHandler setErrorHandler(ErrorHandler handler) noexcept {
  ErrorHandler previous = gHandler.exchange(handler);
  return previous ? previous : &printAndAbort;
}

ErrorHandler errorHandler() noexcept {
  ErrorHandler handler = gHandler.load();
  return handler ? handler : &printAndAbort;
}

bool libraryUsesExceptions() noexcept {
  return DGRAM_EXCEPTIONS != 0;
}

namespace detail {

void throwError(const Error& error) {
#if DGRAM_EXCEPTIONS
  throw error;
#else
  errorHandler()(error);
  // A handler must not return; one that did leaves nothing sane to
  // return to.
  printAndAbort(error);
#endif
}

}  // namespace detail
}  // namespace dgram
