// dgramcat's listen and send modes, on the default loop.
#pragma once

#include "dgramcat/options.hpp"

namespace dgramcat {

/// Runs `options` (action == run) to the end; returns the exit status
/// (0 or 1, see helpText()). Prints datagrams on stdout and runtime errors,
/// thrown or emitted, as "dgramcat: <message>" on stderr.
int run(const Options& options);

}  // namespace dgramcat
