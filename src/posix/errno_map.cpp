// errno -> Node's codes and numbers (errno_map.hpp), made from the one
// error list (common/error_list.hpp): a table indexed by errno, so the
// translation is one load, not a search.
// Layer: platform (readiness backends).
#include "posix/errno_map.hpp"

#include <array>
#include <cerrno>
#include <cstddef>

namespace dgram::detail {
namespace {

// Larger than every errno value in the list on Linux, macOS and the BSDs
// (checked below); larger values are UNKNOWN.
constexpr int kErrnoLimit = 256;

constexpr std::array<Errc, kErrnoLimit> makeCodes() {
  std::array<Errc, kErrnoLimit> codes{};
  // Entries without an errno (0) are skipped; the first entry for an errno
  // wins.
#define DGRAM_ERRNO_ENTRY(code, posix, windows, uv)             \
  static_assert((posix) >= 0 && (posix) < kErrnoLimit, #posix); \
  if ((posix) != 0 && codes[(posix)] == Errc::none)             \
    codes[(posix)] = Errc::k##code;
  DGRAM_ERROR_LIST(DGRAM_ERRNO_ENTRY)
#undef DGRAM_ERRNO_ENTRY
  return codes;
}

constexpr std::array<Errc, kErrnoLimit> kCodes = makeCodes();

// Node's err.errno for each code: -errno where the code has one, else
// libuv's fixed number (the name-lookup codes).
constexpr int kNumbers[] = {0,
#define DGRAM_ERRNO_NUMBER(code, posix, windows, uv) \
  (posix) != 0 ? -(posix) : (uv),
                            DGRAM_ERROR_LIST(DGRAM_ERRNO_NUMBER)
#undef DGRAM_ERRNO_NUMBER
};

}  // namespace

SysError sysErrorFromErrno(int err) noexcept {
  Errc code = err > 0 && err < kErrnoLimit ? kCodes[err] : Errc::none;
  return {-err, code == Errc::none ? Errc::kUNKNOWN : code};
}

SysError sysError(Errc code) noexcept {
  return {kNumbers[static_cast<std::size_t>(code)], code};
}

}  // namespace dgram::detail
