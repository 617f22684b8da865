#include "dgramcat/flood.hpp"

#include "dgramcat/options.hpp"

namespace dgramcat {
namespace {

constexpr std::string_view kData = "DGF1";
constexpr std::string_view kEnd = "DGFE";
constexpr std::string_view kReport = "DGFR";

void putNumber(std::string& out, std::uint64_t number) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out += static_cast<char>((number >> shift) & 0xff);
  }
}

std::optional<std::uint64_t> getNumber(std::string_view payload,
                                       std::string_view magic,
                                       std::size_t at = 4) {
  if (payload.size() < at + 8 || payload.substr(0, 4) != magic) {
    return std::nullopt;
  }
  std::uint64_t number = 0;
  for (std::size_t i = at; i < at + 8; ++i) {
    number = (number << 8) | static_cast<unsigned char>(payload[i]);
  }
  return number;
}

}  // namespace

void makeFloodDatagram(std::string& out, std::uint64_t number,
                       std::size_t size) {
  out.assign(kData);
  putNumber(out, number);
  if (size > out.size()) out.resize(size, '.');
}

std::optional<std::uint64_t> floodNumber(std::string_view payload) {
  return getNumber(payload, kData);
}

std::string makeFloodEnd(std::uint64_t sent) {
  std::string out(kEnd);
  putNumber(out, sent);
  return out;
}

std::optional<std::uint64_t> floodEnd(std::string_view payload) {
  if (payload.size() != 12) return std::nullopt;
  return getNumber(payload, kEnd);
}

std::string makeFloodReport(std::uint64_t received, std::uint64_t lost,
                            std::uint64_t reordered) {
  std::string out(kReport);
  putNumber(out, received);
  putNumber(out, lost);
  putNumber(out, reordered);
  return out;
}

std::optional<FloodReport> floodReport(std::string_view payload) {
  if (payload.size() != 28) return std::nullopt;
  const auto received = getNumber(payload, kReport, 4);
  const auto lost = getNumber(payload, kReport, 12);
  const auto reordered = getNumber(payload, kReport, 20);
  if (!received || !lost || !reordered) return std::nullopt;
  return FloodReport{*received, *lost, *reordered};
}

}  // namespace dgramcat
