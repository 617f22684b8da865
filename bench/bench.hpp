// The loopback throughput bench: what every variant shares. One thread
// sends `count` datagrams of `size` bytes from one socket to another on
// 127.0.0.1 and keeps at most `window` of them in flight (sent, not yet
// received), so the receive buffer never overflows and nothing is lost.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bench {

struct Params {
  std::size_t size = 64;         ///< payload bytes
  std::uint64_t count = 0;       ///< datagrams to send and receive
  std::uint64_t window = 64;     ///< most datagrams in flight
  int recvBufferSize = 1 << 20;  ///< SO_RCVBUF asked for on the receiver
};

/// One run: datagrams received and the time from the first send to the last
/// receive.
struct Result {
  std::uint64_t datagrams = 0;
  double seconds = 0;
  double rate() const { return seconds > 0 ? datagrams / seconds : 0; }
};

/// The windowed pattern: send `initial()` datagrams, then one more for each
/// one received, until `count` have arrived.
class Window {
 public:
  explicit Window(const Params& params)
      : count_(params.count), window_(params.window) {}

  /// Datagrams to send at the start (and counts them as sent).
  std::uint64_t initial() {
    sent_ = count_ < window_ ? count_ : window_;
    return sent_;
  }
  /// Records one received datagram; true when the caller sends one more.
  bool onReceive() {
    ++received_;
    if (sent_ == count_) return false;
    ++sent_;
    return true;
  }
  /// Room for `batch` more in flight: how many to send now (and counts them).
  std::uint64_t reserve(std::uint64_t batch) {
    std::uint64_t room = window_ - (sent_ - received_);
    std::uint64_t left = count_ - sent_;
    std::uint64_t n = batch < room ? batch : room;
    n = n < left ? n : left;
    sent_ += n;
    return n;
  }
  void received(std::uint64_t n) { received_ += n; }
  bool done() const { return received_ >= count_; }
  std::uint64_t inFlight() const { return sent_ - received_; }
  std::uint64_t receivedCount() const { return received_; }

 private:
  std::uint64_t count_;
  std::uint64_t window_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
};

class Stopwatch {
 public:
  void start() { begin_ = Clock::now(); }
  double seconds() const {
    return std::chrono::duration<double>(Clock::now() - begin_).count();
  }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point begin_ = Clock::now();
};

/// The bytes every variant sends.
inline std::vector<char> payload(std::size_t size) {
  return std::vector<char>(size, 'x');
}

/// Aborts the process with `what` (a setup step that cannot fail in a sane
/// environment).
[[noreturn]] void fail(const std::string& what);

// The variants, one per file. Each returns the measured run.
Result runRaw(const Params& params);
Result runDgram(const Params& params);
#ifdef DGRAM_BENCH_HAVE_LIBUV
Result runLibuv(const Params& params);
#endif
#ifdef DGRAM_BENCH_HAVE_ASIO
Result runAsio(const Params& params);
#endif
/// Node's dgram in a child process running `script`.
Result runNode(const Params& params, const std::string& script);

}  // namespace bench
