// Name lookup through c-ares inside the loop, against a real DNS server
// (dnsmasq) started on loopback by each test.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/catch.hpp"

#include "common/loop_core.hpp"
#include "support/dns_server.hpp"
#include "support/helpers.hpp"

using namespace std::chrono_literals;

namespace {

std::string name(const std::string& label) {
  return label + "." + test::kTestDomain;
}

// Hosts served by the test server: hostN.dgram.test -> 127.0.0.1 and ::1.
std::vector<std::pair<std::string, std::string>> testHosts(int count) {
  std::vector<std::pair<std::string, std::string>> hosts;
  for (int i = 0; i < count; ++i) {
    hosts.emplace_back("127.0.0.1", name("host" + std::to_string(i)));
    hosts.emplace_back("::1", name("host" + std::to_string(i)));
  }
  hosts.emplace_back("127.0.0.1", name("v4only"));
  return hosts;
}

#ifdef DGRAM_TEST_WITH_CARES
constexpr bool kWithCares = true;
#else
constexpr bool kWithCares = false;
#endif

#define REQUIRE_DNS_SERVER(server)                                 \
  do {                                                             \
    if (!kWithCares) {                                             \
      WARN("skipped: built with DGRAM_WITH_CARES=OFF");            \
      return;                                                      \
    }                                                              \
    if (!(server).running()) {                                     \
      WARN("skipped: no test DNS server: " << (server).problem()); \
      return;                                                      \
    }                                                              \
  } while (0)

void useServer(dgram::Loop& loop, const std::string& address,
               std::chrono::milliseconds timeout = 2000ms, int tries = 2) {
  dgram::ResolverOptions options;
  options.servers = {address};
  options.timeout = timeout;
  options.tries = tries;
  loop.setResolverOptions(options);
}

// A receiver on 127.0.0.1 (or ::1) that records payloads.
struct Receiver {
  std::shared_ptr<dgram::Socket> socket;
  std::vector<std::string> payloads;
  std::vector<dgram::RemoteInfo> senders;
  int port = 0;

  Receiver(dgram::Loop& loop, dgram::Type type) {
    socket = test::makeSocket(
        loop, type, [this](dgram::Bytes msg, const dgram::RemoteInfo& r) {
          payloads.push_back(msg.str());
          senders.push_back(r);
        });
    socket->bind(0, type == dgram::Type::udp4 ? "127.0.0.1" : "::1",
                 [this] { port = socket->address().port; });
    REQUIRE(test::runUntil(loop, [this] { return port != 0; }));
  }
};

}  // namespace

TEST_CASE("send to a name resolves its A record (udp4)", "[dns]") {
  test::DnsServer server(testHosts(1));
  REQUIRE_DNS_SERVER(server);
  dgram::Loop loop;
  useServer(loop, server.address());
  Receiver receiver(loop, dgram::Type::udp4);
  auto client = test::makeSocket(loop);
  int callbacks = 0;
  std::optional<dgram::Error> error;
  client->send("over dns", receiver.port, name("host0"),
               [&](const std::optional<dgram::Error>& err, std::size_t n) {
                 ++callbacks;
                 error = err;
                 CHECK(n == (err ? 0u : 8u));
               });
  REQUIRE(test::runUntil(loop, [&] { return receiver.payloads.size() == 1; }));
  CHECK(callbacks == 1);
  CHECK_FALSE(error);
  CHECK(receiver.payloads[0] == "over dns");
  CHECK(receiver.senders[0].address == "127.0.0.1");
  client->close();
  receiver.socket->close();
  CHECK(test::runUntilIdle(loop));
  CHECK(callbacks == 1);
}

TEST_CASE("send to a name resolves its AAAA record (udp6)", "[dns][ipv6]") {
  if (!test::haveIPv6()) {
    WARN("skipped: no IPv6 loopback");
    return;
  }
  test::DnsServer server(testHosts(1));
  REQUIRE_DNS_SERVER(server);
  dgram::Loop loop;
  useServer(loop, server.address());
  Receiver receiver(loop, dgram::Type::udp6);
  auto client = test::makeSocket(loop, dgram::Type::udp6);
  client->send("six", receiver.port, name("host0"));
  REQUIRE(test::runUntil(loop, [&] { return receiver.payloads.size() == 1; }));
  CHECK(receiver.senders[0].address == "::1");
  CHECK(receiver.senders[0].family == dgram::Family::IPv6);
  client->close();
  receiver.socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a name that does not exist fails with ENOTFOUND", "[dns]") {
  test::DnsServer server(testHosts(1));
  REQUIRE_DNS_SERVER(server);
  dgram::Loop loop;
  useServer(loop, server.address());
  auto client = test::makeSocket(loop);
  std::optional<dgram::Error> error;
  int callbacks = 0;
  const std::string missing = name("missing");
  client->send("x", 9, missing,
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 ++callbacks;
                 error = err;
               });
  REQUIRE(test::runUntil(loop, [&] { return callbacks == 1; }));
  REQUIRE(error);
  CHECK(error->code() == "ENOTFOUND");
  CHECK(error->syscall() == "getaddrinfo");
  CHECK(error->hostname() == missing);
  CHECK(std::string(error->what()) == "getaddrinfo ENOTFOUND " + missing);
  CHECK(error->errnum() == -3008);

  SECTION("without a callback the error is emitted") {
    std::vector<std::string> emitted;
    client->on(dgram::error,
               [&](const dgram::Error& err) { emitted.push_back(err.code()); });
    client->send("x", 9, missing);
    REQUIRE(test::runUntil(loop, [&] { return emitted.size() == 1; }));
    CHECK(emitted[0] == "ENOTFOUND");
  }
  SECTION("a family the name does not have is ENOTFOUND too") {
    auto six = test::makeSocket(loop, dgram::Type::udp6);
    std::optional<dgram::Error> sixError;
    six->send("x", 9, name("v4only"),
              [&](const std::optional<dgram::Error>& err, std::size_t) {
                sixError = err;
              });
    REQUIRE(test::runUntil(loop, [&] { return sixError.has_value(); }));
    CHECK(sixError->code() == "ENOTFOUND");
    six->close();
  }
  client->close();
  CHECK(test::runUntilIdle(loop));
  CHECK(callbacks == 1);
}

TEST_CASE("a lookup waiting on a silent server leaves the loop asleep",
          "[dns][timeout]") {
  if (!kWithCares) {
    WARN("skipped: built with DGRAM_WITH_CARES=OFF");
    return;
  }
  test::SilentServer silent;
  dgram::Loop loop;
  useServer(loop, silent.address(), 3000ms, 1);
  auto client = test::makeSocket(loop);
  int callbacks = 0;
  client->send(
      "x", 9, "asleep.example",
      [&](const std::optional<dgram::Error>&, std::size_t) { ++callbacks; });
  // c-ares' sockets are watched by the backend itself, so nothing but the
  // query's own timeout may end a wait: no periodic polling.
  int wakeups = 0;
  auto until = std::chrono::steady_clock::now() + 1200ms;
  while (std::chrono::steady_clock::now() < until && wakeups < 1000) {
    loop.runOnce(500ms);
    ++wakeups;
  }
  CHECK(callbacks == 0);
  CHECK(wakeups <= 10);
  client->close();
  CHECK(test::runUntilIdle(loop));
  CHECK(callbacks == 1);
}

TEST_CASE("a server that never answers times out within the set time",
          "[dns][timeout]") {
  if (!kWithCares) {
    WARN("skipped: built with DGRAM_WITH_CARES=OFF");
    return;
  }
  test::SilentServer silent;
  dgram::Loop loop;
  useServer(loop, silent.address(), 200ms, 1);
  auto client = test::makeSocket(loop);
  std::optional<dgram::Error> error;
  auto start = std::chrono::steady_clock::now();
  client->send("x", 9, "nobody.example",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 error = err;
               });
  REQUIRE(test::runUntil(
      loop, [&] { return error.has_value(); }, 5s));
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(error->code() == "ETIMEOUT");
  CHECK(error->syscall() == "getaddrinfo");
  CHECK(took >= 150ms);
  CHECK(took < 2s);
  client->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("1,000 sends to 50 names: every callback once, in order per name",
          "[dns][load]") {
  constexpr int kNames = 50;
  constexpr int kSends = 1000;
  test::DnsServer server(testHosts(kNames));
  REQUIRE_DNS_SERVER(server);
  dgram::Loop loop;
  useServer(loop, server.address());
  Receiver receiver(loop, dgram::Type::udp4);
  auto client = test::makeSocket(loop);
  std::vector<int> callbacks(kSends, 0);
  int errors = 0;
  // Issued in waves of 100, each delivered before the next: 1,000 datagrams
  // at once would overflow the receiver's socket buffer on loopback, which
  // is UDP, not a lookup problem. Each wave still has 100 lookups in flight.
  constexpr int kWave = 100;
  auto start = std::chrono::steady_clock::now();
  bool done = true;
  for (int wave = 0; wave < kSends / kWave && done; ++wave) {
    for (int i = wave * kWave; i < (wave + 1) * kWave; ++i) {
      int host = i % kNames;
      std::string payload =
          std::to_string(host) + ":" + std::to_string(i / kNames);
      client->send(payload, receiver.port, name("host" + std::to_string(host)),
                   [&, i](const std::optional<dgram::Error>& err, std::size_t) {
                     ++callbacks[i];
                     if (err) ++errors;
                   });
    }
    std::size_t expected = static_cast<std::size_t>((wave + 1) * kWave);
    done = test::runUntil(
        loop, [&] { return receiver.payloads.size() == expected; }, 10s);
  }
  auto took = std::chrono::steady_clock::now() - start;
  WARN("resolved and sent "
       << kSends << " datagrams to " << kNames << " names in "
       << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
       << " ms on " << loop.backend());
  REQUIRE(done);
  client->close();
  receiver.socket->close();
  CHECK(test::runUntilIdle(loop));
  CHECK(errors == 0);
  for (int i = 0; i < kSends; ++i) {
    INFO("send " << i);
    CHECK(callbacks[i] == 1);
  }
  // Per name, the sequence numbers arrive in the order they were sent.
  std::map<int, int> next;
  for (const std::string& payload : receiver.payloads) {
    auto colon = payload.find(':');
    int host = std::stoi(payload.substr(0, colon));
    int seq = std::stoi(payload.substr(colon + 1));
    CHECK(seq == next[host]);
    next[host] = seq + 1;
  }
}

TEST_CASE("closing during a lookup cancels its sends", "[dns][close]") {
  if (!kWithCares) {
    WARN("skipped: built with DGRAM_WITH_CARES=OFF");
    return;
  }
  test::SilentServer silent;
  dgram::Loop loop;
  useServer(loop, silent.address(), 5000ms, 1);
  Receiver receiver(loop, dgram::Type::udp4);
  auto client = test::makeSocket(loop);
  std::vector<std::string> order;
  int callbacks = 0;
  for (int i = 0; i < 3; ++i) {
    client->send("never", receiver.port, "slow.example",
                 [&](const std::optional<dgram::Error>& err, std::size_t) {
                   ++callbacks;
                   order.push_back(err ? err->code() : "ok");
                 });
  }
  // A numeric send behind the lookup keeps its place and is cancelled too.
  client->send("never", receiver.port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 ++callbacks;
                 order.push_back(err ? err->code() : "ok");
               });
  loop.runOnce(20ms);
  client->close([&] { order.push_back("close"); });
  auto start = std::chrono::steady_clock::now();
  receiver.socket->close();
  // The cancelled lookup no longer keeps the loop alive.
  CHECK(test::runUntilIdle(loop, 3s));
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(callbacks == 4);
  CHECK(order == std::vector<std::string>{"ECANCELED", "ECANCELED", "ECANCELED",
                                          "ECANCELED", "close"});
  CHECK(receiver.payloads.empty());
}

TEST_CASE("a socket keeps working after a lookup error", "[dns]") {
  test::DnsServer server(testHosts(1));
  REQUIRE_DNS_SERVER(server);
  dgram::Loop loop;
  useServer(loop, server.address());
  Receiver receiver(loop, dgram::Type::udp4);
  auto client = test::makeSocket(loop);
  std::vector<std::string> results;
  auto record = [&](const std::optional<dgram::Error>& err, std::size_t) {
    results.push_back(err ? err->code() : "ok");
  };
  client->send("lost", receiver.port, name("nope"), record);
  client->send("found", receiver.port, name("host0"), record);
  client->send("numeric", receiver.port, "127.0.0.1", record);
  REQUIRE(test::runUntil(loop, [&] { return receiver.payloads.size() == 2; }));
  CHECK(receiver.payloads == std::vector<std::string>{"found", "numeric"});
  client->close();
  receiver.socket->close();
  CHECK(test::runUntilIdle(loop));
  CHECK(results == std::vector<std::string>{"ENOTFOUND", "ok", "ok"});
}

TEST_CASE("bind and connect resolve names too", "[dns][bind][connect]") {
  test::DnsServer server(testHosts(1));
  REQUIRE_DNS_SERVER(server);
  dgram::Loop loop;
  useServer(loop, server.address());

  SECTION("bind to a name") {
    auto socket = test::makeSocket(loop);
    bool listening = false;
    socket->bind(0, name("host0"), [&] { listening = true; });
    REQUIRE(test::runUntil(loop, [&] { return listening; }));
    CHECK(socket->address().address == "127.0.0.1");
    socket->close();
  }
  SECTION("bind to a missing name emits the error with syscall getaddrinfo") {
    auto socket = test::makeSocket(loop);
    std::optional<dgram::Error> error;
    socket->on(dgram::error, [&](const dgram::Error& err) { error = err; });
    socket->bind(0, name("nope"));
    REQUIRE(test::runUntil(loop, [&] { return error.has_value(); }));
    CHECK(error->code() == "ENOTFOUND");
    CHECK(error->syscall() == "getaddrinfo");
    // Back to unbound: binding again works.
    bool listening = false;
    socket->bind(0, "127.0.0.1", [&] { listening = true; });
    REQUIRE(test::runUntil(loop, [&] { return listening; }));
    socket->close();
  }
  SECTION("connect to a name, and to a missing one") {
    Receiver receiver(loop, dgram::Type::udp4);
    auto socket = test::makeSocket(loop);
    std::vector<std::string> results;
    socket->connect(receiver.port, name("nope"),
                    [&](const std::optional<dgram::Error>& err) {
                      results.push_back(err ? err->code() : "ok");
                    });
    REQUIRE(test::runUntil(loop, [&] { return results.size() == 1; }));
    socket->connect(receiver.port, name("host0"),
                    [&](const std::optional<dgram::Error>& err) {
                      results.push_back(err ? err->code() : "ok");
                      socket->send("connected");
                    });
    REQUIRE(
        test::runUntil(loop, [&] { return receiver.payloads.size() == 1; }));
    CHECK(results == std::vector<std::string>{"ENOTFOUND", "ok"});
    CHECK(socket->remoteAddress().address == "127.0.0.1");
    socket->close();
    receiver.socket->close();
  }
  CHECK(test::runUntilIdle(loop));
}

// The hosts file c-ares reads: /etc/hosts, or on Windows the one in the
// registry's default DataBasePath (under wine, the prefix's, not /etc/hosts).
static std::string hostsFilePath() {
#ifdef _WIN32
  const char* root = std::getenv("SystemRoot");
  return std::string(root ? root : "C:\\Windows") +
         "\\System32\\drivers\\etc\\hosts";
#else
  return "/etc/hosts";
#endif
}

// A name that the hosts file maps to a 127.x address, other than localhost.
static std::string loopbackNameFromHostsFile() {
  std::ifstream hosts(hostsFilePath());
  std::string line;
  while (std::getline(hosts, line)) {
    std::istringstream words(line.substr(0, line.find('#')));
    std::string address, host;
    if (!(words >> address) || address.rfind("127.", 0) != 0) continue;
    while (words >> host) {
      if (host != "localhost" && host.find("localhost") == std::string::npos)
        return host;
    }
  }
  return {};
}

TEST_CASE("the hosts file and localhost resolve without a DNS server",
          "[dns][hosts]") {
  if (!kWithCares) {
    WARN("skipped: built with DGRAM_WITH_CARES=OFF");
    return;
  }
  test::SilentServer silent;  // any DNS query would time out
  dgram::Loop loop;
  useServer(loop, silent.address(), 3000ms, 1);
  Receiver receiver(loop, dgram::Type::udp4);
  auto client = test::makeSocket(loop);
  std::vector<std::string> results;
  auto record = [&](const std::optional<dgram::Error>& err, std::size_t) {
    results.push_back(err ? err->code() : "ok");
  };
  std::vector<std::string> expected = {"b", "c"};
  std::string fromHosts = loopbackNameFromHostsFile();
  if (fromHosts.empty()) {
    WARN("partly skipped: " << hostsFilePath()
                            << " names no 127.x host besides localhost");
  } else {
    client->send("a", receiver.port, fromHosts, record);
    expected.insert(expected.begin(), "a");
  }
  auto start = std::chrono::steady_clock::now();
  client->send("b", receiver.port, "localhost", record);
  // Any case, but no trailing dot: getaddrinfo asks DNS for "localhost."
  // (test/node_address/table.tsv), and so does dgram.
  client->send("c", receiver.port, "LocalHost", record);
  REQUIRE(test::runUntil(
      loop, [&] { return receiver.payloads.size() == expected.size(); }, 5s));
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  CHECK(receiver.payloads == expected);
  client->close();
  receiver.socket->close();
  CHECK(test::runUntilIdle(loop));
  CHECK(results == std::vector<std::string>(expected.size(), "ok"));
}

TEST_CASE("resolver options are checked like dns.setServers",
          "[dns][options]") {
  dgram::Loop loop;
  auto expectInvalid = [&](const std::string& server) {
    dgram::ResolverOptions options;
    options.servers = {server};
    try {
      loop.setResolverOptions(options);
      FAIL("accepted " << server);
    } catch (const dgram::Error& error) {
      CHECK(error.code() == "ERR_INVALID_IP_ADDRESS");
      CHECK(std::string(error.what()) == "Invalid IP address: " + server);
    }
  };
  for (const char* bad :
       {"", "localhost", "1.2.3", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:x",
        "[::1", "[::1]x", "::1:53:", "[1.2.3.4]:53x"}) {
    expectInvalid(bad);
  }
  dgram::ResolverOptions good;
  good.servers = {"127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:53", "[::1]"};
  CHECK_NOTHROW(loop.setResolverOptions(good));
  dgram::ResolverOptions negative;
  negative.timeout = -1ms;
  CHECK_THROWS_AS(loop.setResolverOptions(negative), dgram::Error);
}

TEST_CASE("without c-ares, names other than localhost fail clearly",
          "[dns][nocares]") {
  if (kWithCares) {
    SUCCEED("built with c-ares: covered by the tests above");
    return;
  }
  dgram::Loop loop;
  auto client = test::makeSocket(loop);
  std::optional<dgram::Error> error;
  client->send("x", 9, "example.invalid",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 error = err;
               });
  REQUIRE(test::runUntil(loop, [&] { return error.has_value(); }));
  CHECK(error->code() == "ENOTSUP");
  CHECK(error->syscall() == "getaddrinfo");
  CHECK(std::string(error->what()).find("DGRAM_WITH_CARES=ON") !=
        std::string::npos);
  client->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("c-ares' timer is re-armed in place and not re-added per event",
          "[dns][timer]") {
  // The glue used to cancel its loop timer and add a new one on every
  // c-ares event (each query sent, each socket readiness, each timeout).
  // Now one timer lives while lookups are in flight and only moves.
  test::DnsServer server(testHosts(8));
  REQUIRE_DNS_SERVER(server);
  dgram::Loop loop;
  useServer(loop, server.address());
  Receiver receiver(loop, dgram::Type::udp4);
  auto client = test::makeSocket(loop);
  int callbacks = 0;
  const std::uint64_t before = coreOf(loop).timers().issued();
  for (int i = 0; i < 8; ++i) {
    client->send("x", receiver.port, name("host" + std::to_string(i)),
                 [&](const std::optional<dgram::Error>& err, std::size_t) {
                   CHECK_FALSE(err);
                   ++callbacks;
                 });
  }
  REQUIRE(test::runUntil(loop, [&] { return callbacks == 8; }));
  REQUIRE(test::runUntil(loop, [&] { return receiver.payloads.size() == 8; }));
  // 8 queries sent and 8+ answers read: before, at least 16 timers.
  CHECK(coreOf(loop).timers().issued() - before <= 2);
  client->close();
  receiver.socket->close();
  CHECK(test::runUntilIdle(loop));
}
