// Signals on Windows (the platform half of Loop::onSignal, signals.hpp):
// the console's control handler. Windows calls it on a thread of its own
// for Ctrl-C, Ctrl-Break and the console's close; it marks the signal
// arrived in every loop listening to it and posts one call to each of
// those loops (a lock is fine here: this is an ordinary thread).
// Ctrl-C is SIGINT, Ctrl-Break SIGBREAK and the close SIGHUP, as in Node;
// SIGTERM may be listened to and never arrives.
// Layer: platform (IOCP).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "common/loop_core.hpp"
#include "common/signals.hpp"
#include "win32/error_map.hpp"
#include "win32/iocp.hpp"

namespace dgram::detail {

bool isSignalNumber(int signum) noexcept {
  return signum > 0 && signum < NSIG;
}

namespace {

// Node's numbers: <signal.h> of the Windows runtimes has no SIGHUP.
constexpr int kSigHup = 1;
constexpr int kSigBreak = 21;

class WinSignalSource;

std::mutex gMutex;  ///< guards everything below and each source's wants
std::vector<WinSignalSource*> gSources;
int gListening = 0;  ///< listens of every loop: the handler is in while > 0

int signalOf(DWORD event) noexcept {
  switch (event) {
    case CTRL_C_EVENT:
      return SIGINT;
    case CTRL_BREAK_EVENT:
      return kSigBreak;
    case CTRL_CLOSE_EVENT:
      return kSigHup;
    default:
      return 0;
  }
}

class WinSignalSource final : public SignalSource {
 public:
  WinSignalSource(LoopCore& loop, SignalSink& sink) : loop_(loop), sink_(sink) {
    std::lock_guard<std::mutex> lock(gMutex);
    gSources.push_back(this);
  }

  ~WinSignalSource() override {
    // After this no handler reaches this loop; a call it posted already
    // is dropped unrun with the loop's other posted calls.
    std::lock_guard<std::mutex> lock(gMutex);
    gSources.erase(std::find(gSources.begin(), gSources.end(), this));
  }

  SysError listen(int signum, const char*& syscall) override {
    if (signum != SIGINT && signum != kSigBreak && signum != kSigHup &&
        signum != SIGTERM) {
      syscall = "SetConsoleCtrlHandler";
      return sysErrorFromName("EINVAL");
    }
    std::lock_guard<std::mutex> lock(gMutex);
    if (gListening == 0 && !::SetConsoleCtrlHandler(onConsoleEvent, TRUE)) {
      syscall = "SetConsoleCtrlHandler";
      return sysErrorFromWinsock(static_cast<int>(::GetLastError()));
    }
    ++gListening;
    wanted_[signum] = true;
    return {};
  }

  void unlisten(int signum) noexcept override {
    std::lock_guard<std::mutex> lock(gMutex);
    wanted_[signum] = false;
    if (--gListening == 0) ::SetConsoleCtrlHandler(onConsoleEvent, FALSE);
  }

 private:
  static BOOL WINAPI onConsoleEvent(DWORD event) {
    const int signum = signalOf(event);
    if (signum == 0) return FALSE;
    bool delivered = false;
    {
      std::lock_guard<std::mutex> lock(gMutex);
      for (WinSignalSource* source : gSources) {
        if (source->wanted_[signum]) {
          source->deliver(signum);
          delivered = true;
        }
      }
    }
    // Nobody listens: the next handler (the default ends the process).
    if (!delivered) return FALSE;
    // Windows ends the process once this returns from a close event:
    // wait here instead, so the loop has the seconds Windows grants
    // (it ends the process after them, or the program exits first).
    if (event == CTRL_CLOSE_EVENT) ::Sleep(INFINITE);
    return TRUE;
  }

  // On the handler's thread, under gMutex.
  void deliver(int signum) {
    arrived_[signum].store(true);
    if (postPending_.exchange(true)) return;
    loop_.post([this] {
      postPending_.store(false);
      report();
    });
  }

  // On the loop's thread.
  void report() {
    for (int signum = 1; signum < NSIG; ++signum) {
      if (arrived_[signum].exchange(false)) sink_.signalArrived(signum);
    }
  }

  LoopCore& loop_;
  SignalSink& sink_;
  bool wanted_[NSIG] = {};  ///< under gMutex
  std::atomic<bool> arrived_[NSIG] = {};
  std::atomic<bool> postPending_{false};
};

}  // namespace

std::unique_ptr<SignalSource> IocpBackend::createSignalSource(LoopCore& loop,
                                                              SignalSink& sink,
                                                              SysError&,
                                                              const char*&) {
  return std::make_unique<WinSignalSource>(loop, sink);
}

}  // namespace dgram::detail
