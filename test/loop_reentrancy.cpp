// Re-entrancy: run() or runOnce() called from inside a callback of the
// same loop is refused with ERR_INVALID_STATE instead of recursing (which
// ran the callback that was already running, again, until the stack
// overflowed).
#include "support/catch.hpp"

#include <chrono>
#include <optional>
#include <string>

#include "support/socket_helpers.hpp"

using namespace std::chrono_literals;

namespace {

// Calls `enter` (a run() or runOnce() of `loop`) and returns the code of
// the dgram::Error it threw, or "" if it returned normally.
template <typename Enter>
std::string codeOf(Enter enter) {
  try {
    enter();
  } catch (const dgram::Error& error) {
    return error.code();
  }
  return "";
}

}  // namespace

TEST_CASE("runOnce from inside a posted callback is refused", "[loop]") {
  dgram::Loop loop;
  int calls = 0;
  std::string code;
  loop.post([&] {
    ++calls;
    code = codeOf([&] { loop.runOnce(0ms); });
  });
  REQUIRE(test::runUntil(
      loop, [&] { return calls > 0; }, 2s));
  loop.runOnce(0ms);
  CHECK(calls == 1);
  CHECK(code == "ERR_INVALID_STATE");
}

TEST_CASE("run from inside a timer is refused, and the loop runs on",
          "[loop]") {
  dgram::Loop loop;
  int calls = 0;
  std::string code;
  std::string message;
  loop.setTimeout(0ms, [&] {
    ++calls;
    try {
      loop.run();
    } catch (const dgram::Error& error) {
      code = error.code();
      message = error.what();
    }
  });
  bool later = false;
  loop.setTimeout(5ms, [&] { later = true; });
  REQUIRE(test::runUntilIdle(loop, 2s));
  CHECK(calls == 1);
  CHECK(code == "ERR_INVALID_STATE");
  CHECK(message.find("run") != std::string::npos);
  CHECK(later);
}

TEST_CASE("runOnce from inside a message listener is refused", "[loop]") {
  dgram::Loop loop;
  int messages = 0;
  std::string code;
  auto receiver =
      test::boundSocket(loop, [&](dgram::Bytes, const dgram::RemoteInfo&) {
        ++messages;
        code = codeOf([&] { loop.runOnce(0ms); });
      });
  auto sender = test::makeSocket(loop);
  sender->send("x", receiver->address().port, "127.0.0.1");
  REQUIRE(test::runUntil(
      loop, [&] { return messages > 0; }, 2s));
  CHECK(messages == 1);
  CHECK(code == "ERR_INVALID_STATE");
  sender->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop, 2s));
}

TEST_CASE("an uncaught refusal leaves run() and the loop stays usable",
          "[loop]") {
  dgram::Loop loop;
  loop.post([&] { loop.runOnce(0ms); });
  CHECK_THROWS_AS(loop.run(), dgram::Error);
  // Not stuck "inside a callback": running again works.
  bool ran = false;
  loop.post([&] { ran = true; });
  REQUIRE(test::runUntil(
      loop, [&] { return ran; }, 2s));
}
