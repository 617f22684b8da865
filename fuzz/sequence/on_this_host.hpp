// The sequence fuzzer's choices that keep its traffic on this host:
// multicast groups are joined on lo only (an unnamed interface would let
// the kernel pick another, and send membership reports there), and a
// SendFrom source is lo's, one the host does not have (refused by the
// kernel), or an interface that does not exist. Nothing is ever sent to a
// group; destinations are loopback.
#pragma once

#include <deque>
#include <string>

#include "../fuzz_support.hpp"

namespace seq {

/// Groups by choice: 0 a link-local group, 1 a source-specific one, 2 an
/// address that is no group, 3 fuzzed text.
inline std::string groupFor(unsigned choice, dgram::Type type,
                            const std::string& fuzzed) {
  bool v4 = type == dgram::Type::udp4;
  switch (choice) {
    case 0:
      return v4 ? "224.0.0.114" : "ff02::114";
    case 1:
      return v4 ? "232.1.1.1" : "ff3e::8000:1";
    case 2:
      return v4 ? "127.0.0.1" : "::1";
    default:
      return fuzzed;
  }
}

/// Joins or leaves `group` on lo (source-specific: from `type`'s loopback).
/// Throws what the socket throws.
inline void membershipOnLo(dgram::Socket& socket, dgram::Type type,
                           const std::string& group, bool join,
                           bool sourceSpecific) {
  // lo, in the family of the group (a udp6 socket may join IPv4 groups).
  bool v4Group = fuzz::osParseIp(group, dgram::Family::IPv4).has_value() ||
                 type == dgram::Type::udp4;
  std::string iface = v4Group ? "127.0.0.1" : "::%lo";
  std::string source = fuzz::loopbackText(type);
  if (sourceSpecific && join)
    socket.addSourceSpecificMembership(source, group, iface);
  else if (sourceSpecific)
    socket.dropSourceSpecificMembership(source, group, iface);
  else if (join)
    socket.addMembership(group, iface);
  else
    socket.dropMembership(group, iface);
}

/// A source not this host's: the kernel refuses the send (and the
/// destination is loopback anyway).
inline dgram::SendFrom foreignSource(dgram::Type type) {
  return dgram::SendFrom(type == dgram::Type::udp4 ? "198.18.0.1"
                                                   : "2001:db8::1");
}

/// SendFrom by choice: 0 the system's, 1 the loopback address, 2 another
/// of 127/8 through lo's index, 3 a foreign source, 4 an interface that
/// does not exist, 5 the arrival of the newest kept message (if any).
inline dgram::SendFrom sourceFor(unsigned choice, dgram::Type type,
                                 const std::deque<dgram::SendFrom>& kept) {
  bool v4 = type == dgram::Type::udp4;
  switch (choice) {
    case 0:
      return {};
    case 1:
      return dgram::SendFrom(v4 ? "127.0.0.1" : "::1");
    case 2:
      return dgram::SendFrom(v4 ? "127.0.0.2" : "::1", fuzz::loopbackIndex());
    case 3:
      return foreignSource(type);
    case 4:
      return dgram::SendFrom(v4 ? "127.0.0.1" : "::1", 0x7fffff01u);
    default:
      return kept.empty() ? dgram::SendFrom() : kept.back();
  }
}

}  // namespace seq
