// Name-lookup sandbox for tests: see resolver_sandbox.hpp.
#include "support/resolver_sandbox.hpp"

#ifdef __linux__
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>
#endif  // __linux__

#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <thread>

namespace test {
namespace {

#ifdef __linux__

std::string errnoText(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Sets `lo` up in the calling thread's network namespace.
std::string loopbackUp() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errnoText("socket");
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  std::string error;
  if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
    error = errnoText("SIOCGIFFLAGS lo");
  } else {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(fd, SIOCSIFFLAGS, &request) != 0)
      error = errnoText("SIOCSIFFLAGS lo");
  }
  ::close(fd);
  return error;
}

// Bind-mounts `source` over `target` and checks that it is seen there.
std::string bindFile(const std::string& source, const char* target) {
  if (::mount(source.c_str(), target, nullptr, MS_BIND, nullptr) != 0)
    return errnoText(std::string("bind mount over ") + target);
  if (readFile(target) != readFile(source))
    return std::string(target) + " does not show " + source;
  return {};
}

// Everything the thread does before `fn`; "" on success.
std::string enterSandbox(const std::string& resolvConf,
                         const std::string& hosts) {
  if (::unshare(CLONE_NEWNS | CLONE_NEWNET) != 0)
    return errnoText("unshare(CLONE_NEWNS | CLONE_NEWNET)") +
           " (needs root / CAP_SYS_ADMIN)";
  // Private first: without it, the bind mounts below could propagate to
  // the namespace the tests were started in.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return errnoText("making / private");
  if (std::string error = bindFile(resolvConf, "/etc/resolv.conf");
      !error.empty())
    return error;
  if (std::string error = bindFile(hosts, "/etc/hosts"); !error.empty())
    return error;
  return loopbackUp();
}

#endif  // __linux__

}  // namespace

std::string runInResolverSandbox(const std::string& resolvConf,
                                 const std::string& hosts,
                                 const std::function<void()>& fn) {
#ifdef __linux__
  std::string why;
  std::exception_ptr failure;
  std::thread worker([&] {
    why = enterSandbox(resolvConf, hosts);
    if (!why.empty()) return;
    try {
      fn();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);
  return why;
#else
  (void)resolvConf;
  (void)hosts;
  (void)fn;
  return "mount and network namespaces are Linux only";
#endif  // __linux__
}

}  // namespace test
