// Zone ids on POSIX: interface names, as Node prints them (fe80::1%eth0).
// Layer: platform (readiness backends).
#include <net/if.h>

#include <cstring>
#include <string>

#include "common/platform_socket.hpp"

namespace dgram::detail {

std::uint32_t zoneToIndex(std::string_view zone) {
  if (zone.empty() || zone.size() >= IF_NAMESIZE) return 0;
  // if_nametoindex would stop at a NUL: "lo\0junk" is not "lo".
  if (zone.find('\0') != std::string_view::npos) return 0;
  char name[IF_NAMESIZE] = {};
  std::memcpy(name, zone.data(), zone.size());
  return ::if_nametoindex(name);
}

std::size_t indexToZone(std::uint32_t index, char* out, std::size_t cap) {
  char name[IF_NAMESIZE] = {};
  if (::if_indextoname(index, name) == nullptr) return 0;
  std::size_t length = std::strlen(name);
  if (length > cap) return 0;
  std::memcpy(out, name, length);
  return length;
}

}  // namespace dgram::detail
