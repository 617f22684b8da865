// Address families and the address records Node hands to users.
// Layer: public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace dgram {

/// Socket type, as `createSocket('udp4' | 'udp6')`.
enum class Type { udp4, udp6 };

/// Address family, as Node's `'IPv4'` / `'IPv6'` strings.
enum class Family { IPv4, IPv6 };

/// "IPv4" or "IPv6".
constexpr std::string_view to_string(Family family) noexcept {
  return family == Family::IPv4 ? "IPv4" : "IPv6";
}
/// "udp4" or "udp6".
constexpr std::string_view to_string(Type type) noexcept {
  return type == Type::udp4 ? "udp4" : "udp6";
}
inline std::ostream& operator<<(std::ostream& out, Family family) {
  return out << to_string(family);
}

/// A textual IP address with an optional zone (`fe80::1%eth0`), stored
/// inline so that delivering a datagram never allocates. Converts to
/// `std::string_view`; compare it with strings directly.
class IpString {
 public:
  /// Longest IPv6 text (45) + '%' + a zone (interface names are short on
  /// every platform; 16 on Linux) + NUL, rounded up.
  static constexpr std::size_t kCapacity = 72;

  IpString() noexcept = default;
  /// Keeps at most kCapacity - 1 bytes of `text`.
  IpString(std::string_view text) noexcept { assign(text); }  // NOLINT
  IpString(const char* text) noexcept                         // NOLINT
      : IpString(std::string_view(text)) {}

  void assign(std::string_view text) noexcept {
    size_ = text.size() < kCapacity ? text.size() : kCapacity - 1;
    for (std::size_t i = 0; i < size_; ++i)
      text_[i] = text[i];
    text_[size_] = '\0';
  }
  std::string_view view() const noexcept { return {text_, size_}; }
  operator std::string_view() const noexcept { return view(); }  // NOLINT
  const char* c_str() const noexcept { return text_; }
  std::string str() const { return std::string(view()); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  friend bool operator==(const IpString& a, const IpString& b) noexcept {
    return a.view() == b.view();
  }
  friend bool operator!=(const IpString& a, const IpString& b) noexcept {
    return !(a == b);
  }
  friend bool operator==(const IpString& a, std::string_view b) noexcept {
    return a.view() == b;
  }
  friend bool operator==(std::string_view a, const IpString& b) noexcept {
    return a == b.view();
  }
  friend bool operator!=(const IpString& a, std::string_view b) noexcept {
    return !(a == b);
  }
  friend bool operator!=(std::string_view a, const IpString& b) noexcept {
    return !(a == b);
  }
  friend bool operator==(const IpString& a, const char* b) noexcept {
    return a.view() == std::string_view(b);
  }
  friend bool operator==(const char* a, const IpString& b) noexcept {
    return std::string_view(a) == b.view();
  }
  friend bool operator!=(const IpString& a, const char* b) noexcept {
    return !(a == b);
  }
  friend bool operator!=(const char* a, const IpString& b) noexcept {
    return !(a == b);
  }
  friend bool operator==(const IpString& a, const std::string& b) noexcept {
    return a.view() == std::string_view(b);
  }
  friend bool operator==(const std::string& a, const IpString& b) noexcept {
    return std::string_view(a) == b.view();
  }
  friend bool operator!=(const IpString& a, const std::string& b) noexcept {
    return !(a == b);
  }
  friend bool operator!=(const std::string& a, const IpString& b) noexcept {
    return !(a == b);
  }
  friend std::ostream& operator<<(std::ostream& out, const IpString& ip) {
    return out << ip.view();
  }

 private:
  char text_[kCapacity] = {};
  std::size_t size_ = 0;
};

/// What `socket.address()` and `socket.remoteAddress()` return.
struct AddressInfo {
  IpString address;
  Family family = Family::IPv4;
  int port = 0;
};

/// What a 'message' listener receives beside the payload.
struct RemoteInfo {
  IpString address;
  Family family = Family::IPv4;
  int port = 0;
  std::size_t size = 0;
};

}  // namespace dgram
