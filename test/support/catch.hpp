// The one place that knows which Catch2 the suite is built with: v2 (one
// header, what Debian 12 ships) or v3 (split headers; test/CMakeLists.txt
// defines DGRAM_CATCH2_V3). Test files include this, never Catch2 itself.
#pragma once

#if defined(DGRAM_CATCH2_V3)
#include <catch2/catch_test_macros.hpp>  // IWYU pragma: export
#else
#include <catch2/catch.hpp>  // IWYU pragma: export
#endif
