#include "dgramcat/format.hpp"

#include <cstdint>
#include <cstdio>
#include <ctime>

#include "dgramcat/address.hpp"

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

std::string formatPeer(const dgram::RemoteInfo& rinfo) {
  const auto address = unmapIPv4(rinfo.address.view());
  const bool mapped = address.size() != rinfo.address.size();
  return formatEndpoint(address, mapped ? dgram::Family::IPv4 : rinfo.family,
                        rinfo.port);
}

std::string formatDatagram(std::string_view payload,
                           const dgram::RemoteInfo& rinfo) {
  // A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d: shown as IPv4.
  const auto address = unmapIPv4(rinfo.address.view());
  const bool mapped = address.size() != rinfo.address.size();
  const auto family = mapped ? dgram::Family::IPv4 : rinfo.family;
  std::string out = formatEndpoint(address, family, rinfo.port);
  out += " (";
  out += dgram::to_string(family);
  out += ", ";
  out += std::to_string(rinfo.size);
  out += rinfo.size == 1 ? " byte): " : " bytes): ";
  out += escapeBytes(payload);
  return out;
}

std::string formatHexDump(std::string_view payload) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t line = 0; line < payload.size(); line += 16) {
    char offset[32];
    std::snprintf(offset, sizeof offset, "%08zx  ", line);
    out += offset;
    std::string ascii;
    for (std::size_t i = line; i < line + 16; ++i) {
      if (i < payload.size()) {
        const auto byte = static_cast<unsigned char>(payload[i]);
        out += kHex[byte >> 4];
        out += kHex[byte & 0xf];
        out += ' ';
        ascii += byte >= 0x20 && byte < 0x7f ? static_cast<char>(byte) : '.';
      } else {
        out += "   ";
      }
      if (i == line + 7) out += ' ';
    }
    out += " |" + ascii + "|\n";
  }
  return out;
}

std::string formatTimestamp(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto micros =
      duration_cast<microseconds>(when.time_since_epoch()).count();
  const auto seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
#ifdef _WIN32
  gmtime_s(&utc, &seconds);
#else
  gmtime_r(&seconds, &utc);
#endif
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                utc.tm_min, utc.tm_sec, static_cast<int>(micros % 1000000));
  return text;
}

std::string renderDatagram(Output output, bool timestamp,
                           std::string_view payload,
                           const dgram::RemoteInfo& rinfo,
                           std::chrono::system_clock::time_point when) {
  if (output == Output::raw) return std::string(payload);
  std::string out;
  if (timestamp) out = formatTimestamp(when) + " ";
  if (output == Output::lines) {
    out += formatDatagram(payload, rinfo);
    out += '\n';
    return out;
  }
  // Hex: the header without the payload, then the dump.
  dgram::RemoteInfo header = rinfo;
  out += formatDatagram({}, header);
  while (!out.empty() && out.back() == ' ')
    out.pop_back();  // "...): "
  out += '\n';
  out += formatHexDump(payload);
  return out;
}

}  // namespace dgramcat
