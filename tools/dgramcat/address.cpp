#include "dgramcat/address.hpp"

#include <cstdint>
#include <vector>

namespace dgramcat {
namespace {

// One inet_aton part: decimal, 0-prefixed octal or 0x-prefixed hex.
bool parsePart(std::string_view part, std::uint64_t& value) {
  if (part.empty()) return false;
  unsigned base = 10;
  if (part.size() > 1 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
    base = 16;
    part.remove_prefix(2);
    if (part.empty()) return false;
  } else if (part.size() > 1 && part[0] == '0') {
    base = 8;
    part.remove_prefix(1);
  }
  value = 0;
  for (const char c : part) {
    unsigned digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return false;
    }
    if (digit >= base) return false;
    value = value * base + digit;
    if (value > 0xffffffffu) return false;
  }
  return true;
}

}  // namespace

bool isDottedQuad(std::string_view text) {
  int parts = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto dot = text.find('.', start);
    if (dot == std::string_view::npos) dot = text.size();
    const auto part = text.substr(start, dot - start);
    if (part.empty() || part.size() > 3) return false;
    if (part.size() > 1 && part[0] == '0') return false;
    int value = 0;
    for (const char c : part) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
    ++parts;
    start = dot + 1;
  }
  return parts == 4;
}

std::optional<std::string> expandIPv4(std::string_view text) {
  std::vector<std::uint64_t> parts;
  std::size_t start = 0;
  while (true) {
    if (parts.size() == 4) return std::nullopt;
    auto dot = text.find('.', start);
    const bool last = dot == std::string_view::npos;
    if (last) dot = text.size();
    std::uint64_t value = 0;
    if (!parsePart(text.substr(start, dot - start), value)) return std::nullopt;
    parts.push_back(value);
    if (last) break;
    start = dot + 1;
  }
  // All parts but the last are one byte; the last fills the rest.
  std::uint64_t address = 0;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i] > 255) return std::nullopt;
    address |= parts[i] << (8 * (3 - i));
  }
  const unsigned restBits = 8 * static_cast<unsigned>(5 - parts.size());
  if (restBits < 32 && parts.back() >> restBits) return std::nullopt;
  address |= parts.back();
  return std::to_string(address >> 24) + "." +
         std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." +
         std::to_string(address & 0xff);
}

bool looksIPv6(std::string_view text) {
  return text.find(':') != std::string_view::npos;
}

bool isMulticastLiteral(std::string_view text) {
  if (looksIPv6(text)) {
    return text.size() >= 3 && (text[0] == 'f' || text[0] == 'F') &&
           (text[1] == 'f' || text[1] == 'F') && text[2] != ':';
  }
  if (!isDottedQuad(text)) return false;
  const int first = std::stoi(std::string(text.substr(0, text.find('.'))));
  return first >= 224 && first <= 239;
}

std::string_view unmapIPv4(std::string_view address) {
  constexpr std::string_view kPrefix = "::ffff:";
  if (address.size() > kPrefix.size() &&
      address.substr(0, kPrefix.size()) == kPrefix &&
      isDottedQuad(address.substr(kPrefix.size()))) {
    return address.substr(kPrefix.size());
  }
  return address;
}

}  // namespace dgramcat
