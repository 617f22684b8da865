// --flood's datagrams: a 12-byte header (4 magic bytes, a 64-bit
// big-endian sequence number) padded to --size; an end marker that asks a
// dgramcat receiver for its counts; and the receiver's report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dgramcat {

/// A numbered datagram of `size` bytes (at least kFloodHeader).
void makeFloodDatagram(std::string& out, std::uint64_t number,
                       std::size_t size);

/// The number of a flood datagram, or nothing.
std::optional<std::uint64_t> floodNumber(std::string_view payload);

/// The end marker, carrying how many datagrams were sent.
std::string makeFloodEnd(std::uint64_t sent);
std::optional<std::uint64_t> floodEnd(std::string_view payload);

/// The receiver's answer to an end marker: what it got from that sender.
std::string makeFloodReport(std::uint64_t received, std::uint64_t lost,
                            std::uint64_t reordered);
struct FloodReport {
  std::uint64_t received = 0;
  std::uint64_t lost = 0;
  std::uint64_t reordered = 0;
};
std::optional<FloodReport> floodReport(std::string_view payload);

}  // namespace dgramcat
