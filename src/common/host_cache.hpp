// The text compare of the loop's host cache (LoopCore::DatagramCaches):
// whether a host text is the one parsed last. Shared by send and bind.
// Layer: common state machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/compiler.hpp"
#include "dgram/address.hpp"

namespace dgram::detail {

template <typename Word>
bool sameWord(const char* a, const char* b) noexcept {
  Word x;
  Word y;
  std::memcpy(&x, a, sizeof x);
  std::memcpy(&y, b, sizeof y);
  return x == y;
}

/// Once per send: an address is a few words, compared here a word at a
/// time rather than by a call to memcmp, the last word overlapping the one
/// before it rather than a byte loop ("127.0.0.1" is two compares).
/// (Left to the compiler's choice: forcing it inline into the send path
/// made that path's other inlining worse, 2 instructions per send.)
inline bool sameText(const IpString& cached, std::string_view text) noexcept {
  std::size_t size = text.size();
  if (cached.size() != size) return false;
  const char* a = cached.c_str();
  const char* b = text.data();
  if (size >= 8) {
    // Up to 16 characters (every IPv4 address from "1.0.0.10" on), two
    // words and no loop.
    if (!sameWord<std::uint64_t>(a, b)) return false;
    if (size > 16) {
      for (std::size_t i = 8; i + 8 < size; i += 8)
        if (!sameWord<std::uint64_t>(a + i, b + i)) return false;
    }
    return sameWord<std::uint64_t>(a + size - 8, b + size - 8);
  }
  if (size >= 4)
    return sameWord<std::uint32_t>(a, b) &&
           sameWord<std::uint32_t>(a + size - 4, b + size - 4);
  for (std::size_t i = 0; i < size; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

/// Whether sameShortText() can compare a text of `size` characters: 8 to
/// 16 (most IPv4 texts, "127.0.0.1" among them).
constexpr bool isShortText(std::size_t size) noexcept {
  return size - 8 <= 8;
}

/// sameText() for a text that isShortText() (the caller tests that):
/// inline in the bind's usual path (SocketImpl::bind), where a call to
/// sameText cost more than its compare (the registers kept around it, a
/// larger frame): the length and two words.
DGRAM_ALWAYS_INLINE bool sameShortText(const IpString& cached,
                                       std::string_view text) noexcept {
  std::size_t size = text.size();
  const char* a = cached.c_str();
  const char* b = text.data();
  return cached.size() == size && sameWord<std::uint64_t>(a, b) &&
         sameWord<std::uint64_t>(a + size - 8, b + size - 8);
}

}  // namespace dgram::detail
