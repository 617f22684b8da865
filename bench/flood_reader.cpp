// The smallest readiness-loop readers, without the library, under the
// shared benchmark's program contract (../shared/bench, README "Contract
// for an implementation"), recv mode only: they show what the kernel's
// read call costs under a flood, apart from any library's own work.
//
//   flood_reader --read recvfrom|recvmmsg [--batch B] recv [--port P]
//                [--seconds S] [--size N] [--name LABEL]
//
//   recvfrom: after each epoll_wait, one recvfrom per datagram until
//             EAGAIN (the raw epoll loop's read).
//   recvmmsg: after each epoll_wait, one recvmmsg of B (64) datagrams
//             into 64 KiB slots, as dgram reads; another only when it
//             filled the batch.
// Linux only. The last stdout line is one JSON object, as the contract
// asks; other modes print {"unsupported":true}.
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Flags {
  std::string mode;
  std::string read = "recvmmsg";
  std::string name = "flood-reader";
  int port = 0;
  int size = 64;
  int seconds = 10;
  unsigned batch = 64;
};

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

long maxResidentKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

double cpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) *
             1e-6;
}

// What the contract's recv mode reports, counted as the shared bench's
// own readers count: CPU from the first datagram to the end.
struct Count {
  unsigned long long datagrams = 0, badLength = 0;
  double first = 0, last = 0, cpuAtFirst = 0;
  void note(long length, int expected) {
    if (++datagrams == 1) {
      first = last = now();
      cpuAtFirst = cpuSeconds();
    } else if ((datagrams & 63) == 0) {
      last = now();
    }
    if (length != expected) ++badLength;
  }
};

// Reads what one wake finds, into buffers and headers built once.
class Reader {
 public:
  Reader(int fd, const Flags& flags)
      : fd_(fd),
        batch_(flags.read == "recvmmsg" ? flags.batch : 0),
        expected_(flags.size),
        arena_((batch_ ? batch_ : 1) * kSlot),
        messages_(batch_),
        pieces_(batch_),
        names_(batch_) {
    for (unsigned i = 0; i < batch_; ++i) {
      pieces_[i] = {arena_.data() + i * kSlot, kSlot};
      messages_[i].msg_hdr.msg_iov = &pieces_[i];
      messages_[i].msg_hdr.msg_iovlen = 1;
      messages_[i].msg_hdr.msg_name = &names_[i];
      messages_[i].msg_hdr.msg_namelen = sizeof names_[i];
    }
  }

  // How many datagrams this wake read.
  unsigned read(Count& count) {
    return batch_ ? readBatches(count) : readSingly(count);
  }

 private:
  static constexpr std::size_t kSlot = 65536;

  unsigned readSingly(Count& count) {
    unsigned got = 0;
    for (;;) {
      sockaddr_in6 from{};
      socklen_t length = sizeof from;
      ssize_t size = recvfrom(fd_, arena_.data(), kSlot, 0,
                              reinterpret_cast<sockaddr*>(&from), &length);
      if (size < 0) return got;
      count.note(size, expected_);
      ++got;
    }
  }

  unsigned readBatches(Count& count) {
    unsigned got = 0;
    for (;;) {
      int n = recvmmsg(fd_, messages_.data(), batch_, MSG_DONTWAIT, nullptr);
      if (n <= 0) return got;
      for (int i = 0; i < n; ++i) {
        count.note(static_cast<long>(messages_[i].msg_len), expected_);
        // The kernel wrote the sender's length back: the next read of
        // this slot offers the whole name again.
        messages_[i].msg_hdr.msg_namelen = sizeof names_[i];
      }
      got += static_cast<unsigned>(n);
      if (static_cast<unsigned>(n) < batch_) return got;
    }
  }

  int fd_;
  unsigned batch_;  // 0: recvfrom
  int expected_;
  std::vector<char> arena_;
  std::vector<mmsghdr> messages_;
  std::vector<iovec> pieces_;
  std::vector<sockaddr_in6> names_;
};

int receive(const Flags& flags) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(static_cast<std::uint16_t>(flags.port));
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int poller = epoll_create1(EPOLL_CLOEXEC);
  epoll_event interest{};
  interest.events = EPOLLIN;
  if (fd < 0 || poller < 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      epoll_ctl(poller, EPOLL_CTL_ADD, fd, &interest) != 0) {
    std::perror("flood_reader");
    return 1;
  }
  Reader reader(fd, flags);
  Count count;
  const double start = now();
  double lastSeen = start;
  // Stops 0.5 s after the traffic stops, or S + 10 s after the start.
  for (;;) {
    epoll_event ready[8];
    int n = epoll_wait(poller, ready, 8, 10);
    unsigned got = n > 0 ? reader.read(count) : 0;
    double t = now();
    if (got) {
      lastSeen = t;
      continue;
    }
    if (count.datagrams > 0 && t - lastSeen > 0.5) break;
    if (t - start > flags.seconds + 10) break;
  }
  double span = count.last - count.first;
  std::printf(
      "{\"impl\":\"%s\",\"mode\":\"recv\",\"datagrams\":%llu,"
      "\"rate_dps\":%.1f,\"cpu_s\":%.6f,\"max_rss_kb\":%ld,"
      "\"bad_len\":%llu,\"allocs\":0}\n",
      flags.name.c_str(), count.datagrams,
      span > 0 ? static_cast<double>(count.datagrams) / span : 0.0,
      count.datagrams ? cpuSeconds() - count.cpuAtFirst : 0.0, maxResidentKiB(),
      count.badLength);
  close(poller);
  close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--read")
      flags.read = value();
    else if (arg == "--batch")
      flags.batch = static_cast<unsigned>(std::atoi(value()));
    else if (arg == "--port")
      flags.port = std::atoi(value());
    else if (arg == "--size")
      flags.size = std::atoi(value());
    else if (arg == "--seconds")
      flags.seconds = std::atoi(value());
    else if (arg == "--name")
      flags.name = value();
    else if (arg.rfind("--", 0) == 0)
      value();  // the contract's others
    else
      flags.mode = arg;
  }
  if ((flags.read != "recvfrom" && flags.read != "recvmmsg") ||
      flags.batch < 1 || flags.batch > 1024) {
    std::fprintf(stderr,
                 "flood_reader: --read recvfrom|recvmmsg, "
                 "--batch 1..1024\n");
    return 2;
  }
  if (flags.mode != "recv") {
    std::printf("{\"impl\":\"%s\",\"mode\":\"%s\",\"unsupported\":true}\n",
                flags.name.c_str(), flags.mode.c_str());
    return 0;
  }
  return receive(flags);
}
