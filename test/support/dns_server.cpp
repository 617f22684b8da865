#include "support/dns_server.hpp"

#ifdef _WIN32
// Windows (wine): dnsmasq does not run here. ci/windows-wine.sh starts one
// on the Linux side of wine (same loopback) and names it in the
// environment: DGRAM_TEST_DNS_SERVER ("127.0.0.1:<port>") and
// DGRAM_TEST_DNS_HOSTS (the hosts file it serves). A test whose hosts that
// server does not serve, or a run without it, skips visibly. The silent
// server is a plain Winsock socket.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
// clang-format on

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace test {
namespace {

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

}  // namespace

bool DnsServer::available() {
  return environment("DGRAM_TEST_DNS_SERVER") != nullptr;
}

DnsServer::DnsServer(
    const std::vector<std::pair<std::string, std::string>>& hosts) {
  const char* server = environment("DGRAM_TEST_DNS_SERVER");
  const char* hostsFile = environment("DGRAM_TEST_DNS_HOSTS");
  if (!server || !hostsFile) {
    problem_ =
        "dnsmasq does not run on Windows, and no shared test DNS server is "
        "set (DGRAM_TEST_DNS_SERVER, DGRAM_TEST_DNS_HOSTS: see "
        "ci/windows-wine.sh)";
    return;
  }
  std::string address = server;
  auto colon = address.rfind(':');
  if (address.rfind("127.0.0.1:", 0) != 0 || colon == std::string::npos) {
    problem_ = "DGRAM_TEST_DNS_SERVER is not 127.0.0.1:<port>: " + address;
    return;
  }
  // Every (address, name) the test needs must be in the server's file.
  std::set<std::pair<std::string, std::string>> served;
  std::ifstream in(hostsFile);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string ip, name;
    if (words >> ip >> name) served.emplace(ip, name);
  }
  for (const auto& host : hosts) {
    if (!served.count(host)) {
      problem_ = "the shared test DNS server does not serve " + host.first +
                 " " + host.second + " (" + hostsFile + ")";
      return;
    }
  }
  port_ = std::atoi(address.c_str() + colon + 1);
  if (port_ <= 0 || port_ > 65535) {
    problem_ = "DGRAM_TEST_DNS_SERVER has no port: " + address;
    port_ = 0;
    return;
  }
  pid_ = 1;  // running (not ours: the CI script owns the process)
}

DnsServer::~DnsServer() = default;

std::string DnsServer::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

SilentServer::SilentServer() {
  WSADATA data;
  ::WSAStartup(MAKEWORD(2, 2), &data);
  SOCKET s = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int length = sizeof sa;
  ::bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&sa), &length);
  port_ = ntohs(sa.sin_port);
  fd_ = static_cast<int>(s);
}

SilentServer::~SilentServer() {
  ::closesocket(static_cast<SOCKET>(fd_));
  ::WSACleanup();
}

std::string SilentServer::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::size_t SilentServer::takeQueries() {
  auto s = static_cast<SOCKET>(fd_);
  std::size_t count = 0;
  for (;;) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(s, &readable);
    timeval none{};
    if (::select(0, &readable, nullptr, nullptr, &none) <= 0) return count;
    char query[512];
    if (::recv(s, query, sizeof query, 0) < 0) return count;
    ++count;
  }
}

}  // namespace test

#else

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace test {
namespace {

const char* dnsmasqPath() {
  for (const char* path : {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return nullptr;
}

// A port that was free a moment ago (bind to 0, read it, release it).
int freeUdpPort() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof sa;
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &length);
  ::close(fd);
  return ntohs(sa.sin_port);
}

// Whether something is bound to 127.0.0.1:port (UDP).
bool portTaken(int port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  bool taken = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0;
  ::close(fd);
  return taken;
}

}  // namespace

bool DnsServer::available() {
  return dnsmasqPath() != nullptr;
}

DnsServer::DnsServer(
    const std::vector<std::pair<std::string, std::string>>& hosts) {
  const char* dnsmasq = dnsmasqPath();
  if (!dnsmasq) {
    problem_ = "dnsmasq is not installed (Debian: dnsmasq-base)";
    return;
  }
  char pattern[] = "/tmp/dgram-dns-XXXXXX";
  if (!::mkdtemp(pattern)) {
    problem_ = "cannot create a temporary directory";
    return;
  }
  dir_ = pattern;
  // dnsmasq drops privileges: let it read the hosts file.
  ::chmod(dir_.c_str(), 0755);
  std::string hostsFile = dir_ + "/hosts";
  {
    std::ofstream out(hostsFile);
    for (const auto& [address, name] : hosts)
      out << address << " " << name << "\n";
  }
  ::chmod(hostsFile.c_str(), 0644);

  // A few attempts: the free port may be taken between probe and start.
  for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
    port_ = freeUdpPort();
    std::vector<std::string> args = {
        dnsmasq,
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--port=" + std::to_string(port_),
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        "--no-negcache",
        "--pid-file=",
        "--addn-hosts=" + hostsFile,
        "--local=/" + std::string(kTestDomain) + "/",
    };
    pid_t pid = ::fork();
    if (pid == 0) {
      std::vector<char*> argv;
      for (auto& arg : args)
        argv.push_back(arg.data());
      argv.push_back(nullptr);
      // Quiet: dnsmasq logs to syslog or stderr only on errors.
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    pid_ = pid;
    // Up when its port is bound; bounded wait.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    bool up = false;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) break;  // it died
      if (portTaken(port_)) {
        up = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!up) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      problem_ = "dnsmasq did not start";
    }
  }
}

DnsServer::~DnsServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  if (!dir_.empty()) {
    std::string hostsFile = dir_ + "/hosts";
    ::unlink(hostsFile.c_str());
    ::rmdir(dir_.c_str());
  }
}

std::string DnsServer::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

SilentServer::SilentServer() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof sa;
  ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &length);
  port_ = ntohs(sa.sin_port);
}

SilentServer::~SilentServer() {
  ::close(fd_);
}

std::string SilentServer::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::size_t SilentServer::takeQueries() {
  std::size_t count = 0;
  char query[512];
  while (::recv(fd_, query, sizeof query, MSG_DONTWAIT) >= 0)
    ++count;
  return count;
}

}  // namespace test

#endif  // _WIN32
