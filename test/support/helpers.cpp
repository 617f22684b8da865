#include "support/helpers.hpp"

#include <sys/socket.h>
#include <netinet/in.h>
#include <dirent.h>
#include <unistd.h>

#include <cstring>

namespace test {

bool runUntilIdle(dgram::Loop& loop, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!loop.runOnce(std::chrono::milliseconds(10))) return true;
  }
  return false;
}

std::shared_ptr<dgram::Socket> makeSocket(dgram::Loop& loop, dgram::Type type,
                                          dgram::MessageListener fn) {
  dgram::SocketOptions options;
  options.type = type;
  return makeSocket(loop, std::move(options), std::move(fn));
}

std::shared_ptr<dgram::Socket> makeSocket(dgram::Loop& loop,
                                          dgram::SocketOptions options,
                                          dgram::MessageListener fn) {
  options.loop = &loop;
  return dgram::createSocket(options, std::move(fn));
}

bool haveIPv6() {
  int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

int openFdCount() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return -1;
  int count = 0;
  while (::readdir(dir)) ++count;
  ::closedir(dir);
  return count - 3;  // ".", ".." and the DIR's own fd
}

}  // namespace test
