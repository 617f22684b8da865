// A real DNS server for tests: dnsmasq on 127.0.0.1 and a free port,
// answering from a hosts file the test writes, NXDOMAIN for other names
// under the test domain, and nothing else (no upstream, no system files).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace test {

class DnsServer {
 public:
  /// `hosts`: (address, name) pairs served as A / AAAA records.
  explicit DnsServer(
      const std::vector<std::pair<std::string, std::string>>& hosts);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  /// Whether dnsmasq is installed; tests skip visibly without it.
  static bool available();
  /// Whether the server started and answers.
  bool running() const { return pid_ > 0; }
  /// "127.0.0.1:<port>", for dgram::ResolverOptions::servers.
  std::string address() const;
  int port() const { return port_; }
  /// Why it is not running (for the skip message).
  const std::string& problem() const { return problem_; }

 private:
  int pid_ = -1;
  int port_ = 0;
  std::string dir_;
  std::string problem_;
};

/// The domain the test server is authoritative for.
inline constexpr const char* kTestDomain = "dgram.test";

/// A UDP socket on 127.0.0.1 that never answers: a dead DNS server.
class SilentServer {
 public:
  SilentServer();
  ~SilentServer();
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  std::string address() const;
  /// How many queries arrived since the last call (they are read, never
  /// answered).
  std::size_t takeQueries();

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace test
