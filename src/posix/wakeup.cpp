// The poller's wake-up channel (wakeup.hpp): eventfd or a pipe.
// Layer: platform (readiness backends).
#include "posix/wakeup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "common/errors.hpp"
#include "posix/errno_map.hpp"

#ifdef __linux__
#include <sys/eventfd.h>
#endif  // __linux__

namespace dgram::detail {

Wakeup::Wakeup() {
  SysError error;
  if (const char* syscall = open(error)) throw errnoException(error, syscall);
}

Wakeup::Wakeup(SysError& error, const char*& syscall) noexcept {
  syscall = open(error);
}

const char* Wakeup::open(SysError& error) noexcept {
#ifdef __linux__
  readFd_ = writeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (readFd_ < 0) {
    error = sysErrorFromErrno(errno);
    return "eventfd";
  }
#else
  int fds[2];
  if (::pipe(fds) != 0) {
    error = sysErrorFromErrno(errno);
    return "pipe";
  }
  for (int fd : fds) {
    // A blocking pipe would hang signal() once full, or drain() forever.
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
        ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
      error = sysErrorFromErrno(errno);
      ::close(fds[0]);
      ::close(fds[1]);
      return "fcntl";
    }
  }
  readFd_ = fds[0];
  writeFd_ = fds[1];
#endif  // __linux__
  return nullptr;
}

Wakeup::~Wakeup() {
  if (writeFd_ >= 0 && writeFd_ != readFd_) ::close(writeFd_);
  if (readFd_ >= 0) ::close(readFd_);
}

void Wakeup::signal() noexcept {
  // eventfd wants exactly 8 bytes; a pipe takes any. A full pipe or a
  // saturated counter already means "readable", so errors are ignored.
  // Called from signal handlers (Loop::stop, signal delivery): errno is
  // the interrupted code's and is left as it was.
  const int savedErrno = errno;
  std::uint64_t one = 1;
  ssize_t ignored = ::write(writeFd_, &one, sizeof one);
  (void)ignored;
  errno = savedErrno;
}

void Wakeup::drain() noexcept {
  std::uint64_t buffer[16];
  while (::read(readFd_, buffer, sizeof buffer) > 0) {
  }
}

}  // namespace dgram::detail
