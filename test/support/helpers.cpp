#include "support/helpers.hpp"

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
// clang-format on
#else
#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#endif  // _WIN32

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

#ifdef _WIN32

bool underWine() {
  // Wine's ntdll exports its version; Windows' has no such function.
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  return ntdll && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

bool haveIPv6() {
  WSADATA data;
  if (::WSAStartup(MAKEWORD(2, 2), &data) != 0) return false;
  SOCKET s = ::socket(AF_INET6, SOCK_DGRAM, 0);
  bool ok = false;
  if (s != INVALID_SOCKET) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    ok = ::bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    ::closesocket(s);
  }
  ::WSACleanup();
  return ok;
}

// Windows has handles, not fds: sockets, the loop's completion port and
// everything else the process holds.
int openFdCount() {
  DWORD count = 0;
  if (!::GetProcessHandleCount(::GetCurrentProcess(), &count)) return -1;
  return static_cast<int>(count);
}

std::chrono::microseconds processCpuTime() {
  FILETIME created, exited, kernel, user;
  if (!::GetProcessTimes(::GetCurrentProcess(), &created, &exited, &kernel,
                         &user))
    return std::chrono::microseconds(-1);
  auto ticks = [](const FILETIME& t) {  // 100 ns units
    return (static_cast<unsigned long long>(t.dwHighDateTime) << 32) |
           t.dwLowDateTime;
  };
  return std::chrono::microseconds((ticks(kernel) + ticks(user)) / 10);
}

#else

bool underWine() {
  return false;
}

std::chrono::microseconds processCpuTime() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0)
    return std::chrono::microseconds(-1);
  auto micros = [](const timeval& t) {
    return static_cast<long long>(t.tv_sec) * 1000000 + t.tv_usec;
  };
  return std::chrono::microseconds(micros(usage.ru_utime) +
                                   micros(usage.ru_stime));
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
  while (::readdir(dir))
    ++count;
  ::closedir(dir);
  return count - 3;  // ".", ".." and the DIR's own fd
}

#endif  // _WIN32

}  // namespace test
