// The physical limit: sendmmsg and recvmmsg in batches of 32 on
// non-blocking sockets, one thread, no event loop. Loopback delivers inside
// the send call, so sending a batch and then draining never waits.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "bench.hpp"

namespace bench {
namespace {

constexpr unsigned kBatch = 32;

int openBound(int recvBufferSize, sockaddr_in& address) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0) fail("raw: socket");
  if (recvBufferSize > 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &recvBufferSize,
                 sizeof recvBufferSize);
  address = sockaddr_in{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    fail("raw: bind");
  return fd;
}

}  // namespace

Result runRaw(const Params& params) {
  sockaddr_in serverAddress{};
  sockaddr_in clientAddress{};
  int server = openBound(params.recvBufferSize, serverAddress);
  int client = openBound(0, clientAddress);

  std::vector<char> data = payload(params.size);
  std::vector<char> arena(kBatch * 2048);
  iovec sendIov{data.data(), data.size()};
  mmsghdr out[kBatch] = {};
  mmsghdr in[kBatch] = {};
  iovec recvIov[kBatch];
  sockaddr_in from[kBatch];
  for (unsigned i = 0; i < kBatch; ++i) {
    out[i].msg_hdr.msg_name = &serverAddress;
    out[i].msg_hdr.msg_namelen = sizeof serverAddress;
    out[i].msg_hdr.msg_iov = &sendIov;
    out[i].msg_hdr.msg_iovlen = 1;
    recvIov[i] = iovec{arena.data() + i * 2048, 2048};
    in[i].msg_hdr.msg_iov = &recvIov[i];
    in[i].msg_hdr.msg_iovlen = 1;
  }

  Window window(params);
  Stopwatch clock;
  clock.start();
  while (!window.done()) {
    auto want = static_cast<unsigned>(window.reserve(kBatch));
    for (unsigned offset = 0; offset < want;) {
      int sent = ::sendmmsg(client, out + offset, want - offset, 0);
      if (sent < 0 && errno != EAGAIN && errno != EINTR) fail("raw: sendmmsg");
      if (sent > 0) offset += static_cast<unsigned>(sent);
    }
    // Drain what was sent; no extra call just to see EAGAIN.
    while (window.inFlight() > 0) {
      for (unsigned i = 0; i < kBatch; ++i) {
        in[i].msg_hdr.msg_name = &from[i];
        in[i].msg_hdr.msg_namelen = sizeof from[i];
      }
      int got = ::recvmmsg(server, in, kBatch, 0, nullptr);
      if (got < 0 && errno != EAGAIN && errno != EINTR) fail("raw: recvmmsg");
      if (got <= 0) break;
      window.received(static_cast<std::uint64_t>(got));
    }
  }
  Result result{window.receivedCount(), clock.seconds()};
  ::close(server);
  ::close(client);
  return result;
}

}  // namespace bench
