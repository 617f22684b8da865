#include "dgramcat/options.hpp"

#include <cstddef>
#include <limits>
#include <string_view>

#include "dgramcat/format.hpp"

#ifndef DGRAMCAT_VERSION
#define DGRAMCAT_VERSION "unknown"
#endif

namespace dgramcat {
namespace {

// User text inside an error message, quoted and escaped so that the
// message stays on one line whatever the argument holds.
std::string quoted(std::string_view text) {
  return "'" + escapeBytes(text) + "'";
}

bool allDigits(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Decimal digits only (no sign, no spaces) into `out`; false on overflow.
bool toUnsigned(std::string_view digits, std::uint64_t& out) {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  out = 0;
  for (const char c : digits) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (out > (kMax - digit) / 10) return false;
    out = out * 10 + digit;
  }
  return true;
}

// A port: 0-65535 when listening, 1-65535 as a destination.
std::string parsePort(std::string_view text, int lowest, int& port) {
  std::uint64_t value = 0;
  if (!allDigits(text)) return "invalid port " + quoted(text);
  if (!toUnsigned(text, value) || value < static_cast<std::uint64_t>(lowest) ||
      value > 65535) {
    return "port " + quoted(text) + " out of range (" + std::to_string(lowest) +
           "-65535)";
  }
  port = static_cast<int>(value);
  return {};
}

std::string parseCount(std::string_view text, std::uint64_t& count) {
  if (!allDigits(text)) return "invalid count " + quoted(text);
  if (!toUnsigned(text, count)) return "count " + quoted(text) + " too large";
  if (count == 0) return "count must be at least 1";
  return {};
}

// Seconds with an optional fraction ("2", "0.5", ".25"), kept to whole
// milliseconds; at least 1 ms, at most kMaxTimeoutMs.
std::string parseTimeout(std::string_view text,
                         std::optional<std::chrono::milliseconds>& timeout) {
  const std::string invalid =
      "invalid timeout " + quoted(text) + " (seconds, e.g. 2.5)";
  const auto dot = text.find('.');
  const auto whole = text.substr(0, dot);
  const auto fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return invalid;
  if (!whole.empty() && !allDigits(whole)) return invalid;
  if (dot != std::string_view::npos && !allDigits(fraction)) return invalid;

  std::uint64_t seconds = 0;
  const std::uint64_t maxSeconds = kMaxTimeoutMs / 1000;
  if (!toUnsigned(whole, seconds) || seconds > maxSeconds) {
    return "timeout " + quoted(text) + " out of range (at most 2147483.647)";
  }
  std::int64_t ms = static_cast<std::int64_t>(seconds) * 1000;
  std::int64_t scale = 100;  // digits past the third are cut off
  for (std::size_t i = 0; i < fraction.size() && scale > 0; ++i, scale /= 10) {
    ms += (fraction[i] - '0') * scale;
  }
  if (ms > kMaxTimeoutMs) {
    return "timeout " + quoted(text) + " out of range (at most 2147483.647)";
  }
  if (ms == 0) return "timeout must be at least 0.001 seconds";
  timeout = std::chrono::milliseconds(ms);
  return {};
}

std::string parseTtl(std::string_view text, std::optional<int>& ttl) {
  std::uint64_t value = 0;
  if (!allDigits(text)) return "invalid ttl " + quoted(text);
  if (!toUnsigned(text, value) || value > 255) {
    return "ttl " + quoted(text) + " out of range (0-255)";
  }
  ttl = static_cast<int>(value);
  return {};
}

// GROUP[,IFACE]: the group never holds a comma, so the first one splits.
std::string parseJoin(std::string_view text, std::vector<Join>& joins) {
  const auto comma = text.find(',');
  Join join;
  join.group = std::string(text.substr(0, comma));
  if (comma != std::string_view::npos) {
    join.iface = std::string(text.substr(comma + 1));
    if (join.iface.empty()) {
      return "empty interface in --join " + quoted(text);
    }
  }
  if (join.group.empty()) return "empty group in --join " + quoted(text);
  joins.push_back(std::move(join));
  return {};
}

// Walks the arguments left to right; the first problem found is reported.
class Parser {
 public:
  explicit Parser(const std::vector<std::string>& args) : args_(args) {}

  ParseResult parse() {
    bool optionsEnded = false;
    for (next_ = 0; next_ < args_.size();) {
      const std::string& arg = args_[next_++];
      std::string error;
      if (optionsEnded || arg.size() < 2 || arg[0] != '-') {
        positionals_.push_back(arg);
        continue;
      }
      if (arg == "--") {
        optionsEnded = true;
        continue;
      }
      if (arg == "-h" || arg == "--help") return done(Action::help);
      if (arg == "--version") return done(Action::version);
      error = option(arg);
      if (!error.empty()) return failure(error);
    }
    const std::string error = finish();
    if (!error.empty()) return failure(error);
    return done(Action::run);
  }

 private:
  // One option (and its value, if it takes one).
  std::string option(const std::string& arg) {
    std::string name = arg;
    std::optional<std::string> inlineValue;
    if (arg.compare(0, 2, "--") == 0) {
      const auto eq = arg.find('=');
      if (eq != std::string::npos) {
        name = arg.substr(0, eq);
        inlineValue = arg.substr(eq + 1);
      }
    } else if (arg.size() > 2 && takesValue(arg.substr(0, 2))) {
      name = arg.substr(0, 2);  // "-l9000"
      inlineValue = arg.substr(2);
    }

    if (name == "-4" || name == "--ipv4") return flag(name, inlineValue, ipv4_);
    if (name == "-6" || name == "--ipv6") return flag(name, inlineValue, ipv6_);
    if (name == "--echo") return flag(name, inlineValue, opts_.echo);
    if (name == "--broadcast") return flag(name, inlineValue, opts_.broadcast);
    if (name == "--reuse-port") return flag(name, inlineValue, opts_.reusePort);
    if (name == "--reuse-addr") return flag(name, inlineValue, opts_.reuseAddr);
    if (name == "--multicast-loopback") {
      if (opts_.multicastLoopback) {
        return "option " + quoted(name) + " given twice";
      }
      if (!inlineValue || *inlineValue == "on") {
        opts_.multicastLoopback = true;
      } else if (*inlineValue == "off") {
        opts_.multicastLoopback = false;
      } else {
        return "invalid value " + quoted(*inlineValue) + " for " +
               quoted(name) + " (on or off)";
      }
      return {};
    }
    if (name == "-v" || name == "--verbose") {
      return flag(name, inlineValue, opts_.verbose);
    }
    if (!takesValue(name)) return "unknown option " + quoted(arg);

    std::string value;
    if (inlineValue) {
      value = *inlineValue;
    } else if (next_ < args_.size()) {
      value = args_[next_++];
    } else {
      return "option " + quoted(name) + " needs a value";
    }

    if (name == "-l" || name == "--listen") {
      if (listenGiven_) return "option " + quoted(name) + " given twice";
      listenGiven_ = true;
      return parsePort(value, 0, opts_.port);
    }
    if (name == "-b" || name == "--bind") {
      if (bindGiven_) return "option " + quoted(name) + " given twice";
      bindGiven_ = true;
      if (value.empty()) return "empty address for " + quoted(name);
      opts_.bindAddress = value;
      return {};
    }
    if (name == "-m" || name == "--message") {
      if (opts_.message) return "option " + quoted(name) + " given twice";
      opts_.message = value;  // may be empty: an empty datagram
      return {};
    }
    if (name == "--join") return parseJoin(value, opts_.joins);
    if (name == "--source") {
      if (!opts_.source.empty())
        return "option " + quoted(name) + " given twice";
      if (value.empty()) return "empty address for " + quoted(name);
      opts_.source = value;
      return {};
    }
    if (name == "--ttl") {
      if (opts_.ttl) return "option " + quoted(name) + " given twice";
      return parseTtl(value, opts_.ttl);
    }
    if (name == "--multicast-interface") {
      if (!opts_.multicastInterface.empty()) {
        return "option " + quoted(name) + " given twice";
      }
      if (value.empty()) return "empty interface for " + quoted(name);
      opts_.multicastInterface = value;
      return {};
    }
    if (name == "--count") {
      if (countGiven_) return "option " + quoted(name) + " given twice";
      countGiven_ = true;
      return parseCount(value, opts_.count);
    }
    // --timeout
    if (opts_.timeout) return "option " + quoted(name) + " given twice";
    return parseTimeout(value, opts_.timeout);
  }

  static bool takesValue(const std::string& name) {
    return name == "-l" || name == "--listen" || name == "-b" ||
           name == "--bind" || name == "-m" || name == "--message" ||
           name == "--count" || name == "--timeout" || name == "--join" ||
           name == "--source" || name == "--ttl" ||
           name == "--multicast-interface";
  }

  static std::string flag(const std::string& name,
                          const std::optional<std::string>& inlineValue,
                          bool& target) {
    if (inlineValue) return "option " + quoted(name) + " takes no value";
    target = true;
    return {};
  }

  // Checks that need every argument: the mode and its positionals.
  std::string finish() {
    if (ipv4_ && ipv6_) return "-4 cannot be combined with -6";
    if (ipv6_) opts_.type = dgram::Type::udp6;
    if (!opts_.source.empty() && opts_.joins.empty()) {
      return "--source needs --join GROUP";
    }
    for (auto& join : opts_.joins) {
      // "-6 --join ff02::1,eth0": a bare interface name is its zone.
      if (ipv6_ && !join.iface.empty() &&
          join.iface.find(':') == std::string::npos) {
        join.iface = (join.iface[0] == '%' ? "::" : "::%") + join.iface;
      }
    }

    if (listenGiven_) {
      opts_.mode = Mode::listen;
      if (!positionals_.empty()) {
        return "-l cannot be combined with HOST PORT (got " +
               quoted(positionals_[0]) + ")";
      }
      if (opts_.message) return "--message cannot be combined with -l";
      return {};
    }

    opts_.mode = Mode::send;
    if (opts_.echo) return "--echo needs -l PORT";
    if (positionals_.empty()) return "missing HOST PORT (or -l PORT)";
    if (positionals_.size() == 1) {
      return "missing PORT after HOST " + quoted(positionals_[0]);
    }
    if (positionals_.size() > 2) {
      return "unexpected argument " + quoted(positionals_[2]);
    }
    if (positionals_[0].empty()) return "empty HOST";
    opts_.host = positionals_[0];
    return parsePort(positionals_[1], 1, opts_.port);
  }

  ParseResult done(Action action) {
    opts_.action = action;
    return ParseResult{opts_, {}};
  }
  static ParseResult failure(std::string error) {
    return ParseResult{std::nullopt, std::move(error)};
  }

  const std::vector<std::string>& args_;
  std::size_t next_ = 0;
  Options opts_;
  std::vector<std::string> positionals_;
  bool ipv4_ = false;
  bool ipv6_ = false;
  bool listenGiven_ = false;
  bool bindGiven_ = false;
  bool countGiven_ = false;
};

}  // namespace

ParseResult parseOptions(const std::vector<std::string>& args) {
  return Parser(args).parse();
}

std::string versionText() {
  return "dgramcat " DGRAMCAT_VERSION;
}

std::string helpText() {
  return R"(Usage: dgramcat [options] HOST PORT    send stdin lines to HOST:PORT
       dgramcat [options] -l PORT      print what arrives on PORT

A netcat for UDP, built on the dgram library.

Modes:
  HOST PORT           Send each line of stdin as one datagram, without its
                      line ending (\n or \r\n); an empty line is an empty
                      datagram. Ends when stdin ends.
  -l, --listen PORT   Listen on PORT (0 = any free port) and print each
                      datagram on one line of stdout:
                        127.0.0.1:5000 (IPv4, 5 bytes): hello
                        [::1]:5000 (IPv6, 1 byte): x
                      Bytes other than printable ASCII are escaped as \n,
                      \r, \t, \\ or \xHH. Ends only by --count, --timeout
                      or a signal.

Options:
  -b, --bind ADDR     Local address to bind (default: all interfaces).
  -4, --ipv4          Use IPv4 (udp4). The default.
  -6, --ipv6          Use IPv6 (udp6).
  -m, --message TEXT  Send TEXT instead of reading stdin (with --count N,
                      N times).
      --join GROUP[,IFACE]
                      Join multicast GROUP (repeatable), on the interface
                      with address IFACE (IPv4) or named IFACE (IPv6:
                      eth0, %eth0 or ::%eth0); default: the system's
                      choice.
      --source ADDR   With --join: source-specific, only datagrams from
                      ADDR.
      --multicast-interface IFACE
                      Send multicast out of IFACE (IPv4 address, or
                      ::%eth0 for IPv6).
      --multicast-loopback[=on|off]
                      Whether this host also gets its own multicast
                      (the system's default is on).
      --ttl N         Hop limit 0-255 of multicast (0: this host only)
                      and, if at least 1, of unicast datagrams.
      --broadcast     Allow sending to broadcast addresses.
      --reuse-port    Share the port with other --reuse-port sockets
                      (SO_REUSEPORT: the system spreads datagrams).
      --reuse-addr    Share the port (SO_REUSEADDR), e.g. several
                      multicast listeners on one host.
      --echo          With -l: also send every datagram back to its sender.
      --count N       Stop after N datagrams received (-l) or sent.
      --timeout S     Stop after S seconds (decimals allowed, e.g. 0.5).
  -v, --verbose       Report the local address and the end on stderr.
  -h, --help          Print this help and exit.
      --version       Print the version and exit.

Long options also take their value as --name=VALUE; short ones as -lPORT.
"--" ends the options.

Exit status:
  0  done: --count reached, stdin ended and all of it sent, the message
     sent, or --timeout expired with nothing asked for left undone
  1  runtime error (such as EADDRINUSE or ENOTFOUND), or --timeout expired
     before --count was reached, before the message was sent, or while a
     line read from stdin was still being sent
  2  bad arguments
)";
}

}  // namespace dgramcat
