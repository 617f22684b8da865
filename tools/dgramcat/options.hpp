// dgramcat's command line: what the user asked for, parsed by a pure
// function (no printing, no exit) so that tests and fuzzers can call it.
#pragma once

#include <chrono>
#include <cstddef>
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

/// How a received datagram is written to stdout.
enum class Output {
  lines,  ///< "ADDR:PORT (IPv4, N bytes): escaped payload" (listen default)
  raw,    ///< the payload bytes only, nothing added (send mode default)
  hex,    ///< the header line, then a hex dump of the payload
};

/// How stdin is cut into datagrams.
enum class Input {
  lines,  ///< one datagram per line, without "\n" or "\r\n"
  whole,  ///< all of stdin as one datagram
  block,  ///< blocks of Options::blockSize bytes (the last may be shorter)
};

/// --stats: a summary on stderr at the end (and on SIGINT).
enum class Stats { off, text, json };

struct Options {
  Action action = Action::run;
  Mode mode = Mode::send;
  /// -4 / -6, or inferred from the HOST or -b address; IPv4 otherwise,
  /// except when listening on all interfaces (see dualStack).
  dgram::Type type = dgram::Type::udp4;
  /// Listening without -b, -4 or -6: one udp6 socket that also gets IPv4
  /// (IPv4-mapped), falling back to udp4 where the host has no IPv6.
  bool dualStack = false;
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

  /// -p PORT: the local (source) port in send mode; 0 = any.
  int sourcePort = 0;
  /// -q S: after the input ends, how long to wait for replies and ICMP
  /// errors (the wait ends early once every datagram sent has a reply).
  std::optional<std::chrono::milliseconds> wait;
  /// -w S: end when nothing was sent or received for this long.
  std::optional<std::chrono::milliseconds> idleTimeout;
  /// --output / --raw / -x: how datagrams are written (listen mode prints
  /// lines, send mode the raw replies, unless set).
  Output output = Output::lines;
  /// -t: prefix each header line with the time of arrival.
  bool timestamp = false;
  /// --whole / --block N: how stdin becomes datagrams.
  Input input = Input::lines;
  std::size_t blockSize = 0;
  /// --rate N (datagrams per second) or -i S (interval): the send pace;
  /// zero = as fast as possible.
  std::chrono::nanoseconds sendInterval{0};
  /// --rcvbuf / --sndbuf: socket buffer sizes in bytes, 0 = the system's.
  int recvBufferSize = 0;
  int sendBufferSize = 0;
  /// -e / --exec CMD: with -l, run CMD for each datagram (payload on its
  /// stdin) and send its output back to the sender.
  std::string exec;
  /// -d / --no-stdin: do not read stdin (listen mode: nothing to send
  /// back; send mode: send nothing, just wait -q for what arrives).
  bool noStdin = false;
  /// --stats[=text|json].
  Stats stats = Stats::off;
  /// --flood: send numbered datagrams of floodSize bytes as fast as --rate
  /// allows, for --duration (or --count datagrams), then ask the receiver
  /// for its counts.
  bool flood = false;
  std::size_t floodSize = 64;
  std::optional<std::chrono::milliseconds> duration;
};

/// A --flood datagram starts with 4 magic bytes and a 64-bit sequence
/// number: the smallest --size.
inline constexpr std::size_t kFloodHeader = 12;

/// The largest UDP payload over IPv4.
inline constexpr std::size_t kMaxDatagram = 65507;

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
