// The per-socket footprint budget of issue 11 (an idle bound socket: one
// allocation for the Socket, its state, its platform socket and the
// shared_ptr's control block; a bind callback waits inside it; see also
// the allocation count in alloc_steady_state.cpp). Sizes are pinned here so
// that a member added to every socket is a decision, not an accident.
#include <cstddef>
#include <memory>

#include "support/catch.hpp"

#include "common/listeners.hpp"
#include "common/platform_socket.hpp"
#include "common/platform_socket_space.hpp"
#include "common/socket_impl.hpp"
#include "dgram/socket.hpp"

namespace {

using dgram::detail::kPlatformSocketSpace;

// The send path's members of SocketImpl: the pointer to its pool and
// completion list, which the first send allocates (a socket that never
// sends has none).
constexpr std::size_t kSendPathBytes = sizeof(void*);

// Everything else SocketImpl holds inline (no vtable pointer: the
// platform's calls and owner() are plain calls): the loop's reference (a
// shared_ptr), the loop, where the platform socket is (two bytes, no
// pointer), the state flags, task count and loop slot, the listeners of every
// event (one list), the pointer to the rare state, the open options (offloads
// included), on a 64-bit system. (A bind's callback and target wait in
// the platform socket's space, which is free until the socket opens.)
constexpr std::size_t kOwnStateBytes = 56;

}  // namespace

TEST_CASE("the public Socket holds no data of its own", "[footprint]") {
  CHECK(sizeof(dgram::Socket) ==
        sizeof(std::enable_shared_from_this<dgram::Socket>));
}

TEST_CASE(
    "an empty listener list and the platform socket's owner are one "
    "pointer each",
    "[footprint]") {
  CHECK(sizeof(dgram::detail::EventListeners) == sizeof(void*));
  CHECK(sizeof(dgram::detail::PlatformSocketPtr) == sizeof(void*));
}

TEST_CASE("a socket's inline state stays within its budget", "[footprint]") {
  if (sizeof(void*) != 8) {
    WARN("SKIPPED: the budget is written for 64-bit systems");
    return;
  }
  std::size_t size = sizeof(dgram::detail::SocketImpl);
  INFO("sizeof(SocketImpl) " << size << ": platform socket space "
                             << kPlatformSocketSpace << ", send path "
                             << kSendPathBytes << ", the rest "
                             << size - kPlatformSocketSpace - kSendPathBytes);
  CHECK(size <= kOwnStateBytes + kPlatformSocketSpace + kSendPathBytes);
}
