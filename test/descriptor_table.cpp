// DescriptorTable (the poller's per-descriptor tables): growing keeps
// every entry and hands over new entries that read as zero, for small
// steps, doublings and a jump far past the end, and for entries of one
// byte and of a pointer.
#include "support/catch.hpp"

#ifndef _WIN32

#include <cstddef>
#include <cstdint>

#include "posix/descriptor_table.hpp"

namespace {

template <typename T>
T valueFor(std::size_t index) {
  return static_cast<T>((index % 250) + 1);
}

}  // namespace

TEST_CASE("descriptor table: growth keeps entries and zeroes new ones",
          "[poller][memory]") {
  dgram::detail::DescriptorTable<std::uint8_t> bytes;
  dgram::detail::DescriptorTable<void*> pointers;
  CHECK(bytes.size() == 0);
  std::size_t written = 0;
  // Rising descriptors, then a jump (a descriptor far above the rest).
  const std::size_t indices[] = {0,   1,   5,    63,   64,   65,   200,  511,
                                 512, 513, 1023, 1024, 4095, 4096, 9000, 70000};
  for (std::size_t index : indices) {
    if (index >= bytes.size()) bytes.growFor(index);
    if (index >= pointers.size()) pointers.growFor(index);
    REQUIRE(bytes.size() > index);
    REQUIRE(pointers.size() > index);
    // Everything written so far is still there; everything else is zero.
    std::size_t wrongBytes = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      bool was = false;
      for (std::size_t j = 0; j < written; ++j)
        was = was || indices[j] == i;
      if (bytes[i] != (was ? valueFor<std::uint8_t>(i) : 0)) ++wrongBytes;
    }
    std::size_t wrongPointers = 0;
    for (std::size_t i = 0; i < pointers.size(); ++i) {
      bool was = false;
      for (std::size_t j = 0; j < written; ++j)
        was = was || indices[j] == i;
      void* expected =
          was ? reinterpret_cast<void*>(valueFor<std::uintptr_t>(i)) : nullptr;
      if (pointers[i] != expected) ++wrongPointers;
    }
    CAPTURE(index, bytes.size(), pointers.size());
    CHECK(wrongBytes == 0);
    CHECK(wrongPointers == 0);
    bytes[index] = valueFor<std::uint8_t>(index);
    pointers[index] = reinterpret_cast<void*>(valueFor<std::uintptr_t>(index));
    ++written;
  }
}

#endif  // _WIN32
