// dgramcat's argument parser and output format (tools/dgramcat): every
// option, every error, and the one-line guarantee for error messages.
#include "support/catch.hpp"

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "dgramcat/address.hpp"
#include "dgramcat/flood.hpp"
#include "dgramcat/format.hpp"
#include "dgramcat/framing.hpp"
#include "dgramcat/options.hpp"
#include "dgramcat/stats.hpp"

using dgramcat::Action;
using dgramcat::Mode;
using dgramcat::parseOptions;
using Args = std::vector<std::string>;
using std::chrono::milliseconds;

namespace {

dgramcat::Options parsed(const Args& args) {
  const auto result = parseOptions(args);
  INFO("error: " << result.error);
  REQUIRE(result.ok());
  CHECK(result.error.empty());
  return *result.options;
}

// The error for `args`, which must be a single non-empty line.
std::string failure(const Args& args) {
  const auto result = parseOptions(args);
  REQUIRE_FALSE(result.ok());
  REQUIRE_FALSE(result.error.empty());
  CHECK(result.error.find('\n') == std::string::npos);
  return result.error;
}

}  // namespace

TEST_CASE("dgramcat: help and version", "[dgramcat]") {
  CHECK(parsed({"-h"}).action == Action::help);
  CHECK(parsed({"--help"}).action == Action::help);
  CHECK(parsed({"--version"}).action == Action::version);
  // Left to right: --help ends parsing, an earlier error wins over it.
  CHECK(parsed({"--help", "--bogus"}).action == Action::help);
  CHECK(parsed({"-l", "1", "--version", "x", "y"}).action == Action::version);
  CHECK(failure({"--bogus", "--help"}) == "unknown option '--bogus'");

  const auto help = dgramcat::helpText();
  CHECK(help.rfind("Usage: dgramcat", 0) == 0);
  CHECK(help.back() == '\n');
  CHECK(help.find("127.0.0.1:5000 (IPv4, 5 bytes): hello") !=
        std::string::npos);
  for (const char* option :
       {"--listen", "--bind", "--ipv4", "--ipv6", "--message", "--echo",
        "--count", "--timeout", "--verbose", "--help", "--version",
        "Exit status"}) {
    INFO(option);
    CHECK(help.find(option) != std::string::npos);
  }
  CHECK(dgramcat::versionText().rfind("dgramcat ", 0) == 0);
}

TEST_CASE("dgramcat: send mode defaults", "[dgramcat]") {
  const auto options = parsed({"example.org", "5000"});
  CHECK(options.action == Action::run);
  CHECK(options.mode == Mode::send);
  CHECK(options.host == "example.org");
  CHECK(options.port == 5000);
  CHECK(options.type == dgram::Type::udp4);
  CHECK(options.bindAddress.empty());
  CHECK_FALSE(options.message);
  CHECK_FALSE(options.echo);
  CHECK(options.count == 0);
  CHECK_FALSE(options.timeout);
  CHECK_FALSE(options.verbose);

  CHECK(parsed({"::1", "1"}).port == 1);
  CHECK(parsed({"h", "65535"}).port == 65535);
  // Options and positionals mix in any order.
  CHECK(parsed({"-6", "::1", "-v", "7"}).verbose);
}

TEST_CASE("dgramcat: listen mode", "[dgramcat]") {
  for (const Args& args : {Args{"-l", "9000"}, Args{"--listen", "9000"},
                           Args{"--listen=9000"}, Args{"-l9000"}}) {
    const auto options = parsed(args);
    CHECK(options.mode == Mode::listen);
    CHECK(options.port == 9000);
    CHECK(options.host.empty());
  }
  CHECK(parsed({"-l", "0"}).port == 0);  // any free port
  CHECK(parsed({"-l", "65535"}).port == 65535);
  CHECK(parsed({"-l", "00080"}).port == 80);
}

TEST_CASE("dgramcat: -b/--bind", "[dgramcat]") {
  CHECK(parsed({"-l", "1", "-b", "127.0.0.1"}).bindAddress == "127.0.0.1");
  CHECK(parsed({"-l", "1", "--bind", "::1"}).bindAddress == "::1");
  CHECK(parsed({"-l", "1", "--bind=localhost"}).bindAddress == "localhost");
  CHECK(parsed({"-l", "1", "-b0.0.0.0"}).bindAddress == "0.0.0.0");
  // In send mode it picks the source address.
  CHECK(parsed({"-b", "127.0.0.1", "h", "9"}).bindAddress == "127.0.0.1");
  CHECK(failure({"-l", "1", "-b", ""}) == "empty address for '-b'");
  CHECK(failure({"-l", "1", "--bind="}) == "empty address for '--bind'");
}

TEST_CASE("dgramcat: -4 and -6", "[dgramcat]") {
  CHECK(parsed({"-4", "h", "1"}).type == dgram::Type::udp4);
  CHECK(parsed({"--ipv4", "h", "1"}).type == dgram::Type::udp4);
  CHECK(parsed({"-6", "h", "1"}).type == dgram::Type::udp6);
  CHECK(parsed({"--ipv6", "-l", "1"}).type == dgram::Type::udp6);
  CHECK(parsed({"-6", "-6", "h", "1"}).type == dgram::Type::udp6);
  CHECK(failure({"-4", "-6", "h", "1"}) == "-4 cannot be combined with -6");
  CHECK(failure({"--ipv6=yes", "h", "1"}) == "option '--ipv6' takes no value");
}

TEST_CASE("dgramcat: --message", "[dgramcat]") {
  CHECK(parsed({"h", "1", "--message", "hello"}).message == "hello");
  CHECK(parsed({"h", "1", "-m", "hi there"}).message == "hi there");
  CHECK(parsed({"h", "1", "-mhello"}).message == "hello");
  CHECK(parsed({"h", "1", "--message=a=b"}).message == "a=b");
  CHECK(parsed({"h", "1", "--message", "--count"}).message == "--count");
  CHECK(parsed({"h", "1", "--message="}).message == "");  // empty datagram
  CHECK(failure({"-l", "1", "--message", "x"}) ==
        "--message cannot be combined with -l");
  CHECK(failure({"h", "1", "-m", "a", "-m", "b"}) == "option '-m' given twice");
}

TEST_CASE("dgramcat: --echo", "[dgramcat]") {
  CHECK(parsed({"-l", "7", "--echo"}).echo);
  CHECK(failure({"h", "1", "--echo"}) == "--echo needs -l PORT");
  CHECK(failure({"--echo"}) == "--echo needs -l PORT");
  CHECK(failure({"-l", "7", "--echo=1"}) == "option '--echo' takes no value");
}

TEST_CASE("dgramcat: --count", "[dgramcat]") {
  CHECK(parsed({"-l", "1", "--count", "1"}).count == 1);
  CHECK(parsed({"h", "1", "--count=250"}).count == 250);
  CHECK(parsed({"h", "1", "--count", "18446744073709551615"}).count ==
        18446744073709551615u);
  CHECK(failure({"h", "1", "--count", "18446744073709551616"}) ==
        "count '18446744073709551616' too large");
  CHECK(failure({"h", "1", "--count", "0"}) == "count must be at least 1");
  for (const char* bad : {"", "abc", "-1", "+1", "1.5", " 1", "1 ", "0x10"}) {
    INFO(bad);
    CHECK(failure({"h", "1", "--count", bad}) ==
          std::string("invalid count '") + bad + "'");
  }
  CHECK(failure({"h", "1", "--count", "1", "--count", "2"}) ==
        "option '--count' given twice");
}

TEST_CASE("dgramcat: --timeout", "[dgramcat]") {
  const auto timeout = [](const char* text) {
    return parsed({"-l", "1", "--timeout", text}).timeout;
  };
  CHECK(timeout("2") == milliseconds(2000));
  CHECK(timeout("0.5") == milliseconds(500));
  CHECK(timeout(".25") == milliseconds(250));
  CHECK(timeout("0.001") == milliseconds(1));
  CHECK(timeout("1.2349") == milliseconds(1234));  // cut to milliseconds
  CHECK(timeout("007") == milliseconds(7000));
  CHECK(timeout("2147483.647") == milliseconds(dgramcat::kMaxTimeoutMs));
  CHECK(parsed({"--timeout=3", "h", "1"}).timeout == milliseconds(3000));

  CHECK(failure({"-l", "1", "--timeout", "0"}) ==
        "timeout must be at least 0.001 seconds");
  CHECK(failure({"-l", "1", "--timeout", "0.0009"}) ==
        "timeout must be at least 0.001 seconds");
  CHECK(failure({"-l", "1", "--timeout", "2147483.648"}) ==
        "timeout '2147483.648' out of range (at most 2147483.647)");
  CHECK(failure({"-l", "1", "--timeout", "2147484"}) ==
        "timeout '2147484' out of range (at most 2147483.647)");
  CHECK(failure({"-l", "1", "--timeout", "99999999999999999999999"}) ==
        "timeout '99999999999999999999999' out of range (at most "
        "2147483.647)");
  for (const char* bad :
       {"", ".", "1.", "-1", "+1", "1e3", "1,5", "abc", "1.2.3", " 1", "inf"}) {
    INFO(bad);
    CHECK(failure({"-l", "1", "--timeout", bad}) ==
          std::string("invalid timeout '") + bad + "' (seconds, e.g. 2.5)");
  }
  CHECK(failure({"-l", "1", "--timeout", "1", "--timeout", "2"}) ==
        "option '--timeout' given twice");
}

TEST_CASE("dgramcat: -v/--verbose", "[dgramcat]") {
  CHECK(parsed({"-v", "-l", "1"}).verbose);
  CHECK(parsed({"--verbose", "h", "1"}).verbose);
  CHECK(failure({"--verbose=2", "h", "1"}) ==
        "option '--verbose' takes no value");
}

TEST_CASE("dgramcat: bad ports", "[dgramcat]") {
  for (const char* bad : {"", "abc", "80a", "0x10", " 80", "+80", "8.0"}) {
    INFO(bad);
    CHECK(failure({"-l", bad}) == std::string("invalid port '") + bad + "'");
    CHECK(failure({"h", bad}) == std::string("invalid port '") + bad + "'");
  }
  CHECK(failure({"-l", "65536"}) == "port '65536' out of range (0-65535)");
  CHECK(failure({"-l", "99999999999999999999999"}) ==
        "port '99999999999999999999999' out of range (0-65535)");
  CHECK(failure({"h", "65536"}) == "port '65536' out of range (1-65535)");
  CHECK(failure({"h", "0"}) == "port '0' out of range (1-65535)");
  CHECK(failure({"h", "-1"}) == "unknown option '-1'");
  CHECK(failure({"-l", "1", "-l", "2"}) == "option '-l' given twice");
  CHECK(failure({"-l", "1", "--listen=2"}) == "option '--listen' given twice");
}

TEST_CASE("dgramcat: unknown options and missing values", "[dgramcat]") {
  CHECK(failure({"--foo"}) == "unknown option '--foo'");
  CHECK(failure({"-z", "h", "1"}) == "unknown option '-z'");
  CHECK(failure({"-vz", "h", "1"}) == "unknown option '-z' in '-vz'");
  CHECK(failure({"--=1"}) == "unknown option '--=1'");
  CHECK(failure({"---l", "1"}) == "unknown option '---l'");
  for (const char* option : {"-l", "--listen", "-b", "--bind", "-m",
                             "--message", "--count", "--timeout"}) {
    INFO(option);
    CHECK(failure({"h", "1", option}) ==
          std::string("option '") + option + "' needs a value");
  }
}

TEST_CASE("dgramcat: HOST PORT positionals", "[dgramcat]") {
  CHECK(failure({}) == "missing HOST PORT (or -l PORT)");
  CHECK(failure({"-v"}) == "missing HOST PORT (or -l PORT)");
  CHECK(failure({"example.org"}) == "missing PORT after HOST 'example.org'");
  CHECK(failure({"h", "1", "2"}) == "unexpected argument '2'");
  CHECK(failure({"", "1"}) == "empty HOST");
  CHECK(failure({"-l", "1", "h", "2"}) ==
        "-l cannot be combined with HOST PORT (got 'h')");
  CHECK(failure({"h", "-l", "1"}) ==
        "-l cannot be combined with HOST PORT (got 'h')");
  // "--" ends the options; "-" alone is an argument.
  CHECK(parsed({"--", "-odd-host", "53"}).host == "-odd-host");
  CHECK(parsed({"-", "53"}).host == "-");
  // Here "-l" is the host and "1" the port.
  CHECK(parsed({"--", "-l", "1"}).host == "-l");
}

TEST_CASE("dgramcat: errors stay on one line", "[dgramcat]") {
  CHECK(failure({"--fo\no"}) == "unknown option '--fo\\no'");
  CHECK(failure({"h", "1\r\n"}) == "invalid port '1\\r\\n'");
  CHECK(failure({"-l", "1", "x\x1b[2J"}) ==
        "-l cannot be combined with HOST PORT (got 'x\\x1b[2J')");
}

// A small in-process fuzz: random argument lists made of options, values
// and junk never throw, and always give options or a one-line error.
TEST_CASE("dgramcat: random arguments", "[dgramcat]") {
  const std::vector<std::string> pool = {
      "-l",        "--listen",  "-b",     "--bind",    "-4",           "-6",
      "-m",        "--message", "--echo", "--count",   "--timeout",    "-v",
      "--",        "-",         "0",      "1",         "65535",        "65536",
      "0.5",       "x",         "",       "--count=2", "--timeout=.1", "-l80",
      "127.0.0.1", "::1",       "\n",     "-h"};
  std::mt19937 random(12345);
  for (int round = 0; round < 5000; ++round) {
    Args args(random() % 7);
    for (auto& arg : args)
      arg = pool[random() % pool.size()];
    const auto result = parseOptions(args);
    if (result.ok()) {
      CHECK(result.error.empty());
    } else {
      CHECK_FALSE(result.error.empty());
      CHECK(result.error.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("dgramcat: datagram lines", "[dgramcat]") {
  dgram::RemoteInfo v4;
  v4.address = "127.0.0.1";
  v4.family = dgram::Family::IPv4;
  v4.port = 5000;
  v4.size = 5;
  CHECK(dgramcat::formatDatagram("hello", v4) ==
        "127.0.0.1:5000 (IPv4, 5 bytes): hello");

  dgram::RemoteInfo v6;
  v6.address = "fe80::1%eth0";
  v6.family = dgram::Family::IPv6;
  v6.port = 53;
  v6.size = 1;
  CHECK(dgramcat::formatDatagram("x", v6) ==
        "[fe80::1%eth0]:53 (IPv6, 1 byte): x");

  v4.size = 0;
  CHECK(dgramcat::formatDatagram("", v4) == "127.0.0.1:5000 (IPv4, 0 bytes): ");
}

TEST_CASE("dgramcat: payload escaping", "[dgramcat]") {
  using dgramcat::escapeBytes;
  CHECK(escapeBytes("plain text ~!") == "plain text ~!");
  CHECK(escapeBytes("a\nb\r\tc\\") == "a\\nb\\r\\tc\\\\");
  CHECK(escapeBytes(std::string("\0\x01\x7f\xff", 4)) ==
        "\\x00\\x01\\x7f\\xff");
  CHECK(escapeBytes("h\xc3\xa9") == "h\\xc3\\xa9");  // UTF-8 is escaped too
  CHECK(escapeBytes("") == "");
}

TEST_CASE("dgramcat: --join and --source", "[dgramcat][multicast]") {
  auto opts = parsed({"-l", "5000", "--join", "239.1.2.3"});
  REQUIRE(opts.joins.size() == 1);
  CHECK(opts.joins[0].group == "239.1.2.3");
  CHECK(opts.joins[0].iface.empty());
  CHECK(opts.source.empty());

  opts = parsed({"-l", "5000", "--join=239.1.2.3,198.18.0.1", "--join",
                 "239.1.2.4", "--source", "198.18.0.9"});
  REQUIRE(opts.joins.size() == 2);
  CHECK(opts.joins[0].group == "239.1.2.3");
  CHECK(opts.joins[0].iface == "198.18.0.1");
  CHECK(opts.joins[1].group == "239.1.2.4");
  CHECK(opts.source == "198.18.0.9");

  // IPv6: a bare interface name (or %name) becomes Node's "::%name".
  for (const char* iface : {"eth1", "%eth1", "::%eth1"}) {
    INFO(iface);
    opts = parsed(
        {"-l", "5000", "--join", std::string("ff02::1:3,") + iface, "-6"});
    REQUIRE(opts.joins.size() == 1);
    CHECK(opts.joins[0].group == "ff02::1:3");
    CHECK(opts.joins[0].iface == "::%eth1");
  }
  opts = parsed({"-6", "-l", "0", "--join", "ff12::9,fe80::1%eth1"});
  CHECK(opts.joins[0].iface == "fe80::1%eth1");
  // IPv4 interfaces are addresses and stay as given.
  CHECK(parsed({"-l", "0", "--join", "239.0.0.1,eth1"}).joins[0].iface ==
        "eth1");

  CHECK(failure({"-l", "5000", "--join"}) == "option '--join' needs a value");
  CHECK(failure({"-l", "5000", "--join", ""}) == "empty group in --join ''");
  CHECK(failure({"-l", "5000", "--join", ",198.18.0.1"}) ==
        "empty group in --join ',198.18.0.1'");
  CHECK(failure({"-l", "5000", "--join", "239.1.2.3,"}) ==
        "empty interface in --join '239.1.2.3,'");
  CHECK(failure({"-l", "5000", "--source", "198.18.0.9"}) ==
        "--source needs --join GROUP");
  CHECK(failure({"-l", "5000", "--join", "239.1.2.3", "--source", "a",
                 "--source", "b"}) == "option '--source' given twice");
  CHECK(failure({"-l", "5000", "--join", "239.1.2.3", "--source="}) ==
        "empty address for '--source'");
}

TEST_CASE(
    "dgramcat: --ttl, --broadcast, --multicast-loopback, "
    "--multicast-interface",
    "[dgramcat][multicast]") {
  auto opts = parsed({"239.1.2.3", "5000"});
  CHECK_FALSE(opts.ttl);
  CHECK_FALSE(opts.broadcast);
  CHECK_FALSE(opts.multicastLoopback);
  CHECK(opts.multicastInterface.empty());

  CHECK(parsed({"--ttl", "0", "h", "1"}).ttl == 0);
  CHECK(parsed({"--ttl=255", "h", "1"}).ttl == 255);
  CHECK(failure({"--ttl", "256", "h", "1"}) ==
        "ttl '256' out of range (0-255)");
  CHECK(failure({"--ttl", "-1", "h", "1"}) == "invalid ttl '-1'");
  CHECK(failure({"--ttl", "1x", "h", "1"}) == "invalid ttl '1x'");
  CHECK(failure({"--ttl", "1", "--ttl", "2", "h", "1"}) ==
        "option '--ttl' given twice");

  CHECK(parsed({"--broadcast", "198.18.0.255", "1"}).broadcast);
  CHECK(failure({"--broadcast=yes", "h", "1"}) ==
        "option '--broadcast' takes no value");

  CHECK(parsed({"--multicast-loopback", "h", "1"}).multicastLoopback == true);
  CHECK(parsed({"--multicast-loopback=on", "h", "1"}).multicastLoopback ==
        true);
  CHECK(parsed({"--multicast-loopback=off", "h", "1"}).multicastLoopback ==
        false);
  CHECK(failure({"--multicast-loopback=maybe", "h", "1"}) ==
        "invalid value 'maybe' for '--multicast-loopback' (on or off)");
  CHECK(failure({"--multicast-loopback", "--multicast-loopback=off", "h",
                 "1"}) == "option '--multicast-loopback' given twice");

  CHECK(parsed({"--multicast-interface", "198.18.0.1", "h", "1"})
            .multicastInterface == "198.18.0.1");
  CHECK(parsed({"-6", "--multicast-interface=::%eth1", "h", "1"})
            .multicastInterface == "::%eth1");
  CHECK(failure({"--multicast-interface", "", "h", "1"}) ==
        "empty interface for '--multicast-interface'");
}

TEST_CASE("dgramcat: --reuse-port and --reuse-addr", "[dgramcat]") {
  auto opts = parsed({"-l", "5000"});
  CHECK_FALSE(opts.reusePort);
  CHECK_FALSE(opts.reuseAddr);
  opts = parsed({"--reuse-port", "--reuse-addr", "-l", "5000"});
  CHECK(opts.reusePort);
  CHECK(opts.reuseAddr);
  CHECK(failure({"--reuse-port=1", "-l", "5000"}) ==
        "option '--reuse-port' takes no value");

  const auto help = dgramcat::helpText();
  for (const char* option :
       {"--join GROUP[,IFACE]", "--source", "--broadcast", "--ttl",
        "--multicast-loopback", "--multicast-interface", "--reuse-port",
        "--reuse-addr"}) {
    INFO(option);
    CHECK(help.find(option) != std::string::npos);
  }
}

TEST_CASE("dgramcat: bundled short flags and -u", "[dgramcat]") {
  for (const Args& args :
       {Args{"-lv", "9000"}, Args{"-vl", "9000"}, Args{"-ulv", "9000"},
        Args{"-lvu", "9000"}, Args{"-v", "-l9000"}, Args{"-vl9000"}}) {
    INFO(args[0]);
    const auto options = parsed(args);
    CHECK(options.mode == Mode::listen);
    CHECK(options.port == 9000);
    CHECK(options.verbose);
  }
  CHECK(parsed({"-u", "h", "1"}).mode == Mode::send);
  CHECK(parsed({"-mhello", "h", "1"}).message == std::string("hello"));
  CHECK(parsed({"-vmhi", "h", "1"}).message == std::string("hi"));
  CHECK(parsed({"-p5000", "h", "1"}).sourcePort == 5000);
  CHECK(parsed({"-dx", "h", "1"}).noStdin);
  CHECK(failure({"-lv"}) == "option '-l' needs a value");
  CHECK(failure({"-lz", "1"}) == "unknown option '-z' in '-lz'");
}

TEST_CASE("dgramcat: family from the address", "[dgramcat]") {
  CHECK(parsed({"::1", "1"}).type == dgram::Type::udp6);
  CHECK(parsed({"127.0.0.1", "1"}).type == dgram::Type::udp4);
  CHECK(parsed({"localhost", "1"}).type == dgram::Type::udp4);
  CHECK(parsed({"-b", "::1", "-l", "1"}).type == dgram::Type::udp6);
  CHECK_FALSE(parsed({"-b", "::1", "-l", "1"}).dualStack);
  // Listening on all interfaces without -4/-6: IPv4 and IPv6 both.
  const auto any = parsed({"-l", "1"});
  CHECK(any.dualStack);
  CHECK(any.type == dgram::Type::udp6);
  CHECK_FALSE(parsed({"-4", "-l", "1"}).dualStack);
  CHECK(parsed({"-4", "-l", "1"}).type == dgram::Type::udp4);
  CHECK_FALSE(parsed({"-6", "-l", "1"}).dualStack);
  CHECK(parsed({"--join", "239.1.1.1", "-l", "1"}).type == dgram::Type::udp4);
  CHECK(parsed({"--join", "ff02::1", "-l", "1"}).type == dgram::Type::udp6);
  CHECK(failure({"-4", "::1", "1"}) ==
        "address '::1' is IPv6: use -6 (or leave out -4)");
  CHECK(failure({"-6", "127.0.0.1", "1"}) ==
        "address '127.0.0.1' is IPv4: use -4 (or leave out -6)");
  CHECK(failure({"-4", "-b", "::", "-l", "1"}) ==
        "-b '::' is IPv6: use -6 (or leave out -4)");
  CHECK(failure({"-b", "::1", "127.0.0.1", "1"}) ==
        "address '127.0.0.1' and -b '::1' are of different families");
}

TEST_CASE("dgramcat: short IPv4 forms as nc takes them", "[dgramcat]") {
  CHECK(parsed({"127.1", "1"}).host == "127.0.0.1");
  CHECK(parsed({"10.1.2", "1"}).host == "10.1.0.2");
  CHECK(parsed({"0x7f.1", "1"}).host == "127.0.0.1");
  CHECK(parsed({"2130706433", "1"}).host == "127.0.0.1");
  CHECK(parsed({"-b", "127.1", "-l", "1"}).bindAddress == "127.0.0.1");
  CHECK(parsed({"127.0.0.1", "1"}).host == "127.0.0.1");
  // Not IPv4 forms: names stay names.
  CHECK(parsed({"127.1.x", "1"}).host == "127.1.x");
  CHECK(parsed({"256.1", "1"}).host == "256.1");
  CHECK(parsed({"1.2.3.4.5", "1"}).host == "1.2.3.4.5");
  CHECK(dgramcat::expandIPv4("1.2.3.256") == std::nullopt);
  CHECK(dgramcat::expandIPv4("1.70000") == "1.1.17.112");
  CHECK(dgramcat::expandIPv4("1.2.70000") == std::nullopt);
  CHECK(dgramcat::expandIPv4("010.0.0.1") == "8.0.0.1");
  CHECK(dgramcat::expandIPv4("09.1") == std::nullopt);
  CHECK(dgramcat::expandIPv4("") == std::nullopt);
  CHECK(dgramcat::expandIPv4("1..2") == std::nullopt);
  CHECK(dgramcat::isMulticastLiteral("239.255.255.255"));
  CHECK_FALSE(dgramcat::isMulticastLiteral("240.0.0.1"));
  CHECK(dgramcat::isMulticastLiteral("ff02::1"));
  CHECK_FALSE(dgramcat::isMulticastLiteral("fe80::1"));
  CHECK(dgramcat::unmapIPv4("::ffff:1.2.3.4") == "1.2.3.4");
  CHECK(dgramcat::unmapIPv4("::1") == "::1");
}

TEST_CASE("dgramcat: the issue's argument bugs", "[dgramcat]") {
  CHECK(failure({"--join", "banana", "-l", "1"}) ==
        "--join 'banana' is not a multicast address (224.0.0.0/4 or "
        "ff00::/8)");
  CHECK(failure({"--join", "10.0.0.1", "-l", "1"}) ==
        "--join '10.0.0.1' is not a multicast address (224.0.0.0/4 or "
        "ff00::/8)");
  CHECK(failure({"-l", "9000", "--multicast-loopback", "off"}) ==
        "unexpected argument 'off': give the value of --multicast-loopback "
        "as --multicast-loopback=off");
  CHECK(parsed({"-l", "9000", "--multicast-loopback=off"}).multicastLoopback ==
        false);
  // The hint quotes the value escaped, like every other message (found by
  // the fuzzer: a raw byte made the message unprintable).
  CHECK(failure({"-l", "9000", "--multicast-loopback", "o\tf"}) ==
        "unexpected argument 'o\\tf': give the value of "
        "--multicast-loopback as --multicast-loopback=o\\tf");
}

TEST_CASE("dgramcat: replies, waits, pace and buffers", "[dgramcat]") {
  const auto send = parsed({"h", "1"});
  CHECK(send.output == dgramcat::Output::raw);
  CHECK(parsed({"-l", "1"}).output == dgramcat::Output::lines);
  CHECK(parsed({"-x", "-l", "1"}).output == dgramcat::Output::hex);
  CHECK(parsed({"--raw", "-l", "1"}).output == dgramcat::Output::raw);
  CHECK(parsed({"--output=lines", "h", "1"}).output == dgramcat::Output::lines);
  CHECK(parsed({"--output", "hex", "h", "1"}).output == dgramcat::Output::hex);
  CHECK(failure({"--raw", "-x", "h", "1"}) ==
        "only one of --output, --raw and --hex");
  CHECK(failure({"--output=yaml", "h", "1"}) ==
        "invalid value 'yaml' for '--output' (lines, raw or hex)");
  CHECK(parsed({"-t", "-l", "1"}).timestamp);
  // Found by the fuzzer: -t in send mode, whose replies are raw by default.
  CHECK(parsed({"-t", "h", "1"}).output == dgramcat::Output::lines);
  CHECK(failure({"-t", "--raw", "-l", "1"}) ==
        "-t cannot be combined with raw output (--raw)");

  CHECK(parsed({"-q", "2.5", "h", "1"}).wait == milliseconds(2500));
  CHECK(parsed({"-w", "1", "-l", "1"}).idleTimeout == milliseconds(1000));
  CHECK(failure({"-q", "1", "-l", "1"}) ==
        "-q applies to sending (HOST PORT), not to -l");
  CHECK(failure({"-q", "x", "h", "1"}) ==
        "invalid timeout 'x' (seconds, e.g. 2.5)");
  CHECK(parsed({"--rate", "1000", "h", "1"}).sendInterval ==
        std::chrono::microseconds(1000));
  CHECK(parsed({"-i", "0.5", "h", "1"}).sendInterval == milliseconds(500));
  CHECK(failure({"--rate", "0", "h", "1"}) ==
        "invalid rate '0' (datagrams per second, 1-1000000000)");
  CHECK(failure({"--rate", "1", "-i", "1", "h", "1"}) ==
        "only one of --rate and --interval");
  CHECK(parsed({"--rcvbuf", "4k", "h", "1"}).recvBufferSize == 4096);
  CHECK(parsed({"--sndbuf=1m", "h", "1"}).sendBufferSize == 1048576);
  CHECK(failure({"--rcvbuf", "0", "h", "1"}) ==
        "size '0' for '--rcvbuf' out of range (1-1073741824)");
  CHECK(failure({"--sndbuf", "x", "h", "1"}) ==
        "invalid size 'x' for '--sndbuf' (bytes, e.g. 1400 or 4k)");
  CHECK(parsed({"-p", "5000", "h", "1"}).sourcePort == 5000);
  CHECK(failure({"-p", "5000", "-l", "1"}) ==
        "-p sets the source port when sending; to listen on a port, use -l "
        "PORT");
}

TEST_CASE("dgramcat: input framing options", "[dgramcat]") {
  CHECK(parsed({"h", "1"}).input == dgramcat::Input::lines);
  CHECK(parsed({"--whole", "h", "1"}).input == dgramcat::Input::whole);
  const auto block = parsed({"--block", "1k", "h", "1"});
  CHECK(block.input == dgramcat::Input::block);
  CHECK(block.blockSize == 1024);
  CHECK(failure({"--block", "65508", "h", "1"}) ==
        "size '65508' for '--block' out of range (1-65507)");
  CHECK(failure({"--whole", "--block", "1", "h", "1"}) ==
        "only one of --whole and --block");
  CHECK(failure({"--whole", "-m", "x", "h", "1"}) ==
        "--message cannot be combined with --whole or --block");

  using dgramcat::Framer;
  using dgramcat::Input;
  std::vector<std::string> out;
  Framer lines(Input::lines, 0, 0);
  lines.feed("a\r\nb\rc\n\nd\r", out);
  lines.finish(out);
  CHECK(out == std::vector<std::string>{"a", "b\rc", "", "d\r"});
  out.clear();
  Framer blocks(Input::block, 3, 0);
  blocks.feed("abcd", out);
  blocks.feed("efg", out);
  blocks.finish(out);
  CHECK(out == std::vector<std::string>{"abc", "def", "g"});
  out.clear();
  Framer limited(Input::lines, 0, 2);
  CHECK_FALSE(limited.feed("1\n2\n3\n", out));
  limited.finish(out);
  CHECK(out == std::vector<std::string>{"1", "2"});
  out.clear();
  Framer whole(Input::whole, 0, 0);
  whole.feed(std::string("a\0b\n", 4), out);
  whole.feed("c", out);
  whole.finish(out);
  CHECK(out == std::vector<std::string>{std::string("a\0b\nc", 5)});
  Framer big(Input::whole, 0, 0);
  CHECK_FALSE(big.feed(std::string(dgramcat::kMaxDatagram + 1, 'x'), out));
  CHECK(big.error().find("use --block N") != std::string::npos);
}

TEST_CASE("dgramcat: --exec, --stats and --flood", "[dgramcat]") {
  CHECK(parsed({"-l", "1", "--exec", "cat"}).exec == "cat");
  CHECK(parsed({"-l", "1", "-e", "cat"}).exec == "cat");
  CHECK(failure({"--exec", "cat", "h", "1"}) == "--exec needs -l PORT");
  CHECK(failure({"-l", "1", "--exec", "cat", "--echo"}) ==
        "--exec cannot be combined with --echo");
  CHECK(failure({"-l", "1", "--exec", ""}) == "empty command for '--exec'");
  CHECK(parsed({"-l", "1", "--stats"}).stats == dgramcat::Stats::text);
  CHECK(parsed({"-l", "1", "--stats=json"}).stats == dgramcat::Stats::json);
  CHECK(failure({"-l", "1", "--stats=xml"}) ==
        "invalid value 'xml' for '--stats' (text or json)");

  const auto flood = parsed({"--flood", "h", "1"});
  CHECK(flood.flood);
  CHECK(flood.floodSize == 64);
  CHECK(flood.duration == milliseconds(1000));
  CHECK_FALSE(parsed({"--flood", "--count", "5", "h", "1"}).duration);
  CHECK(parsed({"--flood", "--size", "1400", "--duration", "2", "h", "1"})
            .floodSize == 1400);
  CHECK(failure({"--flood", "--size", "11", "h", "1"}) ==
        "size '11' for '--size' out of range (12-65507)");
  CHECK(failure({"--size", "100", "h", "1"}) == "--size needs --flood");
  CHECK(failure({"--duration", "1", "h", "1"}) == "--duration needs --flood");
  CHECK(failure({"--flood", "-l", "1"}) ==
        "--flood sends: use HOST PORT, not -l");
  CHECK(failure({"--flood", "-m", "x", "h", "1"}) ==
        "--flood cannot be combined with --message");
}

TEST_CASE("dgramcat: statistics and flood datagrams", "[dgramcat]") {
  dgramcat::SequenceTracker in_order;
  for (std::uint64_t i = 1; i <= 5; ++i)
    in_order.add(i);
  CHECK(in_order.lost() == 0);
  CHECK(in_order.reordered() == 0);
  dgramcat::SequenceTracker gaps;
  for (std::uint64_t i : {1, 2, 4, 3, 3, 7})
    gaps.add(i);
  CHECK(gaps.numbered() == 6);
  CHECK(gaps.duplicates() == 1);
  CHECK(gaps.reordered() == 1);  // 3 after 4 (the second 3 is a duplicate)
  CHECK(gaps.lost() == 2);       // 5 and 6
  CHECK(dgramcat::sequenceNumber("42\n") == 42u);
  CHECK(dgramcat::sequenceNumber("42\r\n") == 42u);
  CHECK_FALSE(dgramcat::sequenceNumber("4 2"));
  CHECK_FALSE(dgramcat::sequenceNumber(""));
  std::string datagram;
  dgramcat::makeFloodDatagram(datagram, 0x0102030405060708u, 64);
  CHECK(datagram.size() == 64);
  CHECK(dgramcat::floodNumber(datagram) == 0x0102030405060708u);
  CHECK(dgramcat::sequenceNumber(datagram) == 0x0102030405060708u);
  CHECK(dgramcat::floodEnd(dgramcat::makeFloodEnd(9)) == 9u);
  const auto report = dgramcat::floodReport(dgramcat::makeFloodReport(1, 2, 3));
  REQUIRE(report);
  CHECK(report->received == 1);
  CHECK(report->lost == 2);
  CHECK(report->reordered == 3);
  CHECK(dgramcat::datagrams(1) == "1 datagram");
  CHECK(dgramcat::datagrams(2) == "2 datagrams");

  dgramcat::Statistics stats;
  stats.sent = {1, 5};
  stats.onReceived("7");
  stats.onReceived("9");
  const auto text = dgramcat::formatStatsText(stats, std::chrono::seconds(2));
  CHECK(text ==
        "sent 1 datagram (5 bytes), received 2 datagrams (2 bytes) in 2.000 s "
        "(1.5 datagrams/s, 0.000 Mbit/s); numbered: 1 lost, 0 reordered, 0 "
        "duplicated");
  const auto json =
      dgramcat::formatStatsJson(stats, std::chrono::seconds(2), "end");
  CHECK(json.find("\"event\":\"end\"") != std::string::npos);
  CHECK(json.find("\"lost\":1") != std::string::npos);
  CHECK(json.find('\n') == std::string::npos);
}

TEST_CASE("dgramcat: hex dump and timestamps", "[dgramcat]") {
  CHECK(dgramcat::formatHexDump("") == "");
  CHECK(dgramcat::formatHexDump("AB\n") ==
        "00000000  41 42 0a                                          |AB.|\n");
  CHECK(dgramcat::formatHexDump(std::string(17, 'a')).size() ==
        2 * dgramcat::formatHexDump(std::string(16, 'a')).size() - 15);
  CHECK(dgramcat::formatTimestamp(std::chrono::system_clock::time_point(
            std::chrono::microseconds(1700000000123456))) ==
        "2023-11-14T22:13:20.123456Z");
  dgram::RemoteInfo rinfo;
  rinfo.address = "::ffff:127.0.0.1";
  rinfo.family = dgram::Family::IPv6;
  rinfo.port = 5;
  rinfo.size = 2;
  CHECK(dgramcat::formatDatagram("hi", rinfo) ==
        "127.0.0.1:5 (IPv4, 2 bytes): hi");
  CHECK(dgramcat::renderDatagram(dgramcat::Output::raw, false, "hi", rinfo,
                                 {}) == "hi");
  CHECK(
      dgramcat::renderDatagram(dgramcat::Output::hex, false, "hi", rinfo, {}) ==
      "127.0.0.1:5 (IPv4, 2 bytes):\n00000000  68 69" + std::string(45, ' ') +
          "|hi|\n");
}
