// dgramcat's counters: datagrams and bytes each way, and, when the sender
// numbers its datagrams (--flood headers, or payloads that are just a
// decimal number such as `seq 1 1000` sends), loss and reordering.
// Pure: the caller gives the times.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dgramcat {

/// Loss and reordering of one numbered stream.
class SequenceTracker {
 public:
  void add(std::uint64_t number);
  std::uint64_t numbered() const { return numbered_; }
  /// Numbers in [first, highest] never seen (duplicates do not count).
  std::uint64_t lost() const;
  /// Datagrams that came after one with a higher number.
  std::uint64_t reordered() const { return reordered_; }
  std::uint64_t duplicates() const { return duplicates_; }

 private:
  std::uint64_t numbered_ = 0;
  std::uint64_t first_ = 0;
  std::uint64_t highest_ = 0;
  std::uint64_t reordered_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t last_ = 0;
};

/// The sequence number a payload carries: a --flood header, or the whole
/// payload a decimal number (one trailing "\n" or "\r\n" allowed).
std::optional<std::uint64_t> sequenceNumber(std::string_view payload);

struct Counters {
  std::uint64_t datagrams = 0;
  std::uint64_t bytes = 0;
};

struct Statistics {
  Counters sent;
  Counters received;
  SequenceTracker sequence;  ///< of the datagrams received
  std::chrono::steady_clock::time_point start{};

  void onReceived(std::string_view payload);
};

/// "sent 1 datagram (5 bytes), received 2 datagrams (10 bytes) in 1.5 s
/// (1.3 datagrams/s, 0.0001 Mbit/s); numbered: 0 lost, 0 reordered"
/// (the numbered part only when some were numbered).
std::string formatStatsText(const Statistics& stats,
                            std::chrono::steady_clock::duration elapsed);

/// The same as one JSON object on one line; `event` names why ("end",
/// "interrupt").
std::string formatStatsJson(const Statistics& stats,
                            std::chrono::steady_clock::duration elapsed,
                            std::string_view event);

/// "1 datagram" / "2 datagrams".
std::string datagrams(std::uint64_t count);

}  // namespace dgramcat
