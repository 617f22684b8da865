// dgramcat's command line: what the user asked for, parsed by a pure
// function (no printing, no exit) so that tests and fuzzers can call it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dgram/address.hpp"

namespace dgramcat {

/// --join GROUP[,IFACE]: a multicast group to join, on an interface.
struct Join {
  std::string group;
  /// As Node's multicastInterface: an IPv4 address, or for IPv6 "::%eth0"
  /// (a bare interface name given with -6 becomes "::%name"); empty =
  /// let the system choose.
  std::string iface;
};

/// What dgramcat does once the arguments are parsed.
enum class Action {
  run,      ///< listen or send, as `mode` says
  help,     ///< print helpText() and exit 0
  version,  ///< print the version and exit 0
};

enum class Mode {
  listen,  ///< -l PORT: print what arrives (and echo it with --echo)
  send,    ///< HOST PORT: send stdin lines, or --message once
};

struct Options {
  Action action = Action::run;
  Mode mode = Mode::send;
  dgram::Type type = dgram::Type::udp4;  ///< -4 / -6
  /// Listen mode: the local port (0 = any). Send mode: the destination.
  int port = 0;
  /// Send mode: the destination host name or address.
  std::string host;
  /// -b ADDR: the local address to bind (empty = all interfaces).
  std::string bindAddress;
  /// --message TEXT: send this once instead of reading stdin.
  std::optional<std::string> message;
  /// --echo: send every datagram back to its sender (listen mode).
  bool echo = false;
  /// --count N: stop after N datagrams received (listen) or sent (send);
  /// 0 = no limit.
  std::uint64_t count = 0;
  /// --timeout S: stop after this long at the latest.
  std::optional<std::chrono::milliseconds> timeout;
  /// -v: report the bound address and the end on stderr.
  bool verbose = false;
  /// --join GROUP[,IFACE] (repeatable): addMembership once bound.
  std::vector<Join> joins;
  /// --source ADDR: join every --join group for this source only
  /// (addSourceSpecificMembership).
  std::string source;
  /// --broadcast: setBroadcast(true) once bound.
  bool broadcast = false;
  /// --ttl N (0-255): setMulticastTTL(N), and setTTL(N) when N >= 1.
  std::optional<int> ttl;
  /// --multicast-loopback[=on|off]: setMulticastLoopback.
  std::optional<bool> multicastLoopback;
  /// --multicast-interface IFACE: setMulticastInterface.
  std::string multicastInterface;
  /// --reuse-port / --reuse-addr: the createSocket options.
  bool reusePort = false;
  bool reuseAddr = false;
};

/// Either options or the reason the arguments are wrong.
struct ParseResult {
  std::optional<Options> options;
  /// What is wrong, for "dgramcat: <error> (try --help)"; empty if ok.
  std::string error;

  bool ok() const noexcept { return options.has_value(); }
};

/// Parses the arguments (without the program name, i.e. argv[1..]).
ParseResult parseOptions(const std::vector<std::string>& args);

/// The --help text (ends with a newline).
std::string helpText();

/// The --version line, without newline: "dgramcat <version>".
std::string versionText();

/// The largest --timeout in milliseconds: Node's setTimeout maximum.
inline constexpr std::int64_t kMaxTimeoutMs = 2147483647;

}  // namespace dgramcat
