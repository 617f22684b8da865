// Shared by the fuzz targets: a decoder that turns fuzz bytes into typed
// values, an OS-based oracle for address text, and the loopback-only rules
// that keep the socket targets from ever sending anywhere but this host.
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "common/ip_address.hpp"
#include "dgram/dgram.hpp"

namespace fuzz {

/// Reads typed values from the fuzz input, front to back. Past the end it
/// yields zeros and empty strings, so every input decodes to something.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size)
      : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool flag() { return (byte() & 1) != 0; }
  /// One of `n` choices.
  unsigned pick(unsigned n) { return byte() % n; }
  template <typename T>
  T integer() {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      value |= static_cast<std::uint64_t>(byte()) << (8 * i);
    return static_cast<T>(value);
  }
  /// A length byte, then up to that many bytes.
  std::string string() {
    // The length byte first, in its own statement: as an argument of
    // std::min its read could be sequenced after `size_ - pos_`.
    std::size_t wanted = byte();
    std::size_t n = std::min(wanted, size_ - pos_);
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }
  /// Whatever is left.
  std::string rest() {
    std::size_t start = pos_;
    pos_ = size_;
    return std::string(reinterpret_cast<const char*>(data_ + start),
                       size_ - start);
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

/// Stops the run with a message: libFuzzer saves the input as a crash.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz check failed: %s\n", what.c_str());
  std::abort();
}
inline void check(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

/// Number of open file descriptors (leak checks around one input).
inline int openFdCount() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int count = 0;
  while (::readdir(dir) != nullptr)
    ++count;
  ::closedir(dir);
  return count - 3;  // ".", ".." and the DIR's own descriptor
}

// --- the oracle: what the OS says an address text means --------------------

/// inet_pton for one family, on text that must not hold a NUL (inet_pton
/// would stop at it).
inline bool osParse(std::string_view text, int af, std::uint8_t* out) {
  if (text.find('\0') != std::string_view::npos) return false;
  std::string copy(text);
  return ::inet_pton(af, copy.c_str(), out) == 1;
}

/// The zone rule the library documents (ip_address.hpp): decimal digits
/// that fit in 32 bits are an index, anything else an interface name that
/// if_nametoindex must know. With `anyName` every name is accepted (the
/// syntax-only check of isIpLiteral).
inline bool osZone(std::string_view zone, bool anyName, std::uint32_t& out) {
  if (zone.empty()) return false;
  bool digits = zone.find_first_not_of("0123456789") == std::string_view::npos;
  if (digits) {
    std::uint64_t value = 0;
    for (char c : zone) {
      value = value * 10 + static_cast<unsigned>(c - '0');
      if (value > UINT32_MAX) return false;
    }
    out = static_cast<std::uint32_t>(value);
    return true;
  }
  if (anyName) return true;
  if (zone.find('\0') != std::string_view::npos) return false;
  std::string name(zone);
  out = ::if_nametoindex(name.c_str());
  return out != 0;
}

/// The whole expected result of parseIp(text, family, zoneToIndex).
inline std::optional<dgram::detail::IpAddress> osParseIp(std::string_view text,
                                                         dgram::Family family,
                                                         bool anyName = false) {
  using dgram::detail::IpAddress;
  if (text.size() >= dgram::detail::kMaxIpText) return std::nullopt;
  IpAddress ip;
  ip.family = family;
  if (family == dgram::Family::IPv4) {
    if (!osParse(text, AF_INET, ip.bytes.data())) return std::nullopt;
    return ip;
  }
  std::size_t percent = text.find('%');
  if (!osParse(text.substr(0, percent), AF_INET6, ip.bytes.data()))
    return std::nullopt;
  if (percent != std::string_view::npos &&
      !osZone(text.substr(percent + 1), anyName, ip.scopeId))
    return std::nullopt;
  return ip;
}

/// Whether text is an address literal of either family (zone names unchecked).
inline bool osIsLiteral(std::string_view text) {
  return osParseIp(text, dgram::Family::IPv4, true) ||
         osParseIp(text, dgram::Family::IPv6, true);
}

// --- loopback only -----------------------------------------------------------

/// 127.0.0.0/8, ::1 and ::ffff:127.x.x.x: addresses that never leave the host.
inline bool isLoopback(const dgram::detail::IpAddress& ip) {
  const auto& b = ip.bytes;
  if (ip.family == dgram::Family::IPv4) return b[0] == 127;
  static const std::uint8_t kMapped[12] = {0, 0, 0, 0, 0,    0,
                                           0, 0, 0, 0, 0xff, 0xff};
  static const std::uint8_t kOne[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                        0, 0, 0, 0, 0, 0, 0, 1};
  if (std::memcmp(b.data(), kMapped, 12) == 0) return b[12] == 127;
  return std::memcmp(b.data(), kOne, 16) == 0;
}

inline const char* loopbackText(dgram::Type type) {
  return type == dgram::Type::udp4 ? "127.0.0.1" : "::1";
}

/// The loopback interface's index (what a source may name).
inline std::uint32_t loopbackIndex() {
  static const std::uint32_t index = if_nametoindex("lo");
  return index;
}

/// Whether ::1 can be bound here (the IPv6 halves skip themselves if not).
inline bool haveIPv6() {
  static const bool have = [] {
    int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0) return false;
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    ::close(fd);
    return ok;
  }();
  return have;
}

/// Raw sockets on 127.0.0.1:P and [::1]:P (same P) that every datagram the
/// socket targets send ends up at: valid ports in fuzz input are replaced
/// by P so that nothing else listening on this machine gets disturbed.
/// Created once per process; drain() empties them between inputs.
class Sink {
 public:
  static Sink& get() {
    static Sink sink;
    return sink;
  }
  int port() const { return port_; }
  void drain() {
    char buffer[65536];
    for (int fd : {fd4_, fd6_}) {
      while (fd >= 0 && ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) >= 0) {
      }
    }
  }

 private:
  Sink() {
    for (int attempt = 0; attempt < 100 && port_ == 0; ++attempt) {
      fd4_ = ::socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof sa;
      if (::bind(fd4_, reinterpret_cast<sockaddr*>(&sa), len) != 0 ||
          ::getsockname(fd4_, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
        fail("cannot bind the IPv4 sink");
      int port = ntohs(sa.sin_port);
      if (haveIPv6()) {
        fd6_ = ::socket(AF_INET6, SOCK_DGRAM, 0);
        int one = 1;
        ::setsockopt(fd6_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        sockaddr_in6 sa6{};
        sa6.sin6_family = AF_INET6;
        sa6.sin6_addr = in6addr_loopback;
        sa6.sin6_port = htons(static_cast<std::uint16_t>(port));
        if (::bind(fd6_, reinterpret_cast<sockaddr*>(&sa6), sizeof sa6) != 0) {
          ::close(fd4_);
          ::close(fd6_);
          fd4_ = fd6_ = -1;
          continue;  // that port is taken on ::1: try another
        }
      }
      port_ = port;
    }
    if (port_ == 0) fail("cannot bind the sinks");
  }
  int fd4_ = -1;
  int fd6_ = -1;
  int port_ = 0;
};

/// A port from fuzz input: mostly a valid one (then the sink's), else any
/// int, which is kept only if it is out of range (so Node's checks see it).
inline int portFrom(Input& in) {
  if (in.flag()) return Sink::get().port();
  int raw = in.integer<std::int32_t>();
  return raw >= 1 && raw <= 65535 ? Sink::get().port() : raw;
}

/// The `dgram::Error` that `f` throws, or nothing. Anything else thrown
/// escapes and libFuzzer reports it.
template <typename F>
std::optional<dgram::Error> thrownBy(F&& f) {
  try {
    f();
  } catch (const dgram::Error& e) {
    return e;
  }
  return std::nullopt;
}

/// Checks that `got` is the expected outcome: no throw when `expected` is
/// empty, else an Error with that code.
inline void expectOutcome(const std::optional<dgram::Error>& got,
                          const std::string& expected,
                          const std::string& call) {
  if (expected.empty()) {
    check(!got, call + " threw " +
                    (got ? got->code() + ": " + got->what() : std::string()));
  } else {
    check(got.has_value(), call + " did not throw " + expected);
    check(got->code() == expected,
          call + " threw " + got->code() + " instead of " + expected);
  }
}

}  // namespace fuzz
