#include "dgramcat/format.hpp"

namespace dgramcat {

std::string escapeBytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    switch (byte) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (byte >= 0x20 && byte < 0x7f) {
          out += c;
        } else {
          out += "\\x";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        }
    }
  }
  return out;
}

std::string formatEndpoint(std::string_view address, dgram::Family family,
                           int port) {
  std::string out;
  if (family == dgram::Family::IPv6) {
    out += '[';
    out += address;
    out += ']';
  } else {
    out += address;
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

std::string formatDatagram(std::string_view payload,
                           const dgram::RemoteInfo& rinfo) {
  std::string out = formatEndpoint(rinfo.address, rinfo.family, rinfo.port);
  out += " (";
  out += dgram::to_string(rinfo.family);
  out += ", ";
  out += std::to_string(rinfo.size);
  out += rinfo.size == 1 ? " byte): " : " bytes): ";
  out += escapeBytes(payload);
  return out;
}

}  // namespace dgramcat
