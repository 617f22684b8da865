// Ctrl-C and termination: SIGINT and SIGTERM (POSIX) or the console's
// Ctrl-C and Ctrl-Break (Windows) become a call on the loop thread
// (dgram::Loop::onSignal), so that dgramcat can print its summary and end
// cleanly.
#pragma once

#include <functional>

#include "dgram/loop.hpp"

namespace dgramcat {

/// `onSignal` runs on the loop thread with the signal's name ("SIGINT").
/// The watchers do not keep the loop alive. A second signal while the
/// first is being handled ends the process at once.
void watchSignals(dgram::Loop& loop, std::function<void(const char*)> onSignal);

/// In a child process after fork: the dispositions dgramcat changed for
/// itself (SIGPIPE ignored) back to the defaults, which exec keeps.
void restoreSignalsInChild();

}  // namespace dgramcat
