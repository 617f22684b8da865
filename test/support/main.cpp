// The Catch2 main for dgram_tests (Catch2 v2 or v3).
#if defined(DGRAM_CATCH2_V3)
#include <catch2/catch_session.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

#include <cstdio>
#include <cstdlib>

int main(int argc, char* argv[]) {
  // The start mark: proof that the program started, for a harness that
  // must tell "wine did not start it" from "the test failed"
  // (ci/wine-run.sh). Written first, before any test can fail.
  if (const char* mark = std::getenv("DGRAM_TEST_STARTED_FILE")) {
    if (std::FILE* file = std::fopen(mark, "w")) std::fclose(file);
  }
  return Catch::Session().run(argc, argv);
}
