// A thread whose name lookup sees only files the test chose: new mount and
// network namespaces (Linux, root), /etc/resolv.conf and /etc/hosts
// bind-mounted from the given files, and a network with nothing but `lo`
// (up). The mounts are private to the thread's namespace: nothing
// propagates back, and everything is gone when the thread ends. Whatever
// resolver the code on that thread runs (c-ares reads both files) asks
// only the servers the resolv.conf names, inside the namespace.
#pragma once

#include <functional>
#include <string>

namespace test {

/// Runs `fn` on a new thread inside such namespaces and waits for it.
/// Returns "" once `fn` has run (its exception, if any, is rethrown here),
/// or why the namespaces could not be made ("needs root"...): then `fn`
/// did not run.
std::string runInResolverSandbox(const std::string& resolvConf,
                                 const std::string& hosts,
                                 const std::function<void()>& fn);

}  // namespace test

/// Skips the current test with a visible warning when `why` (from
/// runInResolverSandbox) says the sandbox could not be made.
#define RESOLVER_SANDBOX_OR_SKIP(why)                            \
  do {                                                           \
    if (!(why).empty()) {                                        \
      WARN("SKIPPED (resolver sandbox unavailable): " << (why)); \
      return;                                                    \
    }                                                            \
  } while (0)
