#include "dgramcat/signals.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>
#include <utility>

#ifdef _WIN32
#include <windows.h>
#else
#include <csignal>

#include <pthread.h>
#endif

namespace dgramcat {
namespace {

dgram::Loop* gLoop = nullptr;
std::function<void(const char*)>* gHandler = nullptr;

void deliver(const char* name) {
  // A second Ctrl-C while the first is being handled ends at once. One
  // that follows within a moment is the same Ctrl-C delivered twice (a
  // wrapper such as timeout(1) passes it on to the child and to the whole
  // process group): ignored, so the summary is still printed.
  using Clock = std::chrono::steady_clock;
  static std::atomic<int> delivered{0};
  static std::atomic<Clock::rep> first{0};
  auto now = Clock::now().time_since_epoch().count();
  if (++delivered > 1) {
    auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
        Clock::duration(now - first.load()));
    if (since < std::chrono::milliseconds(250)) return;
    std::_Exit(130);
  }
  first.store(now);
  dgram::Loop* loop = gLoop;
  auto* handler = gHandler;
  if (loop == nullptr || handler == nullptr) return;
  loop->post([handler, name] { (*handler)(name); });
}

#ifdef _WIN32
BOOL WINAPI onConsoleEvent(DWORD event) {
  if (event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT) {
    deliver(event == CTRL_C_EVENT ? "Ctrl-C" : "Ctrl-Break");
    return TRUE;
  }
  return FALSE;
}
#else
sigset_t gOriginalMask;
#endif

}  // namespace

void watchSignals(dgram::Loop& loop,
                  std::function<void(const char*)> onSignal) {
  gLoop = &loop;
  // Lives as long as the process: the waiting thread may still use it.
  gHandler = new std::function<void(const char*)>(std::move(onSignal));
#ifdef _WIN32
  SetConsoleCtrlHandler(onConsoleEvent, TRUE);
#else
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout is a write error
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &gOriginalMask);
  std::thread([set] {
    while (true) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) continue;
      deliver(signal == SIGINT ? "SIGINT" : "SIGTERM");
    }
  }).detach();
#endif
}

void restoreSignalsInChild() {
#ifndef _WIN32
  std::signal(SIGPIPE, SIG_DFL);
  pthread_sigmask(SIG_SETMASK, &gOriginalMask, nullptr);
#endif
}

}  // namespace dgramcat
