// dgram under the shared benchmark's program contract (../shared/bench,
// README "Contract for an implementation"), with the library's opt-in
// kernel offloads as flags, so the harness can measure them side by side:
//
//   dgram_contract [--gso] [--gro] [--spin] [--spin-us U] [--name LABEL]
//                  MODE [--port P] [--seconds S] [--size N] [--window W]
//                  [--count C]
//
//   recv: counts datagrams on 127.0.0.1:P ('message' listener); --gro
//         turns on SocketOptions::gro.
//   send: sends N-byte datagrams to 127.0.0.1:P for S seconds, W in
//         flight, each send callback issuing the next; --gso turns on
//         SocketOptions::gso.
//   ping: C round trips of N bytes to 127.0.0.1:P, one at a time (the
//         first 1,000 are a warm-up), each reply sending the next.
//   pong: echoes every datagram on 127.0.0.1:P to its sender, until a
//         one-byte "Q" (which ping sends when done) or S seconds.
// --spin turns on the loop's latency mode (LoopOptions::maxSpin, 50 us;
// --spin-us U sets another maximum) in every mode.
// Other modes print {"unsupported":true}. The last stdout line is one JSON
// object, as the contract asks.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dgram/dgram.hpp"

namespace {

struct Flags {
  std::string mode;
  int port = 9000;
  double seconds = 2;
  int size = 64;
  int window = 64;
  long count = 100000;
  std::string name = "dgram-contract";
  bool gso = false;
  bool gro = false;
  int spinUs = 0;  ///< LoopOptions::maxSpin; 0 = the default mode
};

// The mode is the one word without "--" (the harness appends it, and the
// contract's options, after the command's own flags).
bool parse(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--gso") {
      flags.gso = true;
    } else if (arg == "--gro") {
      flags.gro = true;
    } else if (arg == "--spin") {
      if (flags.spinUs == 0) flags.spinUs = 50;
    } else if (value && arg == "--spin-us") {
      flags.spinUs = std::atoi(value), ++i;
    } else if (value && arg == "--count") {
      flags.count = std::atol(value), ++i;
    } else if (value && arg == "--port") {
      flags.port = std::atoi(value), ++i;
    } else if (value && arg == "--seconds") {
      flags.seconds = std::atof(value), ++i;
    } else if (value && arg == "--size") {
      flags.size = std::atoi(value), ++i;
    } else if (value && arg == "--window") {
      flags.window = std::atoi(value), ++i;
    } else if (value && arg == "--name") {
      flags.name = value, ++i;
    } else if (value && arg.rfind("--", 0) == 0) {
      ++i;  // a contract option this program does not use (--count...)
    } else if (flags.mode.empty() && arg.rfind("--", 0) != 0) {
      flags.mode = arg;
    } else {
      return false;
    }
  }
  return !flags.mode.empty() && flags.size >= 0 && flags.window > 0 &&
         flags.count > 0 && flags.spinUs >= 0;
}

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Usage {
  double cpu;  ///< user + system seconds of this process
  long maxRssKb;
};

Usage usage() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6;
  };
  return {seconds(ru.ru_utime) + seconds(ru.ru_stime), ru.ru_maxrss};
}

dgram::LoopOptions loopOptions(const Flags& flags) {
  dgram::LoopOptions options;
  options.maxSpin = std::chrono::microseconds(flags.spinUs);
  return options;
}

std::shared_ptr<dgram::Socket> open(dgram::Loop& loop, bool gso, bool gro,
                                    int port) {
  dgram::SocketOptions options;
  options.loop = &loop;
  options.gso = gso;
  options.gro = gro;
  auto socket = dgram::createSocket(options);
  socket->on(dgram::error, [](const dgram::Error& e) {
    std::fprintf(stderr, "dgram_contract: %s\n", e.what());
  });
  bool listening = false;
  socket->bind(port, "127.0.0.1", [&listening] { listening = true; });
  while (!listening)
    loop.runOnce(std::chrono::milliseconds(100));
  return socket;
}

int receive(const Flags& flags) {
  dgram::Loop loop(loopOptions(flags));
  auto socket = open(loop, false, flags.gro, flags.port);
  const bool gro = socket->kernelFeatures().gro;
  unsigned long long datagrams = 0, badLength = 0;
  double first = 0, last = 0, cpuAtFirst = 0;
  socket->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    if (datagrams++ == 0) {
      first = now();
      cpuAtFirst = usage().cpu;
    }
    if (msg.size() != static_cast<std::size_t>(flags.size)) ++badLength;
    last = now();
  });
  const double start = now();
  // Ends 0.5 s after the traffic stopped, or S + 10 s after the start.
  std::function<void()> check = [&] {
    double t = now();
    bool idle = datagrams > 0 && t - last > 0.5;
    if (idle || t - start > flags.seconds + 10) {
      socket->close();
      return;
    }
    loop.setTimeout(std::chrono::milliseconds(20), check);
  };
  loop.setTimeout(std::chrono::milliseconds(20), check);
  loop.run();
  Usage end = usage();
  double span = last - first;
  std::printf(
      "{\"impl\":\"%s\",\"mode\":\"recv\",\"size\":%d,\"datagrams\":%llu,"
      "\"bad_len\":%llu,\"span_s\":%.6f,\"rate_dps\":%.1f,\"cpu_s\":%.4f,"
      "\"max_rss_kb\":%ld,\"gro\":%s}\n",
      flags.name.c_str(), flags.size, datagrams, badLength, span,
      span > 0 ? static_cast<double>(datagrams) / span : 0.0,
      end.cpu - cpuAtFirst, end.maxRssKb, gro ? "true" : "false");
  return 0;
}

// The sender's state behind one pointer, as a user's `[this]` would be.
struct Sender {
  std::shared_ptr<dgram::Socket> socket;
  dgram::Bytes payload;
  int port = 0;
  double deadline = 0;
  double finished = 0;
  unsigned long long issued = 0, sent = 0, errors = 0, inFlight = 0;
  bool stopping = false;

  void issue() {
    ++issued;
    ++inFlight;
    socket->send(payload, port, "127.0.0.1",
                 [this](const std::optional<dgram::Error>& error, std::size_t) {
                   done(error.has_value());
                 });
  }
  void done(bool failed) {
    --inFlight;
    failed ? ++errors : ++sent;
    if (!stopping && (issued & 255) == 0 && now() >= deadline) stopping = true;
    if (!stopping) {
      issue();
    } else if (inFlight == 0) {
      finished = now();
      socket->close();
    }
  }
};

int send(const Flags& flags) {
  dgram::Loop loop(loopOptions(flags));
  Sender sender;
  sender.socket = open(loop, flags.gso, false, 0);
  bool gso = sender.socket->kernelFeatures().gso;
  std::vector<char> bytes(static_cast<std::size_t>(flags.size), 's');
  sender.payload = dgram::Bytes(bytes.data(), bytes.size());
  sender.port = flags.port;
  double cpu0 = usage().cpu;
  double start = now();
  sender.deadline = start + flags.seconds;
  for (int i = 0; i < flags.window; ++i)
    sender.issue();
  loop.run();
  Usage end = usage();
  double span = sender.finished - start;
  std::printf(
      "{\"impl\":\"%s\",\"mode\":\"send\",\"size\":%d,\"sent\":%llu,"
      "\"errors\":%llu,\"span_s\":%.6f,\"rate_dps\":%.1f,\"cpu_s\":%.4f,"
      "\"max_rss_kb\":%ld,\"gso\":%s}\n",
      flags.name.c_str(), flags.size, sender.sent, sender.errors, span,
      span > 0 ? static_cast<double>(sender.sent) / span : 0.0, end.cpu - cpu0,
      end.maxRssKb, gso ? "true" : "false");
  return 0;
}

std::uint64_t nanosecondsNow() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// The client's state behind one pointer, as a user's `[this]` would be.
struct Pinger {
  static constexpr long kWarmUp = 1000;
  std::shared_ptr<dgram::Socket> socket;
  dgram::Bytes payload;
  int port = 0;
  double deadline = 0;
  long warmUp = kWarmUp;
  std::vector<std::uint64_t> trips;  ///< ns, reserved for the whole run
  std::size_t limit = 0;             ///< round trips to measure
  std::uint64_t sentAt = 0;
  bool done = false;

  void issue() {
    sentAt = nanosecondsNow();
    socket->send(payload, port, "127.0.0.1");
  }
  void onReply() {
    std::uint64_t trip = nanosecondsNow() - sentAt;
    if (warmUp > 0) {
      --warmUp;
    } else {
      trips.push_back(trip);
    }
    bool full = trips.size() >= limit;
    if (full || ((trips.size() & 1023) == 0 && now() > deadline)) {
      done = true;
      // The echo server stops on a one-byte "Q" (three: loopback may
      // drop one under pressure).
      for (int i = 0; i < 3; ++i)
        socket->send("Q", port, "127.0.0.1");
      socket->close();
      return;
    }
    issue();
  }
};

int ping(const Flags& flags) {
  dgram::Loop loop(loopOptions(flags));
  Pinger pinger;
  pinger.socket = open(loop, false, false, 0);
  std::vector<char> bytes(static_cast<std::size_t>(flags.size), 'p');
  pinger.payload = dgram::Bytes(bytes.data(), bytes.size());
  pinger.port = flags.port;
  pinger.limit = static_cast<std::size_t>(flags.count);
  pinger.trips.reserve(pinger.limit);
  pinger.socket->on(dgram::message,
                    [&pinger](dgram::Bytes, const dgram::RemoteInfo&) {
                      if (!pinger.done) pinger.onReply();
                    });
  double start = now();
  pinger.deadline = start + flags.seconds;
  pinger.issue();
  loop.run();
  double span = now() - start;
  std::vector<std::uint64_t>& trips = pinger.trips;
  std::sort(trips.begin(), trips.end());
  std::size_t n = trips.size();
  double sum = 0;
  for (std::uint64_t trip : trips)
    sum += static_cast<double>(trip);
  auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e3; };
  std::printf(
      "{\"impl\":\"%s\",\"mode\":\"ping\",\"size\":%d,\"count\":%zu,"
      "\"lost\":0,\"median_us\":%.2f,\"p99_us\":%.2f,\"mean_us\":%.2f,"
      "\"min_us\":%.2f,\"max_us\":%.2f,\"span_s\":%.4f,\"max_rss_kb\":%ld,"
      "\"max_spin_us\":%d}\n",
      flags.name.c_str(), flags.size, n, n ? us(trips[n / 2]) : 0.0,
      n ? us(trips[(n - 1) * 99 / 100]) : 0.0, n ? sum / n / 1e3 : 0.0,
      n ? us(trips.front()) : 0.0, n ? us(trips.back()) : 0.0, span,
      usage().maxRssKb, flags.spinUs);
  return 0;
}

int pong(const Flags& flags) {
  dgram::Loop loop(loopOptions(flags));
  auto socket = open(loop, false, false, flags.port);
  unsigned long long echoed = 0;
  bool closed = false;
  auto finish = [&] {
    closed = true;
    socket->close();
  };
  socket->on(dgram::message,
             [&](dgram::Bytes msg, const dgram::RemoteInfo& from) {
               if (closed) return;
               if (msg.size() == 1 && msg[0] == 'Q') return finish();
               socket->send(msg, from.port, from.address);
               ++echoed;
             });
  // Without a "Q" (the client died), give up S seconds after the start.
  const double deadline = now() + flags.seconds;
  std::function<void()> check = [&] {
    if (closed) return;
    if (now() > deadline) return finish();
    loop.setTimeout(std::chrono::milliseconds(100), check);
  };
  loop.setTimeout(std::chrono::milliseconds(100), check);
  loop.run();
  std::printf(
      "{\"impl\":\"%s\",\"mode\":\"pong\",\"echoed\":%llu,"
      "\"max_rss_kb\":%ld,\"max_spin_us\":%d}\n",
      flags.name.c_str(), echoed, usage().maxRssKb, flags.spinUs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!parse(argc, argv, flags)) {
    std::fprintf(stderr,
                 "usage: dgram_contract recv|send|ping|pong [--port P] "
                 "[--seconds S] [--size N] [--window W] [--count C] "
                 "[--name LABEL] [--gso] [--gro] [--spin] [--spin-us U]\n");
    return 2;
  }
  if (flags.mode == "recv") return receive(flags);
  if (flags.mode == "send") return send(flags);
  if (flags.mode == "ping") return ping(flags);
  if (flags.mode == "pong") return pong(flags);
  std::printf("{\"impl\":\"%s\",\"mode\":\"%s\",\"unsupported\":true}\n",
              flags.name.c_str(), flags.mode.c_str());
  return 0;
}
