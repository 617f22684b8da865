#include "dgramcat/run.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#ifndef _WIN32
#include <net/if.h>
#endif

#include "dgram/dgram.hpp"
#include "dgramcat/address.hpp"
#include "dgramcat/exec.hpp"
#include "dgramcat/session.hpp"
#include "dgramcat/signals.hpp"
#include "dgramcat/stdio.hpp"

namespace dgramcat {
namespace {

// What the parser cannot know without the system: a zone ("%eth0") that
// names no interface. Returns the error, or empty.
std::string checkZone(const std::string& address, const char* what) {
  const auto percent = address.find('%');
  if (percent == std::string::npos || !looksIPv6(address)) return {};
  const std::string zone = address.substr(percent + 1);
  bool numeric = !zone.empty();
  for (const char c : zone)
    numeric = numeric && c >= '0' && c <= '9';
#ifndef _WIN32
  if (!numeric && if_nametoindex(zone.c_str()) == 0) {
    return std::string(what) + " '" + address + "': no interface named '" +
           zone + "' (see `ip link`)";
  }
#endif
  if (zone.empty()) return std::string(what) + " '" + address + "': empty zone";
  return {};
}

}  // namespace

int run(const Options& options) {
  for (const auto& error : {checkZone(options.host, "address"),
                            checkZone(options.bindAddress, "-b")}) {
    if (!error.empty()) {
      std::cerr << "dgramcat: " << error << " (try --help)" << std::endl;
      return 2;
    }
  }
  if (!options.exec.empty() && !execSupported()) {
    std::cerr << "dgramcat: --exec is not supported on Windows" << std::endl;
    return 2;
  }
  binaryStdio();
  dgram::Loop& loop = dgram::Loop::defaultLoop();
  Session session(options, loop);
  watchSignals(loop, [&session](const char* name) { session.interrupt(name); });
  int status = 1;
  try {
    session.start();
    loop.run();
    status = session.status();
  } catch (const std::exception& err) {
    std::cerr << "dgramcat: " << err.what() << std::endl;
  }
  if (std::fflush(stdout) != 0 && status == 0) {
    std::cerr << "dgramcat: write to stdout failed" << std::endl;
    status = 1;
  }
  if (session.readerBlocked()) {
    // The reader thread is stuck in a read of stdin that nothing portable
    // can interrupt; end the process without running destructors under it.
    std::fflush(stderr);
    std::_Exit(status);
  }
  return status;
}

}  // namespace dgramcat
