#include "dgramcat/stats.hpp"

#include <cstdio>

#include "dgramcat/flood.hpp"

namespace dgramcat {

void SequenceTracker::add(std::uint64_t number) {
  if (numbered_ == 0) {
    first_ = highest_ = last_ = number;
    numbered_ = 1;
    return;
  }
  ++numbered_;
  if (number == last_) {
    ++duplicates_;
  } else if (number < highest_) {
    ++reordered_;
  }
  if (number > highest_) highest_ = number;
  if (number < first_) first_ = number;
  last_ = number;
}

std::uint64_t SequenceTracker::lost() const {
  if (numbered_ == 0) return 0;
  const std::uint64_t span = highest_ - first_ + 1;
  const std::uint64_t distinct = numbered_ - duplicates_;
  return distinct >= span ? 0 : span - distinct;
}

std::optional<std::uint64_t> sequenceNumber(std::string_view payload) {
  if (const auto number = floodNumber(payload)) return number;
  if (!payload.empty() && payload.back() == '\n') payload.remove_suffix(1);
  if (!payload.empty() && payload.back() == '\r') payload.remove_suffix(1);
  if (payload.empty() || payload.size() > 19) return std::nullopt;
  std::uint64_t number = 0;
  for (const char c : payload) {
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return number;
}

void Statistics::onReceived(std::string_view payload) {
  ++received.datagrams;
  received.bytes += payload.size();
  if (const auto number = sequenceNumber(payload)) sequence.add(*number);
}

std::string datagrams(std::uint64_t count) {
  return std::to_string(count) + (count == 1 ? " datagram" : " datagrams");
}

namespace {

double seconds(std::chrono::steady_clock::duration elapsed) {
  return std::chrono::duration<double>(elapsed).count();
}

std::string decimal(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

// Per second over `elapsed`, 0 when no time passed.
double perSecond(double amount, double elapsed) {
  return elapsed > 0 ? amount / elapsed : 0;
}

}  // namespace

std::string formatStatsText(const Statistics& stats,
                            std::chrono::steady_clock::duration elapsed) {
  const double s = seconds(elapsed);
  const auto& in = stats.received;
  const auto& out = stats.sent;
  const double total = static_cast<double>(in.datagrams + out.datagrams);
  const double bits = 8.0 * static_cast<double>(in.bytes + out.bytes);
  std::string text = "sent " + datagrams(out.datagrams) + " (" +
                     std::to_string(out.bytes) + " bytes), received " +
                     datagrams(in.datagrams) + " (" + std::to_string(in.bytes) +
                     " bytes) in " + decimal(s, 3) + " s (" +
                     decimal(perSecond(total, s), 1) + " datagrams/s, " +
                     decimal(perSecond(bits, s) / 1e6, 3) + " Mbit/s)";
  if (stats.sequence.numbered() != 0) {
    text += "; numbered: " + std::to_string(stats.sequence.lost()) + " lost, " +
            std::to_string(stats.sequence.reordered()) + " reordered, " +
            std::to_string(stats.sequence.duplicates()) + " duplicated";
  }
  return text;
}

std::string formatStatsJson(const Statistics& stats,
                            std::chrono::steady_clock::duration elapsed,
                            std::string_view event) {
  const double s = seconds(elapsed);
  const auto& in = stats.received;
  const auto& out = stats.sent;
  const auto counters = [s](const Counters& c) {
    return "{\"datagrams\":" + std::to_string(c.datagrams) +
           ",\"bytes\":" + std::to_string(c.bytes) + ",\"datagrams_per_s\":" +
           decimal(perSecond(static_cast<double>(c.datagrams), s), 3) +
           ",\"mbit_per_s\":" +
           decimal(perSecond(8.0 * static_cast<double>(c.bytes), s) / 1e6, 6) +
           "}";
  };
  std::string json =
      "{\"event\":\"" + std::string(event) + "\",\"seconds\":" + decimal(s, 6) +
      ",\"sent\":" + counters(out) + ",\"received\":" + counters(in);
  const auto& seq = stats.sequence;
  json += ",\"numbered\":" + std::to_string(seq.numbered()) +
          ",\"lost\":" + std::to_string(seq.lost()) +
          ",\"reordered\":" + std::to_string(seq.reordered()) +
          ",\"duplicated\":" + std::to_string(seq.duplicates()) + "}";
  return json;
}

}  // namespace dgramcat
