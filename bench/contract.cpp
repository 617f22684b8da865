// dgram under the shared benchmark's program contract (../shared/bench,
// README "Contract for an implementation"), with the library's opt-in
// kernel offloads as flags, so the harness can measure them side by side:
//
//   dgram_contract [--gso] [--gro] [--name LABEL] MODE [--port P]
//                  [--seconds S] [--size N] [--window W]
//
//   recv: counts datagrams on 127.0.0.1:P ('message' listener); --gro
//         turns on SocketOptions::gro.
//   send: sends N-byte datagrams to 127.0.0.1:P for S seconds, W in
//         flight, each send callback issuing the next; --gso turns on
//         SocketOptions::gso.
// Other modes print {"unsupported":true}. The last stdout line is one JSON
// object, as the contract asks.
#include <sys/resource.h>

#include <chrono>
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
  std::string name = "dgram-contract";
  bool gso = false;
  bool gro = false;
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
  return !flags.mode.empty() && flags.size >= 0 && flags.window > 0;
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
  dgram::Loop loop;
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
  dgram::Loop loop;
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

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!parse(argc, argv, flags)) {
    std::fprintf(stderr,
                 "usage: dgram_contract recv|send [--port P] [--seconds S] "
                 "[--size N] [--window W] [--name LABEL] [--gso] [--gro]\n");
    return 2;
  }
  if (flags.mode == "recv") return receive(flags);
  if (flags.mode == "send") return send(flags);
  std::printf("{\"impl\":\"%s\",\"mode\":\"%s\",\"unsupported\":true}\n",
              flags.name.c_str(), flags.mode.c_str());
  return 0;
}
