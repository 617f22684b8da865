// dgramcat's command-line parser (tools/dgramcat/options.hpp) and its
// byte escaping. The input is the argument vector, arguments separated by
// NUL bytes. Checked: a result is either options or a one-line error;
// accepted options are consistent (ports and TTL in range, a host to send
// to, no --message with -l, --source only with --join, ...) and parse back
// to the same options when written out in canonical form; escapeBytes
// keeps any bytes printable and reversible.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "dgramcat/address.hpp"
#include "dgramcat/format.hpp"
#include "dgramcat/options.hpp"
#include "fuzz_support.hpp"

namespace {

using dgramcat::Action;
using dgramcat::Mode;
using dgramcat::Options;

bool sameOptions(const Options& a, const Options& b) {
  return a.action == b.action && a.mode == b.mode && a.type == b.type &&
         a.port == b.port && a.host == b.host &&
         a.bindAddress == b.bindAddress && a.message == b.message &&
         a.echo == b.echo && a.count == b.count && a.timeout == b.timeout &&
         a.verbose == b.verbose && a.source == b.source &&
         a.broadcast == b.broadcast && a.ttl == b.ttl &&
         a.multicastLoopback == b.multicastLoopback &&
         a.multicastInterface == b.multicastInterface &&
         a.reusePort == b.reusePort && a.reuseAddr == b.reuseAddr &&
         a.dualStack == b.dualStack && a.sourcePort == b.sourcePort &&
         a.wait == b.wait && a.idleTimeout == b.idleTimeout &&
         a.output == b.output && a.timestamp == b.timestamp &&
         a.input == b.input && a.blockSize == b.blockSize &&
         a.sendInterval == b.sendInterval &&
         a.recvBufferSize == b.recvBufferSize &&
         a.sendBufferSize == b.sendBufferSize && a.exec == b.exec &&
         a.noStdin == b.noStdin && a.stats == b.stats && a.flood == b.flood &&
         a.floodSize == b.floodSize && a.duration == b.duration &&
         std::equal(a.joins.begin(), a.joins.end(), b.joins.begin(),
                    b.joins.end(), [](const auto& x, const auto& y) {
                      return x.group == y.group && x.iface == y.iface;
                    });
}

// Milliseconds as the seconds the parser reads ("2.500").
std::string seconds(std::chrono::milliseconds ms) {
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03lld",
                static_cast<long long>(ms.count() % 1000));
  return std::to_string(ms.count() / 1000) + fraction;
}

// Accepted options written back as arguments, long options with "=", the
// positionals after "--" so that a host starting with '-' survives.
std::vector<std::string> canonical(const Options& o) {
  std::vector<std::string> args;
  // A dual-stack listener is udp6 without -6; anything else names its
  // family (IPv4 inferred from a group or the default is the same -4).
  if (!o.dualStack) {
    args.push_back(o.type == dgram::Type::udp6 ? "--ipv6" : "--ipv4");
  }
  if (o.mode == Mode::send && o.sourcePort != 0)
    args.push_back("--source-port=" + std::to_string(o.sourcePort));
  if (o.wait) args.push_back("--wait=" + seconds(*o.wait));
  if (o.idleTimeout)
    args.push_back("--idle-timeout=" + seconds(*o.idleTimeout));
  static const char* const kOutputs[] = {"lines", "raw", "hex"};
  args.push_back(std::string("--output=") +
                 kOutputs[static_cast<int>(o.output)]);
  if (o.timestamp) args.push_back("--timestamp");
  if (o.input == dgramcat::Input::whole) args.push_back("--whole");
  if (o.input == dgramcat::Input::block)
    args.push_back("--block=" + std::to_string(o.blockSize));
  if (o.sendInterval.count() != 0) {
    const auto ns = o.sendInterval.count();
    if (ns % 1000000 == 0) {
      args.push_back("--interval=" +
                     seconds(std::chrono::milliseconds(ns / 1000000)));
    } else {
      args.push_back("--rate=" + std::to_string(1000000000 / ns));
    }
  }
  if (o.recvBufferSize)
    args.push_back("--rcvbuf=" + std::to_string(o.recvBufferSize));
  if (o.sendBufferSize)
    args.push_back("--sndbuf=" + std::to_string(o.sendBufferSize));
  if (!o.exec.empty()) args.push_back("--exec=" + o.exec);
  if (o.noStdin) args.push_back("--no-stdin");
  if (o.stats != dgramcat::Stats::off)
    args.push_back(o.stats == dgramcat::Stats::json ? "--stats=json"
                                                    : "--stats=text");
  if (o.flood) {
    args.push_back("--flood");
    args.push_back("--size=" + std::to_string(o.floodSize));
    if (o.duration) args.push_back("--duration=" + seconds(*o.duration));
  }
  if (o.mode == Mode::listen)
    args.push_back("--listen=" + std::to_string(o.port));
  if (!o.bindAddress.empty()) args.push_back("--bind=" + o.bindAddress);
  if (o.message) args.push_back("--message=" + *o.message);
  if (o.echo) args.push_back("--echo");
  if (o.count) args.push_back("--count=" + std::to_string(o.count));
  if (o.timeout) args.push_back("--timeout=" + seconds(*o.timeout));
  if (o.verbose) args.push_back("--verbose");
  for (const auto& join : o.joins)
    args.push_back("--join=" + join.group +
                   (join.iface.empty() ? "" : "," + join.iface));
  if (!o.source.empty()) args.push_back("--source=" + o.source);
  if (o.broadcast) args.push_back("--broadcast");
  if (o.ttl) args.push_back("--ttl=" + std::to_string(*o.ttl));
  if (o.multicastLoopback)
    args.push_back(std::string("--multicast-loopback=") +
                   (*o.multicastLoopback ? "on" : "off"));
  if (!o.multicastInterface.empty())
    args.push_back("--multicast-interface=" + o.multicastInterface);
  if (o.reusePort) args.push_back("--reuse-port");
  if (o.reuseAddr) args.push_back("--reuse-addr");
  if (o.mode == Mode::send) {
    args.push_back("--");
    args.push_back(o.host);
    args.push_back(std::to_string(o.port));
  }
  return args;
}

void checkOptions(const Options& o) {
  if (o.action != Action::run) return;
  if (o.mode == Mode::listen) {
    fuzz::check(o.port >= 0 && o.port <= 65535, "listen port out of range");
    fuzz::check(o.host.empty() && !o.message,
                "listen mode with a host/message");
  } else {
    fuzz::check(o.port >= 1 && o.port <= 65535,
                "destination port out of range");
    fuzz::check(!o.host.empty() && !o.echo,
                "send mode without a host, or --echo");
  }
  if (o.timeout)
    fuzz::check(o.timeout->count() >= 1 &&
                    o.timeout->count() <= dgramcat::kMaxTimeoutMs,
                "timeout out of range");
  if (o.ttl) fuzz::check(*o.ttl >= 0 && *o.ttl <= 255, "ttl out of range");
  for (const auto& join : o.joins)
    fuzz::check(!join.group.empty(), "--join with an empty group");
  fuzz::check(o.source.empty() || !o.joins.empty(), "--source without --join");
  for (const auto& join : o.joins)
    fuzz::check(dgramcat::isMulticastLiteral(join.group),
                "--join accepted a group that is not multicast");
  fuzz::check(
      !o.dualStack || (o.mode == Mode::listen && o.bindAddress.empty() &&
                       o.type == dgram::Type::udp6),
      "dual stack outside a listener on all interfaces");
  fuzz::check(o.sourcePort >= 0 && o.sourcePort <= 65535,
              "source port out of range");
  fuzz::check(o.mode == Mode::send || o.sourcePort == 0, "-p with -l");
  fuzz::check(o.exec.empty() || (o.mode == Mode::listen && !o.echo),
              "--exec outside -l, or with --echo");
  fuzz::check(!o.timestamp || o.output != dgramcat::Output::raw,
              "-t with raw output");
  fuzz::check(o.input != dgramcat::Input::block ||
                  (o.blockSize >= 1 && o.blockSize <= dgramcat::kMaxDatagram),
              "--block size out of range");
  fuzz::check(o.floodSize >= dgramcat::kFloodHeader &&
                  o.floodSize <= dgramcat::kMaxDatagram,
              "--size out of range");
  fuzz::check(!o.flood || o.mode == Mode::send, "--flood with -l");
  fuzz::check(!o.flood || o.count != 0 || o.duration, "--flood without an end");
  fuzz::check(o.recvBufferSize >= 0 && o.sendBufferSize >= 0,
              "negative buffer size");
  // A host that is an IPv4 short form was expanded; an IPv6 one made the
  // socket udp6.
  if (o.mode == Mode::send) {
    fuzz::check(!dgramcat::expandIPv4(o.host) || dgramcat::isDottedQuad(o.host),
                "short IPv4 host not expanded");
    fuzz::check(!dgramcat::looksIPv6(o.host) || o.type == dgram::Type::udp6,
                "IPv6 host on a udp4 socket");
  }
  auto again = dgramcat::parseOptions(canonical(o));
  fuzz::check(again.ok() && sameOptions(*again.options, o),
              "canonical arguments parse differently: " + again.error);
}

// escapeBytes: printable ASCII only, and undoing the escapes gives the input.
void checkEscape(std::string_view bytes) {
  std::string escaped = dgramcat::escapeBytes(bytes);
  std::string back;
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    char c = escaped[i];
    fuzz::check(c >= 0x20 && c < 0x7f, "escapeBytes left a control byte");
    if (c != '\\') {
      back += c;
      continue;
    }
    fuzz::check(i + 1 < escaped.size(), "dangling backslash");
    char e = escaped[++i];
    if (e == 'n')
      back += '\n';
    else if (e == 'r')
      back += '\r';
    else if (e == 't')
      back += '\t';
    else if (e == '\\')
      back += '\\';
    else {
      fuzz::check(e == 'x' && i + 2 < escaped.size(), "bad escape");
      back +=
          static_cast<char>(std::stoi(escaped.substr(i + 1, 2), nullptr, 16));
      i += 2;
    }
  }
  fuzz::check(back == bytes, "escapeBytes is not reversible");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  if (!text.empty()) {
    std::size_t start = 0;
    for (;;) {
      std::size_t end = text.find('\0', start);
      args.emplace_back(text.substr(start, end - start));
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  }
  auto result = dgramcat::parseOptions(args);
  fuzz::check(result.ok() == result.error.empty(),
              "both or neither of options/error");
  if (result.ok()) {
    checkOptions(*result.options);
  } else {
    for (char c : result.error)
      fuzz::check(c >= 0x20 && c < 0x7f,
                  "error message not one printable line");
  }
  checkEscape(text);
  return 0;
}
