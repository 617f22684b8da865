// Signals (issue 26 item 2): Loop::stop() from a signal handler, and
// Loop::onSignal, Node's process.on('SIGTERM', ...).
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "support/catch.hpp"

#include "support/helpers.hpp"

#ifndef _WIN32
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#endif  // _WIN32

using namespace std::chrono_literals;

#ifndef _WIN32
namespace {

std::atomic<dgram::Loop*> gStopLoop{nullptr};

void stopFromHandler(int) {
  if (dgram::Loop* loop = gStopLoop.load()) loop->stop();
}

// Installs `handler` for `signum` for the scope's life, then puts back
// what was there.
class ScopedHandler {
 public:
  ScopedHandler(int signum, void (*handler)(int)) : signum_(signum) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    REQUIRE(::sigaction(signum, &action, &previous_) == 0);
  }
  ~ScopedHandler() { ::sigaction(signum_, &previous_, nullptr); }
  ScopedHandler(const ScopedHandler&) = delete;
  ScopedHandler& operator=(const ScopedHandler&) = delete;

 private:
  int signum_;
  struct sigaction previous_ {};
};

}  // namespace

TEST_CASE("stop() from a signal handler makes run() return",
          "[loop][signal][thread]") {
  dgram::Loop loop;
  ScopedHandler handler(SIGUSR2, stopFromHandler);
  gStopLoop = &loop;
  auto guard = loop.setTimeout(30s, [] {});
  const pthread_t loopThread = ::pthread_self();
  std::atomic<bool> running{true};
  std::thread signaller([&] {
    // Until run() returned: the first signal may land before run() waits.
    for (int i = 0; i < 500 && running; ++i) {
      ::pthread_kill(loopThread, SIGUSR2);
      std::this_thread::sleep_for(10ms);
    }
  });
  auto start = std::chrono::steady_clock::now();
  loop.run();
  running = false;
  signaller.join();
  gStopLoop = nullptr;
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  loop.clearTimeout(guard);
}

TEST_CASE("stop() from a handler that interrupts post() does not deadlock",
          "[loop][signal][thread]") {
  // stop() used to take the mutex post() holds: a signal whose handler
  // calls stop(), landing on a thread inside post(), waited for itself.
  dgram::Loop loop;
  ScopedHandler handler(SIGUSR2, stopFromHandler);
  gStopLoop = &loop;
  std::atomic<bool> posting{true};
  std::promise<pthread_t> posterThread;
  std::thread poster([&] {
    posterThread.set_value(::pthread_self());
    for (int i = 0; i < 200000; ++i)
      loop.post([] {});
    posting = false;
  });
  const pthread_t target = posterThread.get_future().get();
  int sent = 0;
  while (posting && sent < 20000) {
    ::pthread_kill(target, SIGUSR2);
    ++sent;
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
  // The poster has at most 200000 cheap calls left: 30 s is a deadlock.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (posting && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  if (posting) {
    FAIL_CHECK("post() never returned: the handler's stop() deadlocked");
    std::_Exit(1);  // the poster is stuck for good: nothing can end it
  }
  poster.join();
  gStopLoop = nullptr;
  CHECK(sent > 0);
  CHECK(test::runUntilIdle(loop));
}
#endif  // _WIN32
