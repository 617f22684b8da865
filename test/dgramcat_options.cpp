// dgramcat's argument parser and output format (tools/dgramcat): every
// option, every error, and the one-line guarantee for error messages.
#include "support/catch.hpp"

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "dgramcat/format.hpp"
#include "dgramcat/options.hpp"

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
  CHECK(failure({"-x", "h", "1"}) == "unknown option '-x'");
  CHECK(failure({"-vx", "h", "1"}) == "unknown option '-vx'");
  CHECK(failure({"-u", "h", "1"}) == "unknown option '-u'");
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
