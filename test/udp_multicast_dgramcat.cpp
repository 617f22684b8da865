// dgramcat's multicast, broadcast and reuse options, end to end: the real
// dgramcat binary (next to this test binary, in ../tools/) run on hosts
// made of network namespaces.
#include "support/catch.hpp"

#ifdef __linux__
#include <unistd.h>
#endif  // __linux__

#include <climits>
#include <string>

#include "support/netns.hpp"

namespace {

using test::net::Lab;
using test::net::Process;

constexpr int kPort = 41250;

std::string dgramcatPath() {
#ifdef __linux__
  char self[PATH_MAX] = {};
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0) return {};
  std::string dir(self, static_cast<std::size_t>(length));
  dir = dir.substr(0, dir.find_last_of('/'));
  std::string path = dir + "/../tools/dgramcat";
  return ::access(path.c_str(), X_OK) == 0 ? path : std::string();
#else
  return {};  // the namespace tests run on Linux only
#endif  // __linux__
}

#define DGRAMCAT_OR_SKIP()                                                \
  do {                                                                    \
    if (dgramcatPath().empty()) {                                         \
      WARN("SKIPPED: no dgramcat binary in ../tools/ next to the tests"); \
      return;                                                             \
    }                                                                     \
  } while (0)

class Dgramcat {
 public:
  Dgramcat(const test::net::Namespace& ns, std::vector<std::string> args)
      : process_(ns, withProgram(std::move(args))) {}

  // The next line that starts with `prefix` (FAILs with the transcript).
  std::string expect(const std::string& prefix) {
    std::string line;
    while (process_.readLine(line)) {
      if (line.rfind(prefix, 0) == 0) return line;
    }
    FAIL("dgramcat printed no '" << prefix << "' line; it printed:\n"
                                 << process_.transcript());
    return {};
  }
  int finish() { return process_.finish(); }

 private:
  static std::vector<std::string> withProgram(std::vector<std::string> args) {
    args.insert(args.begin(), dgramcatPath());
    return args;
  }
  Process process_;
};

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

TEST_CASE(
    "dgramcat --join, --source, --ttl and --multicast-interface "
    "between hosts",
    "[multicast][dgramcat][netns]") {
  NETNS_OR_SKIP();
  DGRAMCAT_OR_SKIP();
  Lab lab;
  lab.attach("sender", 0, "lan0", 1);
  lab.attach("any", 0, "lan0", 2);
  lab.attach("ssm", 0, "lan0", 3);
  const std::string port = std::to_string(kPort);

  Dgramcat any(lab.host("any"), {"-v", "-l", port, "--join", "239.7.7.7",
                                 "--count", "1", "--timeout", "5"});
  CHECK(any.expect("dgramcat: joined") == "dgramcat: joined 239.7.7.7");
  any.expect("dgramcat: listening on");
  Dgramcat ssm(lab.host("ssm"),
               {"-v", "-l", port, "--join", "239.7.7.7,198.18.0.3", "--source",
                "198.18.0.1", "--count", "1", "--timeout", "5"});
  CHECK(ssm.expect("dgramcat: joined") ==
        "dgramcat: joined 239.7.7.7 from 198.18.0.1 on 198.18.0.3");
  ssm.expect("dgramcat: listening on");

  Dgramcat sender(
      lab.host("sender"),
      {"-m", "hello", "--ttl", "1", "--multicast-interface", "198.18.0.1",
       "--multicast-loopback=off", "239.7.7.7", port});
  CHECK(sender.finish() == 0);
  for (Dgramcat* listener : {&any, &ssm}) {
    auto line = listener->expect("198.18.0.1:");
    CHECK(endsWith(line, " (IPv4, 5 bytes): hello"));
    CHECK(listener->finish() == 0);
  }
}

TEST_CASE("dgramcat --join on IPv6 with an interface name",
          "[multicast][ipv6][dgramcat][netns]") {
  NETNS_OR_SKIP();
  DGRAMCAT_OR_SKIP();
  Lab lab;
  lab.attach("sender", 0, "lan0", 1);
  lab.attach("rx", 0, "lan0", 2);
  const std::string port = std::to_string(kPort);

  Dgramcat rx(lab.host("rx"),
              {"-6", "-v", "-l", port, "--join", "ff12::1:9,lan0", "--count",
               "1", "--timeout", "5"});
  CHECK(rx.expect("dgramcat: joined") ==
        "dgramcat: joined ff12::1:9 on ::%lan0");
  rx.expect("dgramcat: listening on");
  Dgramcat sender(lab.host("sender"),
                  {"-6", "-m", "hi", "ff12::1:9%lan0", port});
  CHECK(sender.finish() == 0);
  auto line = rx.expect("[fe80::1%lan0]:");
  CHECK(endsWith(line, " (IPv6, 2 bytes): hi"));
  CHECK(rx.finish() == 0);
}

TEST_CASE("dgramcat --broadcast, and EACCES without it",
          "[broadcast][dgramcat][netns]") {
  NETNS_OR_SKIP();
  DGRAMCAT_OR_SKIP();
  Lab lab;
  lab.attach("sender", 0, "lan0", 1);
  lab.attach("rx", 0, "lan0", 2);
  const std::string port = std::to_string(kPort);

  Dgramcat rx(lab.host("rx"),
              {"-v", "-l", port, "--count", "1", "--timeout", "5"});
  rx.expect("dgramcat: listening on");
  Dgramcat refused(lab.host("sender"), {"-m", "no", "198.18.0.255", port});
  // The socket connects to HOST PORT, which a broadcast address refuses
  // without SO_BROADCAST.
  CHECK(refused.expect("dgramcat: ") ==
        "dgramcat: connect EACCES 198.18.0.255:" + port +
            " (a broadcast address needs --broadcast)");
  CHECK(refused.finish() == 1);
  Dgramcat allowed(lab.host("sender"),
                   {"--broadcast", "-m", "yes", "198.18.0.255", port});
  CHECK(allowed.finish() == 0);
  auto line = rx.expect("198.18.0.1:");
  CHECK(endsWith(line, " (IPv4, 3 bytes): yes"));
  CHECK(rx.finish() == 0);
}

TEST_CASE("dgramcat --reuse-port lets two listeners share a port",
          "[reuse][dgramcat][netns]") {
  NETNS_OR_SKIP();
  DGRAMCAT_OR_SKIP();
  Lab lab;
  lab.attach("rx", 0, "lan0", 1);
  const std::string port = std::to_string(kPort);

  // The two listeners must still hold the port when the third binds:
  // 0.3 s was not enough for three process starts under ASan on a loaded
  // machine (the third then bound a free port). Each stops 3 s after it
  // started.
  Dgramcat first(lab.host("rx"),
                 {"-v", "--reuse-port", "-l", port, "--timeout", "3"});
  first.expect("dgramcat: listening on");
  Dgramcat second(lab.host("rx"),
                  {"-v", "--reuse-port", "-l", port, "--timeout", "3"});
  second.expect("dgramcat: listening on");
  Dgramcat third(lab.host("rx"), {"-l", port, "--timeout", "0.3"});
  CHECK(startsWith(third.expect("dgramcat: "), "dgramcat: bind EADDRINUSE"));
  CHECK(third.finish() == 1);
  CHECK(first.finish() == 0);
  CHECK(second.finish() == 0);
}
