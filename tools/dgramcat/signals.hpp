// Ctrl-C and termination: SIGINT and SIGTERM (POSIX) or the console's
// Ctrl-C and close events (Windows) become a call on the loop thread, so
// that dgramcat can print its summary and end cleanly.
#pragma once

#include <functional>

#include "dgram/loop.hpp"

namespace dgramcat {

/// Call before any other thread starts (POSIX: the signals are blocked in
/// every thread and one thread waits for them). `onSignal` runs on the
/// loop thread with the signal's name ("SIGINT").
void watchSignals(dgram::Loop& loop, std::function<void(const char*)> onSignal);

/// In a child process after fork: the signal mask dgramcat started with.
void restoreSignalsInChild();

}  // namespace dgramcat
