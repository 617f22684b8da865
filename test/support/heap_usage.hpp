// The heap in use, for tests that check that memory returns to its
// baseline: AddressSanitizer's count in an ASan build (it replaces
// malloc), glibc's elsewhere. DGRAM_TEST_HEAP says whether this build can
// tell; DGRAM_TEST_ASAN whether it is an ASan build.
#pragma once

#include <cstddef>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DGRAM_TEST_ASAN 1
#endif
#endif
#ifdef __SANITIZE_ADDRESS__
#define DGRAM_TEST_ASAN 1
#endif

#if defined(DGRAM_TEST_ASAN)
// The ASan runtime's count (declared here: g++ ships no header for it).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#define DGRAM_TEST_HEAP 1
namespace test {
inline std::size_t heapInUse() {
  return __sanitizer_get_current_allocated_bytes();
}
}  // namespace test
#elif defined(__GLIBC__)
#include <malloc.h>
#define DGRAM_TEST_HEAP 1
namespace test {
inline std::size_t heapInUse() {
  // Large blocks are mmapped by glibc, counted apart (hblkhd).
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}
}  // namespace test
#endif
