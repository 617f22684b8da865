// Signals on POSIX (the platform half of Loop::onSignal, signals.hpp):
// a sigaction handler per signal, shared by the process, that marks the
// signal arrived in every loop listening to it and wakes that loop's
// channel (an eventfd or pipe its poller watches). The loop then reports
// it from its I/O phase, on its own thread, on every backend alike.
//
// Why not signalfd: it only sees signals blocked in every thread, which a
// library cannot ask of the program's other threads; a handler sees the
// signal on whichever thread the kernel picks.
//
// What a handler may touch: the channels list is append-only and its
// entries are never freed (a loop that goes away leaves its entry for the
// next loop), so walking it needs no lock. Each entry publishes its wake-up
// through an atomic pointer; a handler holds the entry's `busy` count while
// it uses the pointer, and a loop that withdraws it waits for that count
// to drop before closing the descriptors (seq_cst: the withdrawal and the
// handler's count are ordered, so one of them sees the other).
// Layer: platform (readiness backends).
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <mutex>
#include <thread>

#include "common/signals.hpp"
#include "posix/errno_map.hpp"
#include "posix/poller.hpp"
#include "posix/wakeup.hpp"

namespace dgram::detail {

bool isSignalNumber(int signum) noexcept {
  return signum > 0 && signum < NSIG;
}

namespace {

static_assert(std::atomic<bool>::is_always_lock_free &&
                  std::atomic<int>::is_always_lock_free &&
                  std::atomic<Wakeup*>::is_always_lock_free,
              "a signal handler may only use lock-free atomics");

// One loop's entry in the process's list of listeners.
struct Channel {
  std::atomic<Wakeup*> wakeup{nullptr};  ///< null: no loop uses it now
  std::atomic<int> busy{0};              ///< handlers using `wakeup`
  std::atomic<bool> wanted[NSIG] = {};   ///< signals the loop listens to
  std::atomic<bool> arrived[NSIG] = {};  ///< arrived, not yet reported
  std::atomic<bool> taken{false};        ///< claimed by a loop
  Channel* next = nullptr;               ///< fixed before publication
};

std::atomic<Channel*> gChannels{nullptr};

// Handler installation, on the loops' threads only (never in a handler).
std::mutex gInstallMutex;
int gListeners[NSIG] = {};  ///< loops listening, per signal
struct sigaction gPrevious[NSIG];

void onSignal(int signum) {
  // Wakeup::signal keeps errno; the rest touches only lock-free atomics.
  if (signum <= 0 || signum >= NSIG) return;
  for (Channel* channel = gChannels.load(); channel != nullptr;
       channel = channel->next) {
    channel->busy.fetch_add(1);
    Wakeup* wakeup = channel->wakeup.load();
    if (wakeup != nullptr && channel->wanted[signum].load()) {
      channel->arrived[signum].store(true);
      wakeup->signal();
    }
    channel->busy.fetch_sub(1);
  }
}

// A free entry of the list, or a new one put at its head.
Channel* claimChannel() {
  for (Channel* channel = gChannels.load(); channel != nullptr;
       channel = channel->next) {
    bool expected = false;
    if (channel->taken.compare_exchange_strong(expected, true)) return channel;
  }
  auto* channel = new Channel;  // lives as long as the process
  channel->taken.store(true);
  Channel* head = gChannels.load();
  do {
    channel->next = head;
  } while (!gChannels.compare_exchange_weak(head, channel));
  return channel;
}

class PosixSignalSource final : public SignalSource, public Watcher {
 public:
  PosixSignalSource(Poller& poller, SignalSink& sink, SysError& error,
                    const char*& syscall)
      : poller_(poller), sink_(sink), wakeup_(error, syscall) {
    if (error) return;
    if (int failed = poller_.watch(wakeup_.fd(), kReadable, this)) {
      error = sysErrorFromErrno(failed);
      syscall = poller_.controlCall();
      return;
    }
    watching_ = true;
    channel_ = claimChannel();
    channel_->wakeup.store(&wakeup_);
  }

  ~PosixSignalSource() override {
    if (!watching_) return;
    poller_.unwatch(wakeup_.fd());
    // Withdraw the wake-up, then wait out the handlers that may still
    // hold it (microseconds: they only write one word).
    channel_->wakeup.store(nullptr);
    while (channel_->busy.load() != 0)
      std::this_thread::yield();
    for (auto& arrived : channel_->arrived)
      arrived.store(false);
    channel_->taken.store(false);
  }

  SysError listen(int signum, const char*& syscall) override {
    std::lock_guard<std::mutex> lock(gInstallMutex);
    channel_->wanted[signum].store(true);
    if (gListeners[signum] == 0) {
      struct sigaction action {};
      action.sa_handler = onSignal;
      // Restart interrupted calls of the program's other code; block
      // every signal while the handler runs.
      action.sa_flags = SA_RESTART;
      sigfillset(&action.sa_mask);
      if (::sigaction(signum, &action, &gPrevious[signum]) != 0) {
        SysError error = sysErrorFromErrno(errno);
        channel_->wanted[signum].store(false);
        syscall = "sigaction";
        return error;
      }
    }
    ++gListeners[signum];
    return {};
  }

  void unlisten(int signum) noexcept override {
    std::lock_guard<std::mutex> lock(gInstallMutex);
    channel_->wanted[signum].store(false);
    channel_->arrived[signum].store(false);
    if (--gListeners[signum] == 0)
      (void)::sigaction(signum, &gPrevious[signum], nullptr);
  }

  void onReady(unsigned) override {
    wakeup_.drain();
    for (int signum = 1; signum < NSIG; ++signum) {
      if (!channel_->arrived[signum].exchange(false)) continue;
      try {
        sink_.signalArrived(signum);
      } catch (...) {
        // The callback's exception leaves run(); signals still marked
        // are reported on the next turn.
        wakeup_.signal();
        throw;
      }
    }
  }

 private:
  Poller& poller_;
  SignalSink& sink_;
  Wakeup wakeup_;
  Channel* channel_ = nullptr;
  bool watching_ = false;
};

}  // namespace

std::unique_ptr<SignalSource> Poller::createSignalSource(LoopCore&,
                                                         SignalSink& sink,
                                                         SysError& error,
                                                         const char*& syscall) {
  auto source =
      std::make_unique<PosixSignalSource>(*this, sink, error, syscall);
  if (error) return nullptr;
  return source;
}

}  // namespace dgram::detail
