// How dgramcat prints datagrams: one line each, payload escaped so that
// any bytes stay on that line and cannot drive the terminal.
#pragma once

#include <string>
#include <string_view>

#include "dgram/address.hpp"

namespace dgramcat {

/// `bytes` with printable ASCII kept and everything else escaped:
/// \n \r \t \\ and \xHH (lowercase hex) for the other bytes.
std::string escapeBytes(std::string_view bytes);

/// "127.0.0.1:5000" or, for IPv6, "[::1]:5000".
std::string formatEndpoint(std::string_view address, dgram::Family family,
                           int port);

/// One datagram, without newline:
/// "127.0.0.1:5000 (IPv4, 5 bytes): hello".
std::string formatDatagram(std::string_view payload,
                           const dgram::RemoteInfo& rinfo);

}  // namespace dgramcat
