#include "dgramcat/options.hpp"

#include <cstddef>
#include <limits>
#include <string_view>

#include "dgramcat/address.hpp"
#include "dgramcat/format.hpp"

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

// Seconds like --timeout, for -q, -w, -i and --duration.
std::string parseSeconds(std::string_view name, std::string_view text,
                         std::optional<std::chrono::milliseconds>& out) {
  if (out) return "option " + quoted(name) + " given twice";
  return parseTimeout(text, out);
}

// A size in bytes: digits with an optional k or m suffix (x1024).
std::string parseSize(std::string_view name, std::string_view text,
                      std::uint64_t lowest, std::uint64_t highest,
                      std::uint64_t& out) {
  std::string_view digits = text;
  std::uint64_t scale = 1;
  if (!digits.empty() && (digits.back() == 'k' || digits.back() == 'K')) {
    scale = 1024;
    digits.remove_suffix(1);
  } else if (!digits.empty() &&
             (digits.back() == 'm' || digits.back() == 'M')) {
    scale = 1024 * 1024;
    digits.remove_suffix(1);
  }
  std::uint64_t value = 0;
  if (!allDigits(digits)) {
    return "invalid size " + quoted(text) + " for " + quoted(name) +
           " (bytes, e.g. 1400 or 4k)";
  }
  if (!toUnsigned(digits, value) || value > highest / scale ||
      value * scale < lowest || value * scale > highest) {
    return "size " + quoted(text) + " for " + quoted(name) + " out of range (" +
           std::to_string(lowest) + "-" + std::to_string(highest) + ")";
  }
  out = value * scale;
  return {};
}

// Short options that are flags (no value), for bundles such as -lvu.
bool isShortFlag(char c) {
  return c == '4' || c == '6' || c == 'v' || c == 'u' || c == 'x' || c == 't' ||
         c == 'h' || c == 'd';
}

// Short options with a value.
bool isShortValued(char c) {
  return c == 'l' || c == 'b' || c == 'm' || c == 'p' || c == 'q' || c == 'w' ||
         c == 'i' || c == 'e';
}

// Those whose value is a number: in a bundle they take the rest only if
// it starts like a number ("-l9000"), else the next argument ("-lv 9000").
bool isShortNumeric(char c) {
  return c == 'l' || c == 'p' || c == 'q' || c == 'w' || c == 'i';
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
        positionalAfter_.push_back(next_ >= 2 ? args_[next_ - 2] : "");
        continue;
      }
      if (arg == "--") {
        optionsEnded = true;
        continue;
      }
      if (arg == "-h" || arg == "--help") return done(Action::help);
      if (arg == "--version") return done(Action::version);
      if (arg[1] != '-') {
        error = bundle(arg);
        if (error == "help") return done(Action::help);
      } else {
        error = option(arg, std::nullopt);
      }
      if (!error.empty()) return failure(error);
    }
    const std::string error = finish();
    if (!error.empty()) return failure(error);
    return done(Action::run);
  }

 private:
  // "-lv", "-ulv 9000", "-l9000", "-mtext": short options one by one.
  std::string bundle(const std::string& arg) {
    for (std::size_t i = 1; i < arg.size(); ++i) {
      const char c = arg[i];
      const std::string name{'-', c};
      if (isShortFlag(c)) {
        if (c == 'h') return "help";
        const std::string error = option(name, std::nullopt);
        if (!error.empty()) return error;
        continue;
      }
      if (!isShortValued(c)) {
        return "unknown option " + quoted(arg.size() == 2 ? arg : name) +
               (arg.size() == 2 ? "" : " in " + quoted(arg));
      }
      const std::string rest = arg.substr(i + 1);
      const bool numeric =
          !rest.empty() &&
          ((rest[0] >= '0' && rest[0] <= '9') || rest[0] == '.');
      if (!rest.empty() && (!isShortNumeric(c) || numeric)) {
        return option(name, rest);
      }
      if (rest.empty()) return option(name, std::nullopt);
      // "-lv 9000": -l takes the next argument, the bundle goes on.
      if (next_ >= args_.size()) {
        return "option " + quoted(name) + " needs a value";
      }
      const std::string error = option(name, args_[next_++]);
      if (!error.empty()) return error;
    }
    return {};
  }

  // One option (and its value, if it takes one). `given` is a value
  // already split off ("-l9000"); a long option may carry "=VALUE".
  std::string option(const std::string& arg,
                     std::optional<std::string> inlineValue) {
    std::string name = arg;
    const bool given = inlineValue.has_value();
    if (arg.compare(0, 2, "--") == 0) {
      const auto eq = arg.find('=');
      if (eq != std::string::npos) {
        name = arg.substr(0, eq);
        inlineValue = arg.substr(eq + 1);
      }
    }
    if (!given && !takesValue(name)) return flagOption(name, inlineValue, arg);

    if (!takesValue(name)) return "unknown option " + quoted(arg);
    std::string value;
    if (inlineValue) {
      value = *inlineValue;
    } else if (next_ < args_.size()) {
      value = args_[next_++];
    } else {
      return "option " + quoted(name) + " needs a value";
    }
    return valueOption(name, value);
  }

  std::string flagOption(const std::string& name,
                         const std::optional<std::string>& inlineValue,
                         const std::string& arg) {
    if (name == "-4" || name == "--ipv4") return flag(name, inlineValue, ipv4_);
    if (name == "-6" || name == "--ipv6") return flag(name, inlineValue, ipv6_);
    if (name == "-u" || name == "--udp") return flag(name, inlineValue, udp_);
    if (name == "--echo") return flag(name, inlineValue, opts_.echo);
    if (name == "--broadcast") return flag(name, inlineValue, opts_.broadcast);
    if (name == "--reuse-port") return flag(name, inlineValue, opts_.reusePort);
    if (name == "--reuse-addr") return flag(name, inlineValue, opts_.reuseAddr);
    if (name == "-t" || name == "--timestamp") {
      return flag(name, inlineValue, opts_.timestamp);
    }
    if (name == "-d" || name == "--no-stdin") {
      return flag(name, inlineValue, opts_.noStdin);
    }
    if (name == "--whole") return setInput(name, inlineValue, Input::whole);
    if (name == "--flood") return flag(name, inlineValue, opts_.flood);
    if (name == "--raw") return setOutput(name, inlineValue, "raw");
    if (name == "-x" || name == "--hex") {
      return setOutput(name, inlineValue, "hex");
    }
    if (name == "--stats") {
      if (opts_.stats != Stats::off) {
        return "option " + quoted(name) + " given twice";
      }
      if (!inlineValue || *inlineValue == "text") {
        opts_.stats = Stats::text;
      } else if (*inlineValue == "json") {
        opts_.stats = Stats::json;
      } else {
        return "invalid value " + quoted(*inlineValue) + " for " +
               quoted(name) + " (text or json)";
      }
      return {};
    }
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
    return "unknown option " + quoted(arg);
  }

  std::string setOutput(const std::string& name,
                        const std::optional<std::string>& inlineValue,
                        const std::string& format) {
    if (inlineValue) return "option " + quoted(name) + " takes no value";
    if (outputGiven_) return "only one of --output, --raw and --hex";
    outputGiven_ = true;
    if (format == "lines") {
      opts_.output = Output::lines;
    } else if (format == "raw") {
      opts_.output = Output::raw;
    } else if (format == "hex") {
      opts_.output = Output::hex;
    } else {
      return "invalid value " + quoted(format) + " for " + quoted(name) +
             " (lines, raw or hex)";
    }
    return {};
  }

  std::string setInput(const std::string& name,
                       const std::optional<std::string>& inlineValue,
                       Input input) {
    if (inlineValue) return "option " + quoted(name) + " takes no value";
    if (opts_.input != Input::lines) return "only one of --whole and --block";
    opts_.input = input;
    return {};
  }

  std::string valueOption(const std::string& name, const std::string& value) {
    if (name == "-l" || name == "--listen") {
      if (listenGiven_) return "option " + quoted(name) + " given twice";
      listenGiven_ = true;
      return parsePort(value, 0, opts_.port);
    }
    if (name == "-p" || name == "--source-port") {
      if (sourcePortGiven_) return "option " + quoted(name) + " given twice";
      sourcePortGiven_ = true;
      return parsePort(value, 0, opts_.sourcePort);
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
    if (name == "--output") return setOutput(name, std::nullopt, value);
    if (name == "-e" || name == "--exec") {
      if (!opts_.exec.empty()) return "option " + quoted(name) + " given twice";
      if (value.empty()) return "empty command for " + quoted(name);
      opts_.exec = value;
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
    if (name == "-q" || name == "--wait") {
      return parseSeconds(name, value, opts_.wait);
    }
    if (name == "-w" || name == "--idle-timeout") {
      return parseSeconds(name, value, opts_.idleTimeout);
    }
    if (name == "--duration") return parseSeconds(name, value, opts_.duration);
    if (name == "-i" || name == "--interval") {
      if (paceGiven_) return "only one of --rate and --interval";
      paceGiven_ = true;
      std::optional<std::chrono::milliseconds> interval;
      const std::string error = parseTimeout(value, interval);
      if (!error.empty()) return error;
      opts_.sendInterval = *interval;
      return {};
    }
    if (name == "--rate") {
      if (paceGiven_) return "only one of --rate and --interval";
      paceGiven_ = true;
      std::uint64_t rate = 0;
      if (!allDigits(value) || !toUnsigned(value, rate) || rate == 0 ||
          rate > 1000000000) {
        return "invalid rate " + quoted(value) +
               " (datagrams per second, 1-1000000000)";
      }
      opts_.sendInterval = std::chrono::nanoseconds(1000000000 / rate);
      return {};
    }
    if (name == "--block") {
      if (opts_.input != Input::lines) return "only one of --whole and --block";
      std::uint64_t size = 0;
      const std::string error = parseSize(name, value, 1, kMaxDatagram, size);
      if (!error.empty()) return error;
      opts_.input = Input::block;
      opts_.blockSize = static_cast<std::size_t>(size);
      return {};
    }
    if (name == "--size") {
      if (sizeGiven_) return "option " + quoted(name) + " given twice";
      sizeGiven_ = true;
      std::uint64_t size = 0;
      const std::string error =
          parseSize(name, value, kFloodHeader, kMaxDatagram, size);
      if (!error.empty()) return error;
      opts_.floodSize = static_cast<std::size_t>(size);
      return {};
    }
    if (name == "--rcvbuf" || name == "--sndbuf") {
      int& target =
          name == "--rcvbuf" ? opts_.recvBufferSize : opts_.sendBufferSize;
      if (target != 0) return "option " + quoted(name) + " given twice";
      std::uint64_t size = 0;
      const std::string error =
          parseSize(name, value, 1, 1024 * 1024 * 1024, size);
      if (!error.empty()) return error;
      target = static_cast<int>(size);
      return {};
    }
    // --timeout
    if (opts_.timeout) return "option " + quoted(name) + " given twice";
    return parseTimeout(value, opts_.timeout);
  }

  static bool takesValue(const std::string& name) {
    for (const char* valued :
         {"-l",       "--listen",       "-b",      "--bind",
          "-m",       "--message",      "--count", "--timeout",
          "--join",   "--source",       "--ttl",   "--multicast-interface",
          "-p",       "--source-port",  "-q",      "--wait",
          "-w",       "--idle-timeout", "-i",      "--interval",
          "--rate",   "--block",        "--size",  "--duration",
          "--rcvbuf", "--sndbuf",       "-e",      "--exec",
          "--output"}) {
      if (name == valued) return true;
    }
    return false;
  }

  static std::string flag(const std::string& name,
                          const std::optional<std::string>& inlineValue,
                          bool& target) {
    if (inlineValue) return "option " + quoted(name) + " takes no value";
    target = true;
    return {};
  }

  // An address given to -b or as HOST: the short IPv4 forms expanded, and
  // its family checked against -4/-6. Sets `v6` when it is IPv6.
  std::string checkAddress(std::string& address, const char* what, bool& v6) {
    v6 = false;
    if (looksIPv6(address)) {
      v6 = true;
      if (ipv4_) {
        return what + std::string(" ") + quoted(address) +
               " is IPv6: use -6 (or leave out -4)";
      }
      return {};
    }
    if (!isDottedQuad(address)) {
      if (const auto expanded = expandIPv4(address)) address = *expanded;
    }
    if (ipv6_ && isDottedQuad(address)) {
      return what + std::string(" ") + quoted(address) +
             " is IPv4: use -4 (or leave out -6)";
    }
    return {};
  }

  // Checks that need every argument: the mode and its positionals.
  std::string finish() {
    if (ipv4_ && ipv6_) return "-4 cannot be combined with -6";
    const bool v4Given = ipv4_;
    const bool v6Given = ipv6_;
    if (ipv6_) opts_.type = dgram::Type::udp6;
    if (!opts_.source.empty() && opts_.joins.empty()) {
      return "--source needs --join GROUP";
    }
    for (auto& join : opts_.joins) {
      if (!isMulticastLiteral(join.group)) {
        return "--join " + quoted(join.group) +
               " is not a multicast address (224.0.0.0/4 or ff00::/8)";
      }
      if (looksIPv6(join.group) ? v4Given : v6Given) {
        return "--join " + quoted(join.group) +
               (v4Given ? " is IPv6: use -6 (or leave out -4)"
                        : " is IPv4: use -4 (or leave out -6)");
      }
      // The group's family is the socket's (an IPv4 group on a dual-stack
      // socket could not be joined source-specifically).
      (looksIPv6(join.group) ? ipv6_ : ipv4_) = true;
    }
    if (ipv4_ && ipv6_) {
      return "--join groups of both families: IPv4 and IPv6 need one "
             "dgramcat each";
    }
    if (ipv6_) opts_.type = dgram::Type::udp6;
    for (auto& join : opts_.joins) {
      // "-6 --join ff02::1,eth0": a bare interface name is its zone.
      if (ipv6_ && !join.iface.empty() &&
          join.iface.find(':') == std::string::npos) {
        join.iface = (join.iface[0] == '%' ? "::" : "::%") + join.iface;
      }
    }
    bool bindV6 = false;
    if (!opts_.bindAddress.empty()) {
      const std::string error = checkAddress(opts_.bindAddress, "-b", bindV6);
      if (!error.empty()) return error;
      if (bindV6) opts_.type = dgram::Type::udp6;
    }

    std::string error = checkModes();
    if (!error.empty()) return error;
    if (listenGiven_) {
      opts_.mode = Mode::listen;
      if (!positionals_.empty()) {
        const std::string& after = positionalAfter_[0];
        if (after == "--multicast-loopback" || after == "--stats") {
          return "unexpected argument " + quoted(positionals_[0]) +
                 ": give the value of " + after + " as " + after + "=" +
                 escapeBytes(positionals_[0]);
        }
        return "-l cannot be combined with HOST PORT (got " +
               quoted(positionals_[0]) + ")";
      }
      if (opts_.message) return "--message cannot be combined with -l";
      // All interfaces, no family asked for: IPv4 and IPv6 both.
      if (opts_.bindAddress.empty() && !ipv4_ && !ipv6_) {
        opts_.dualStack = true;
        opts_.type = dgram::Type::udp6;
      }
      return {};
    }

    opts_.mode = Mode::send;
    // Replies are raw by default; -t asks for header lines to stamp.
    if (!outputGiven_) {
      opts_.output = opts_.timestamp ? Output::lines : Output::raw;
    }
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
    bool hostV6 = false;
    error = checkAddress(opts_.host, "address", hostV6);
    if (!error.empty()) return error;
    if (!opts_.bindAddress.empty() && hostV6 != bindV6 &&
        (hostV6 || isDottedQuad(opts_.host))) {
      return "address " + quoted(opts_.host) + " and -b " +
             quoted(opts_.bindAddress) + " are of different families";
    }
    if (hostV6) opts_.type = dgram::Type::udp6;
    return parsePort(positionals_[1], 1, opts_.port);
  }

  // The options that belong to one mode, or exclude each other.
  std::string checkModes() {
    if (opts_.timestamp && opts_.output == Output::raw) {
      return "-t cannot be combined with raw output (--raw)";
    }
    if (listenGiven_) {
      if (sourcePortGiven_) {
        return "-p sets the source port when sending; to listen on a port, "
               "use -l PORT";
      }
      if (opts_.wait) return "-q applies to sending (HOST PORT), not to -l";
      if (opts_.flood) return "--flood sends: use HOST PORT, not -l";
      if (!opts_.exec.empty() && opts_.echo) {
        return "--exec cannot be combined with --echo";
      }
    } else if (!opts_.exec.empty()) {
      return "--exec needs -l PORT";
    }
    if (opts_.flood) {
      if (opts_.message) return "--flood cannot be combined with --message";
      if (opts_.input != Input::lines) {
        return "--flood cannot be combined with --whole or --block";
      }
      if (!opts_.duration && !countGiven_) {
        opts_.duration = std::chrono::milliseconds(1000);
      }
    } else {
      if (sizeGiven_) return "--size needs --flood";
      if (opts_.duration) return "--duration needs --flood";
    }
    if (opts_.message && opts_.input != Input::lines) {
      return "--message cannot be combined with --whole or --block";
    }
    return {};
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
  std::vector<std::string> positionalAfter_;  // the argument before each
  bool ipv4_ = false;
  bool ipv6_ = false;
  bool udp_ = false;  // -u: accepted for nc habits; UDP is all there is
  bool listenGiven_ = false;
  bool bindGiven_ = false;
  bool countGiven_ = false;
  bool sourcePortGiven_ = false;
  bool outputGiven_ = false;
  bool paceGiven_ = false;
  bool sizeGiven_ = false;
};

}  // namespace

ParseResult parseOptions(const std::vector<std::string>& args) {
  return Parser(args).parse();
}

}  // namespace dgramcat
