#include "dgramcat/signals.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <utility>

namespace dgramcat {
namespace {

// The signals that end dgramcat, with the names its messages use.
struct Watched {
  int signum;
  const char* name;
};
#ifdef _WIN32
constexpr int kSigBreak = 21;  // Ctrl-Break (Node's SIGBREAK)
constexpr Watched kWatched[] = {{SIGINT, "Ctrl-C"}, {kSigBreak, "Ctrl-Break"}};
#else
constexpr Watched kWatched[] = {{SIGINT, "SIGINT"}, {SIGTERM, "SIGTERM"}};
#endif

}  // namespace

void watchSignals(dgram::Loop& loop,
                  std::function<void(const char*)> onSignal) {
#ifndef _WIN32
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout is a write error
#endif
  using Clock = std::chrono::steady_clock;
  struct State {
    std::function<void(const char*)> handler;
    int delivered = 0;
    Clock::time_point first;
  };
  auto state = std::make_shared<State>();
  state->handler = std::move(onSignal);
  for (const Watched& watched : kWatched) {
    const char* name = watched.name;
    // The watchers start unref'd: they never keep the loop alive.
    loop.onSignal(watched.signum, [state, name](int) {
      // A second Ctrl-C while the first is being handled ends at once.
      // One that follows within a moment is the same Ctrl-C delivered
      // twice (a wrapper such as timeout(1) passes it on to the child and
      // to the whole process group): ignored, so the summary is still
      // printed.
      const auto now = Clock::now();
      if (++state->delivered > 1) {
        if (now - state->first < std::chrono::milliseconds(250)) return;
        std::_Exit(130);
      }
      state->first = now;
      state->handler(name);
    });
  }
}

void restoreSignalsInChild() {
#ifndef _WIN32
  std::signal(SIGPIPE, SIG_DFL);
#endif
}

}  // namespace dgramcat
