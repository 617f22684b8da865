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
enum class Type {
  udp4,  ///< IPv4 (`'udp4'`)
  udp6   ///< IPv6 (`'udp6'`)
};

/// Address family, as Node's `'IPv4'` / `'IPv6'` strings.
enum class Family {
  IPv4,  ///< `'IPv4'`
  IPv6   ///< `'IPv6'`
};

/// "IPv4" or "IPv6".
constexpr std::string_view to_string(Family family) noexcept {
  return family == Family::IPv4 ? "IPv4" : "IPv6";
}
/// "udp4" or "udp6".
constexpr std::string_view to_string(Type type) noexcept {
  return type == Type::udp4 ? "udp4" : "udp6";
}
/// Writes "IPv4" or "IPv6".
inline std::ostream& operator<<(std::ostream& out, Family family) {
  return out << to_string(family);
}

/// A textual IP address with an optional zone (`fe80::1%eth0`), stored
/// inline so that delivering a datagram never allocates. Converts to
/// `std::string_view` and `std::string` (`std::string who =
/// rinfo.address`), joins strings with `+` (`rinfo.address + ":"`),
/// compares with strings directly and prints with `<<`.
class IpString {
 public:
  /// Longest IPv6 text (45) + '%' + a zone (interface names are short on
  /// every platform; 16 on Linux) + NUL, rounded up.
  static constexpr std::size_t kCapacity = 72;

  /// Empty text.
  IpString() noexcept = default;
  /// Keeps at most kCapacity - 1 bytes of `text`.
  IpString(std::string_view text) noexcept { assign(text); }  // NOLINT
  /// Keeps at most kCapacity - 1 bytes of a NUL-terminated `text`.
  IpString(const char* text) noexcept  // NOLINT
      : IpString(std::string_view(text)) {}

  /// Replaces the text (at most kCapacity - 1 bytes are kept).
  void assign(std::string_view text) noexcept {
    size_ = text.size() < kCapacity ? text.size() : kCapacity - 1;
    for (std::size_t i = 0; i < size_; ++i)
      text_[i] = text[i];
    text_[size_] = '\0';
  }
  /// The text, without copying.
  std::string_view view() const noexcept { return {text_, size_}; }
  /// The text, without copying.
  operator std::string_view() const noexcept { return view(); }  // NOLINT
  /// A copy of the text.
  operator std::string() const { return str(); }  // NOLINT
  /// The text, NUL-terminated.
  const char* c_str() const noexcept { return text_; }
  /// A copy of the text.
  std::string str() const { return std::string(view()); }
  /// Length of the text in bytes.
  std::size_t size() const noexcept { return size_; }
  /// Whether the text is empty.
  bool empty() const noexcept { return size_ == 0; }

  /// Text comparison with an IpString, std::string_view, C string or
  /// std::string on either side.
  ///@{
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
  ///@}
  /// The text joined with a string, as a std::string.
  ///@{
  friend std::string operator+(const IpString& a, const IpString& b) {
    return a.str().append(b.view());
  }
  friend std::string operator+(const IpString& a, std::string_view b) {
    return a.str().append(b);
  }
  friend std::string operator+(std::string_view a, const IpString& b) {
    return std::string(a).append(b.view());
  }
  friend std::string operator+(const IpString& a, const char* b) {
    return a.str().append(b);
  }
  friend std::string operator+(const char* a, const IpString& b) {
    return std::string(a).append(b.view());
  }
  friend std::string operator+(const IpString& a, const std::string& b) {
    return a.str().append(b);
  }
  friend std::string operator+(const std::string& a, const IpString& b) {
    return std::string(a).append(b.view());
  }
  ///@}
  /// Writes the text.
  friend std::ostream& operator<<(std::ostream& out, const IpString& ip) {
    return out << ip.view();
  }

 private:
  char text_[kCapacity] = {};
  std::size_t size_ = 0;
};

/// What `socket.address()` and `socket.remoteAddress()` return.
struct AddressInfo {
  /// The IP address as text (IPv6 link-local with its zone).
  IpString address;
  /// IPv4 or IPv6.
  Family family = Family::IPv4;
  /// The port, 0..65535.
  int port = 0;
};

/// Writes it as Node's console.log does: `{ address: '127.0.0.1', family:
/// 'IPv4', port: 41234 }`.
inline std::ostream& operator<<(std::ostream& out, const AddressInfo& info) {
  return out << "{ address: '" << info.address << "', family: '" << info.family
             << "', port: " << info.port << " }";
}

/// What a 'message' listener receives beside the payload.
struct RemoteInfo {
  /// The sender's IP address as text: `fe80::1%eth0` for a link-local
  /// IPv6 sender on POSIX (interface name), `fe80::1%3` on Windows (index).
  IpString address;
  /// IPv4 or IPv6.
  Family family = Family::IPv4;
  /// The sender's port.
  int port = 0;
  /// The datagram's size in bytes.
  std::size_t size = 0;

  // Beyond Node: filled only for a socket created with the option named,
  // where the platform reports it (Socket::kernelFeatures() tells).

  /// SocketOptions::recvPktInfo: the local address the datagram was sent
  /// to (what a socket bound to the any-address with several addresses
  /// answers from: `SendFrom(rinfo)`). On a dual-stack udp6 socket an
  /// IPv4 destination reads as its IPv4-mapped IPv6 form, as its senders
  /// do. Empty otherwise.
  IpString localAddress;
  /// SocketOptions::recvPktInfo: the index of the interface it came in on
  /// (`if_nametoindex`); 0 otherwise.
  std::uint32_t interfaceIndex = 0;
  /// SocketOptions::recvTos: the IPv4 TOS / IPv6 traffic class byte it
  /// carried, 0..255; its two low bits are the ECN field (`tos & 3`: 0 not
  /// ECN-capable, 1 or 2 ECN-capable, 3 congestion experienced). -1
  /// otherwise.
  int tos = -1;
};

/// Writes what Node's console.log shows of it: `{ address: '127.0.0.1',
/// family: 'IPv4', port: 41234, size: 5 }`.
inline std::ostream& operator<<(std::ostream& out, const RemoteInfo& info) {
  return out << "{ address: '" << info.address << "', family: '" << info.family
             << "', port: " << info.port << ", size: " << info.size << " }";
}

}  // namespace dgram
