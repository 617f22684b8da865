// Zone ids on Windows: the interface index in decimal, as Node prints
// them there (fe80::1%3). Common code parses a decimal zone itself; a
// name is looked up as Windows names interfaces (if_nametoindex takes the
// NDIS name, e.g. "ethernet_32768"), and 0 means unknown.
// Layer: platform (IOCP).
#include <charconv>
#include <cstring>
#include <string>

#include "common/platform_socket.hpp"
#include "win32/winsock.hpp"

// After winsock.hpp: iphlpapi.h needs the Winsock types first.
#include <iphlpapi.h>
#include <netioapi.h>

namespace dgram::detail {

std::uint32_t zoneToIndex(std::string_view zone) {
  if (zone.empty() || zone.size() >= 256) return 0;
  std::uint32_t index = 0;
  auto [end, ec] =
      std::from_chars(zone.data(), zone.data() + zone.size(), index);
  if (ec == std::errc() && end == zone.data() + zone.size()) return index;
  if (zone.find('\0') != std::string_view::npos) return 0;
  std::string name(zone);
  return static_cast<std::uint32_t>(::if_nametoindex(name.c_str()));
}

std::size_t indexToZone(std::uint32_t index, char* out, std::size_t cap) {
  char digits[16];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, index);
  if (ec != std::errc()) return 0;
  std::size_t length = static_cast<std::size_t>(end - digits);
  if (length > cap) return 0;
  std::memcpy(out, digits, length);
  return length;
}

}  // namespace dgram::detail
