// The fault-injection seam itself: an armed fault fails exactly the calls
// it names, counts every attempt, and leaves the socket usable.
#include "support/catch.hpp"

#include <cerrno>
#include <optional>
#include <string>

#include "common/fault_injection.hpp"
#include "support/socket_helpers.hpp"

#if defined(DGRAM_FAULT_INJECTION) && !defined(_WIN32)

namespace fault = dgram::detail::fault;

namespace {

/// Disarms every fault when a test ends, even one that failed.
struct FaultScope {
  FaultScope() { fault::reset(); }
  ~FaultScope() { fault::reset(); }
};

}  // namespace

TEST_CASE("an armed sendmsg fault fails exactly the chosen send",
          "[fault][send]") {
  FaultScope scope;
  dgram::Loop loop;
  int received = 0;
  auto receiver = test::boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++received; });
  auto sender = test::boundSocket(loop);
  int port = receiver->address().port;

  const int injected = EACCES;
  fault::failNth(fault::Call::sendmsg, 2, injected);
  std::optional<dgram::Error> errors[3];
  int done = 0;
  for (auto& slot : errors) {
    sender->send("x", port, "127.0.0.1",
                 [&](const std::optional<dgram::Error>& err, std::size_t) {
                   slot = err;
                   ++done;
                 });
  }
  REQUIRE(test::runUntil(loop, [&] { return done == 3 && received == 2; }));
  CHECK_FALSE(errors[0]);
  REQUIRE(errors[1]);
  CHECK(errors[1]->code() == "EACCES");
  CHECK_FALSE(errors[2]);
  CHECK(fault::calls(fault::Call::sendmsg) >= 3);
  sender->close();
  receiver->close();
  loop.run();
}

#else

TEST_CASE("fault injection", "[fault]") {
  WARN(
      "SKIPPED: the fault seam is not compiled in (DGRAM_FAULT_INJECTION)"
      " or not wired on this platform yet");
}

#endif  // DGRAM_FAULT_INJECTION
