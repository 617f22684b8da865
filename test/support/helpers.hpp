// Shared test helpers: bounded loop runs and socket creation on a given
// loop. Every test runs its own Loop (on the backend named by the
// DGRAM_BACKEND environment variable, which ctest sets per backend).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "dgram/dgram.hpp"

namespace test {

using namespace std::chrono_literals;

/// Runs `loop` until it has nothing ref'd left, at most `limit`. Returns
/// true if the loop ran out of work, false if the time ran out.
bool runUntilIdle(dgram::Loop& loop,
                  std::chrono::milliseconds limit = std::chrono::seconds(5));

/// Runs `loop` until `done()` is true or `limit` passes; returns done().
template <typename Pred>
bool runUntil(dgram::Loop& loop, Pred done,
              std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    loop.runOnce(std::chrono::milliseconds(10));
  }
  return done();
}

/// Runs `loop` until `done()`, counting the exceptions of type E that its
/// runOnce throws; bounded in turns (1000) and time (5 s). With
/// `untilIdle`, it also stops once the loop has nothing ref'd left.
template <typename E, typename Pred>
int runCatching(dgram::Loop& loop, Pred done, bool untilIdle) {
  int thrown = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (int i = 0;
       i < 1000 && !done() && std::chrono::steady_clock::now() < deadline;
       ++i) {
    try {
      if (!loop.runOnce(std::chrono::milliseconds(10)) && untilIdle) break;
    } catch (const E&) {
      ++thrown;
    }
  }
  return thrown;
}

/// Runs `loop` until one of its turns throws a dgram::Error, at most
/// `limit`; returns that error (none if the time ran out first).
inline std::optional<dgram::Error> runUntilThrown(
    dgram::Loop& loop,
    std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      loop.runOnce(std::chrono::milliseconds(10));
    } catch (const dgram::Error& e) {
      return e;
    }
  }
  return std::nullopt;
}

/// createSocket on `loop`.
std::shared_ptr<dgram::Socket> makeSocket(dgram::Loop& loop,
                                          dgram::Type type = dgram::Type::udp4,
                                          dgram::MessageListener fn = {});
std::shared_ptr<dgram::Socket> makeSocket(dgram::Loop& loop,
                                          dgram::SocketOptions options,
                                          dgram::MessageListener fn = {});

/// Whether this machine has a usable IPv6 loopback (::1).
bool haveIPv6();

/// Whether this Windows program runs under wine (which differs from
/// Windows where tests say so); false elsewhere.
bool underWine();

/// CPU time (user + system) this process has used so far, all threads.
std::chrono::microseconds processCpuTime();

/// Number of open file descriptors of this process (POSIX; open handles on
/// Windows), -1 if unknown.
int openFdCount();

}  // namespace test
