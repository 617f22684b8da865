// The IOCP backend's set of sockets (src/win32/handle_set.hpp), checked
// against std::set on every platform: it is plain code, and a wrong
// erase would let a socket be adopted twice (or refuse a fresh one).
#include "support/catch.hpp"

#include <random>
#include <set>

#include "win32/handle_set.hpp"

using dgram::detail::HandleSet;

TEST_CASE("HandleSet agrees with std::set through inserts and erases",
          "[handles]") {
  std::minstd_rand rng(7);
  HandleSet set;
  std::set<HandleSet::Handle> model;
  // Handles as Windows hands them out (multiples of 4, reused after a
  // close), from a small range so that probes collide and wrap.
  auto someHandle = [&] { return HandleSet::Handle{4} * (rng() % 3000); };
  for (int step = 0; step < 200000; ++step) {
    HandleSet::Handle handle = someHandle();
    if (rng() % 3 != 0) {
      CHECK(set.insert(handle) == model.insert(handle).second);
    } else {
      set.erase(handle);
      model.erase(handle);
    }
    if (step % 1000 == 0) {
      REQUIRE(set.size() == model.size());
      for (HandleSet::Handle probe = 0; probe < 4 * 3000; probe += 4)
        REQUIRE(set.contains(probe) == (model.count(probe) == 1));
    }
  }
  // Emptied completely, then refilled: nothing left behind.
  for (HandleSet::Handle handle : model)
    set.erase(handle);
  CHECK(set.size() == 0);
  for (HandleSet::Handle probe = 0; probe < 4 * 3000; probe += 4)
    CHECK_FALSE(set.contains(probe));
  CHECK(set.insert(8));
  CHECK_FALSE(set.insert(8));
  CHECK(set.contains(8));
}
