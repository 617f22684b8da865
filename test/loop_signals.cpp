// Signals (issue 26 item 2): Loop::stop() from a signal handler, and
// Loop::onSignal, Node's process.on('SIGTERM', ...).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/catch.hpp"

#include "support/helpers.hpp"

#ifdef _WIN32
#include <windows.h>
#else
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

#ifndef _WIN32
namespace {

// The disposition of `signum` now (handler or SIG_DFL / SIG_IGN).
void (*dispositionOf(int signum))(int) {
  struct sigaction current {};
  ::sigaction(signum, nullptr, &current);
  return current.sa_handler;
}

}  // namespace

TEST_CASE("onSignal runs its callback on the loop thread",
          "[loop][signal][thread]") {
  dgram::Loop loop;
  const std::thread::id loopThread = std::this_thread::get_id();
  std::vector<int> got;
  bool onLoopThread = false;
  auto watcher = loop.onSignal(SIGUSR1, [&](int signum) {
    got.push_back(signum);
    onLoopThread = std::this_thread::get_id() == loopThread;
  });
  REQUIRE(watcher);
  CHECK(watcher.active());
  CHECK(watcher.signal() == SIGUSR1);
  // From another thread, while run() waits (a ref'd watcher keeps it
  // there; a timer bounds the test).
  watcher.ref();
  auto guard = loop.setTimeout(10s, [&] { loop.stop(); });
  std::thread sender([] {
    std::this_thread::sleep_for(20ms);
    ::kill(::getpid(), SIGUSR1);
  });
  REQUIRE(test::runUntil(loop, [&] { return !got.empty(); }));
  sender.join();
  CHECK(got == std::vector<int>{SIGUSR1});
  CHECK(onLoopThread);
  loop.clearTimeout(guard);
  watcher.stop();
  CHECK_FALSE(watcher.active());
  CHECK_FALSE(loop.runOnce(0ms));
}

TEST_CASE("a signal watcher starts unref'd, as Node's listeners",
          "[loop][signal]") {
  dgram::Loop loop;
  int calls = 0;
  auto watcher = loop.onSignal(SIGUSR1, [&](int) { ++calls; });
  CHECK_FALSE(watcher.hasRef());
  CHECK_FALSE(loop.runOnce(0ms));  // nothing ref'd
  auto start = std::chrono::steady_clock::now();
  loop.run();
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(watcher.ref().hasRef());
  CHECK(loop.runOnce(0ms));  // now it keeps the loop alive
  ::raise(SIGUSR1);
  CHECK(test::runUntil(loop, [&] { return calls == 1; }));
  watcher.unref();
  CHECK_FALSE(loop.runOnce(0ms));
  watcher.stop();
}

TEST_CASE("every watcher of a signal, in every loop, is called",
          "[loop][signal]") {
  dgram::Loop first;
  dgram::Loop second;
  std::vector<std::string> calls;
  auto a = first.onSignal(SIGUSR1, [&](int) { calls.push_back("first/a"); });
  auto b = first.onSignal(SIGUSR1, [&](int) { calls.push_back("first/b"); });
  auto c = second.onSignal(SIGUSR1, [&](int) { calls.push_back("second"); });
  auto other = first.onSignal(SIGUSR2, [&](int) { calls.push_back("usr2"); });
  ::raise(SIGUSR1);
  CHECK(test::runUntil(first, [&] { return calls.size() >= 2; }));
  CHECK(test::runUntil(second, [&] { return calls.size() >= 3; }));
  CHECK(calls == std::vector<std::string>{"first/a", "first/b", "second"});
  // A stopped watcher is not called; the others of its signal still are.
  a.stop();
  calls.clear();
  ::raise(SIGUSR1);
  CHECK(test::runUntil(first, [&] { return calls.size() >= 1; }));
  CHECK(test::runUntil(second, [&] { return calls.size() >= 2; }));
  CHECK(calls == std::vector<std::string>{"first/b", "second"});
  b.stop();
  c.stop();
  other.stop();
}

TEST_CASE("a watcher may stop itself and others from its callback",
          "[loop][signal]") {
  dgram::Loop loop;
  int firstCalls = 0;
  int secondCalls = 0;
  dgram::SignalWatcher second;
  dgram::SignalWatcher first;
  first = loop.onSignal(SIGUSR1, [&](int) {
    ++firstCalls;
    first.stop();
    second.stop();
  });
  second = loop.onSignal(SIGUSR1, [&](int) { ++secondCalls; });
  ::raise(SIGUSR1);
  CHECK(test::runUntil(
      loop, [&] { return firstCalls == 1; }, 2s));
  for (int i = 0; i < 5; ++i)
    loop.runOnce(5ms);
  CHECK(firstCalls == 1);
  CHECK(secondCalls == 0);
  CHECK_FALSE(first.active());
  CHECK_FALSE(second.active());
}

TEST_CASE("the last watcher of a signal puts its disposition back",
          "[loop][signal]") {
  // SIGUSR2 ignored: if the handler stayed after the loop, or the
  // disposition came back wrong, raise() would show it.
  void (*before)(int) = ::signal(SIGUSR2, SIG_IGN);
  {
    dgram::Loop loop;
    auto a = loop.onSignal(SIGUSR2, [](int) {});
    auto b = loop.onSignal(SIGUSR2, [](int) {});
    CHECK(dispositionOf(SIGUSR2) != SIG_IGN);
    a.stop();
    CHECK(dispositionOf(SIGUSR2) != SIG_IGN);  // b still listens
    b.stop();
    CHECK(dispositionOf(SIGUSR2) == SIG_IGN);
    // A loop destroyed with watchers running puts it back too.
    loop.onSignal(SIGUSR2, [](int) {});
    loop.onSignal(SIGUSR2, [](int) {});
    CHECK(dispositionOf(SIGUSR2) != SIG_IGN);
  }
  CHECK(dispositionOf(SIGUSR2) == SIG_IGN);
  ::raise(SIGUSR2);  // ignored: no handler left that reaches a loop
  ::signal(SIGUSR2, before);
}

TEST_CASE("a signal arriving as its loop is destroyed is harmless",
          "[loop][signal][thread]") {
  // Handlers walk the process's channels while loops come and go.
  void (*before)(int) = ::signal(SIGUSR2, SIG_IGN);
  std::atomic<bool> done{false};
  std::thread sender([&] {
    while (!done) {
      ::kill(::getpid(), SIGUSR2);
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  int calls = 0;
  for (int i = 0; i < 200; ++i) {
    dgram::Loop loop;
    dgram::Loop other;
    loop.onSignal(SIGUSR2, [&](int) { ++calls; });
    other.onSignal(SIGUSR2, [&](int) { ++calls; });
    loop.runOnce(0ms);
    other.runOnce(0ms);
  }
  done = true;
  sender.join();
  CHECK(dispositionOf(SIGUSR2) == SIG_IGN);
  ::signal(SIGUSR2, before);
}

TEST_CASE("a signal that cannot be caught is an error, returned or thrown",
          "[loop][signal]") {
  dgram::Loop loop;
  std::optional<dgram::Error> error;
  auto watcher = loop.onSignal(
      SIGKILL, [](int) {}, error);
  CHECK_FALSE(watcher);
  REQUIRE(error);
  CHECK(error->code() == "EINVAL");
  CHECK(error->syscall() == "sigaction");
  try {
    loop.onSignal(SIGSTOP, [](int) {});
    FAIL("no error");
  } catch (const dgram::Error& e) {
    CHECK(e.code() == "EINVAL");
  }
  // The failures left nothing behind: a good signal still works.
  auto good = loop.onSignal(
      SIGUSR1, [](int) {}, error);
  CHECK(good);
  CHECK_FALSE(error);
  good.stop();
  CHECK_FALSE(loop.runOnce(0ms));
}

TEST_CASE("a listener that throws leaves run(), and the watcher stays",
          "[loop][signal]") {
  dgram::Loop loop;
  int calls = 0;
  auto watcher = loop.onSignal(SIGUSR1, [&](int) {
    if (++calls == 1) throw std::runtime_error("listener bug");
  });
  watcher.ref();
  ::raise(SIGUSR1);
  CHECK_THROWS_AS(test::runUntil(loop, [&] { return calls > 0; }),
                  std::runtime_error);
  CHECK(watcher.active());
  ::raise(SIGUSR1);
  CHECK(test::runUntil(loop, [&] { return calls == 2; }));
  watcher.stop();
}
#endif  // _WIN32

TEST_CASE("onSignal refuses unknown signals and empty listeners",
          "[loop][signal]") {
  dgram::Loop loop;
  for (int signum : {0, -1, 100000}) {
    try {
      loop.onSignal(signum, [](int) {});
      FAIL("no error");
    } catch (const dgram::Error& e) {
      CHECK(e.code() == "ERR_UNKNOWN_SIGNAL");
    }
  }
  try {
    loop.onSignal(SIGINT, {});
    FAIL("no error");
  } catch (const dgram::Error& e) {
    CHECK(e.code() == "ERR_INVALID_ARG_TYPE");
  }
  CHECK_FALSE(loop.runOnce(0ms));
}

TEST_CASE("onSignal on the default loop", "[loop][signal]") {
  int calls = 0;
  auto watcher = dgram::onSignal(SIGINT, [&](int signum) {
    CHECK(signum == SIGINT);
    ++calls;
  });
  REQUIRE(watcher);
  watcher.ref();
#ifdef _WIN32
  watcher.stop();  // delivery under Windows: the console test
#else
  ::raise(SIGINT);
  CHECK(test::runUntil(dgram::Loop::defaultLoop(), [&] { return calls == 1; }));
  watcher.stop();
#endif  // _WIN32
  CHECK_FALSE(watcher.active());
}

#ifdef _WIN32
TEST_CASE("Ctrl-C and Ctrl-Break reach onSignal as SIGINT and SIGBREAK",
          "[loop][signal]") {
  // GenerateConsoleCtrlEvent reaches every process on the console: only
  // with a console of this process's own. One it shares (wine gives each
  // process one) is left for a new one when the test's output does not
  // go to it.
  bool ownConsole = ::AllocConsole();
  auto isConsole = [](DWORD which) {
    return ::GetFileType(::GetStdHandle(which)) == FILE_TYPE_CHAR;
  };
  if (!ownConsole && !isConsole(STD_OUTPUT_HANDLE) &&
      !isConsole(STD_ERROR_HANDLE)) {
    ::FreeConsole();
    ownConsole = ::AllocConsole();
  }
  if (!ownConsole) {
    WARN(
        "SKIPPED: no console of this process's own (the events would "
        "reach the other processes on the one it has)");
    return;
  }
  struct FreeAtEnd {
    ~FreeAtEnd() { ::FreeConsole(); }
  } freeAtEnd;
  ::SetConsoleCtrlHandler(nullptr, FALSE);  // Ctrl-C is not ignored
  dgram::Loop loop;
  std::vector<int> got;
  auto onInt = loop.onSignal(SIGINT, [&](int s) { got.push_back(s); });
  auto onBreak = loop.onSignal(SIGBREAK, [&](int s) { got.push_back(s); });
  onInt.ref();
  REQUIRE(::GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0));
  REQUIRE(test::runUntil(loop, [&] { return !got.empty(); }));
  CHECK(got == std::vector<int>{SIGINT});
  if (::GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, 0)) {
    CHECK(test::runUntil(loop, [&] { return got.size() == 2; }));
    CHECK(got == std::vector<int>{SIGINT, SIGBREAK});
  } else {
    // wine: ERROR_INVALID_HANDLE for Ctrl-Break on a console it made.
    WARN(
        "SKIPPED (Ctrl-Break only): GenerateConsoleCtrlEvent failed, "
        "error " +
        std::to_string(::GetLastError()));
  }
  onBreak.stop();
  onInt.stop();
  CHECK_FALSE(loop.runOnce(0ms));
}

TEST_CASE("signals Windows has no console event for are refused",
          "[loop][signal]") {
  dgram::Loop loop;
  std::optional<dgram::Error> error;
  auto watcher = loop.onSignal(
      SIGSEGV, [](int) {}, error);
  CHECK_FALSE(watcher);
  REQUIRE(error);
  CHECK(error->code() == "EINVAL");
  // SIGTERM is accepted and never arrives, as in Node.
  auto term = loop.onSignal(
      SIGTERM, [](int) {}, error);
  CHECK(term);
  CHECK_FALSE(error);
  term.stop();
}
#endif  // _WIN32
