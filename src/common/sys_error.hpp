// SysError: the one error currency between common code and the platform.
// Inside the library an error is an enum value (compared as an integer on
// the per-datagram path); it becomes Node's code string only at the public
// edge, when a dgram::Error is made (common/errors.cpp).
// Layer: common state machine.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/error_list.hpp"

namespace dgram::detail {

/// Node's error codes, one per entry of DGRAM_ERROR_LIST; `kEADDRINUSE`
/// is "EADDRINUSE" (the prefix keeps the names clear of errno's macros).
enum class Errc : unsigned char {
  none,
#define DGRAM_ERRC_ENUM(code, posix, windows, uv) k##code,
  DGRAM_ERROR_LIST(DGRAM_ERRC_ENUM)
#undef DGRAM_ERRC_ENUM
};

namespace errc_detail {
// `#code` and `k##code` never expand the code, so errno's macros cannot.
#define DGRAM_ERRC_NAME(code, posix, windows, uv) #code,
inline constexpr const char* kNames[] = {"", DGRAM_ERROR_LIST(DGRAM_ERRC_NAME)};
#undef DGRAM_ERRC_NAME
inline constexpr std::size_t kCount = sizeof kNames / sizeof kNames[0];
}  // namespace errc_detail

/// Node's code string: "EADDRINUSE" for Errc::kEADDRINUSE, "" for none.
constexpr const char* errcName(Errc code) noexcept {
  return errc_detail::kNames[static_cast<std::size_t>(code)];
}

/// The code named `name`, or Errc::none; constexpr, so a literal name
/// costs nothing where the result is a constant.
constexpr Errc errcFromName(std::string_view name) noexcept {
  for (std::size_t i = 1; i < errc_detail::kCount; ++i) {
    if (name == errc_detail::kNames[i]) return static_cast<Errc>(i);
  }
  return Errc::none;
}

/// A failed system call, already translated by the platform layer into
/// Node's terms: `code` is Node's code, `errnum` what Node reports as
/// err.errno on this platform. A default value means success.
struct SysError {
  int errnum = 0;
  Errc code = Errc::none;

  explicit operator bool() const noexcept { return code != Errc::none; }
  bool is(Errc other) const noexcept { return code == other; }
};

/// An error the common code raises itself, with this platform's number
/// (the platform's map; errno_map.cpp or error_map.cpp).
SysError sysError(Errc code) noexcept;

/// The same by name, e.g. sysErrorFromName("ECANCELED"); an unknown name
/// is EINVAL.
inline SysError sysErrorFromName(std::string_view name) noexcept {
  Errc code = errcFromName(name);
  return sysError(code == Errc::none ? Errc::kEINVAL : code);
}

}  // namespace dgram::detail
