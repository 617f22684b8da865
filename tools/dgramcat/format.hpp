// How dgramcat prints datagrams: one line each, payload escaped so that
// any bytes stay on that line and cannot drive the terminal.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "dgram/address.hpp"
#include "dgramcat/options.hpp"

namespace dgramcat {

/// `bytes` with printable ASCII kept and everything else escaped:
/// \n \r \t \\ and \xHH (lowercase hex) for the other bytes.
std::string escapeBytes(std::string_view bytes);

/// "127.0.0.1:5000" or, for IPv6, "[::1]:5000".
std::string formatEndpoint(std::string_view address, dgram::Family family,
                           int port);

/// A sender as formatEndpoint writes it, IPv4-mapped IPv6 as IPv4.
std::string formatPeer(const dgram::RemoteInfo& rinfo);

/// One datagram, without newline:
/// "127.0.0.1:5000 (IPv4, 5 bytes): hello".
std::string formatDatagram(std::string_view payload,
                           const dgram::RemoteInfo& rinfo);

}  // namespace dgramcat

namespace dgramcat {

/// The payload as lines of "OFFSET  16 hex bytes  |ascii|", each ending
/// in a newline ("" for an empty payload).
std::string formatHexDump(std::string_view payload);

/// One received datagram as dgramcat writes it to stdout: the raw
/// payload, a header line with the escaped payload, or a header line and
/// a hex dump; `timestamp` prefixes the header line with the time.
std::string renderDatagram(Output output, bool timestamp,
                           std::string_view payload,
                           const dgram::RemoteInfo& rinfo,
                           std::chrono::system_clock::time_point when);

/// "2026-12-02T03:04:05.123456Z": a UTC time of day with microseconds.
std::string formatTimestamp(std::chrono::system_clock::time_point when);

}  // namespace dgramcat
