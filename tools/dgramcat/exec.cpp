#include "dgramcat/exec.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#ifndef _WIN32
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "dgramcat/signals.hpp"
#endif

namespace dgramcat {
namespace {

#ifndef _WIN32
std::string systemError(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Runs `sh -c command` with `input` on its stdin; its stdout into `output`.
std::string runCommand(const std::string& command, const std::string& input,
                       const std::string& peerAddress, int peerPort,
                       std::string& output) {
  int toChild[2];
  int fromChild[2];
  if (pipe(toChild) != 0) return systemError("--exec: pipe");
  if (pipe(fromChild) != 0) {
    close(toChild[0]);
    close(toChild[1]);
    return systemError("--exec: pipe");
  }
  const std::string port = std::to_string(peerPort);
  const pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {toChild[0], toChild[1], fromChild[0], fromChild[1]}) {
      close(fd);
    }
    return systemError("--exec: fork");
  }
  if (pid == 0) {
    restoreSignalsInChild();
    dup2(toChild[0], 0);
    dup2(fromChild[1], 1);
    for (int fd : {toChild[0], toChild[1], fromChild[0], fromChild[1]}) {
      close(fd);
    }
    setenv("DGRAMCAT_PEER_ADDRESS", peerAddress.c_str(), 1);
    setenv("DGRAMCAT_PEER_PORT", port.c_str(), 1);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(toChild[0]);
  close(fromChild[1]);
  fcntl(toChild[1], F_SETFL, fcntl(toChild[1], F_GETFL) | O_NONBLOCK);
  // Writes the input and reads the output together, so that a command
  // that writes before it has read everything cannot block both sides.
  std::size_t written = 0;
  int writeFd = toChild[1];
  if (input.empty()) {
    close(writeFd);
    writeFd = -1;
  }
  char buffer[65536];
  while (true) {
    pollfd fds[2] = {{fromChild[0], POLLIN, 0}, {writeFd, POLLOUT, 0}};
    if (poll(fds, writeFd >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (writeFd >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n =
          write(writeFd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = input.size();
      if (written == input.size()) {
        close(writeFd);
        writeFd = -1;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = read(fromChild[0], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      output.append(buffer, static_cast<std::size_t>(n));
    }
  }
  if (writeFd >= 0) close(writeFd);
  close(fromChild[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    return "--exec: " + command + ": command not found or not executable";
  }
  return {};
}
#endif

}  // namespace

bool execSupported() {
#ifdef _WIN32
  return false;
#else
  return true;
#endif
}

ExecRunner::ExecRunner(std::string command)
    : command_(std::move(command)), thread_([this] { work(); }) {}

ExecRunner::~ExecRunner() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void ExecRunner::submit(std::string input, std::string peerAddress,
                        int peerPort, DoneFn done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(
        {std::move(input), std::move(peerAddress), peerPort, std::move(done)});
  }
  wake_.notify_one();
}

void ExecRunner::work() {
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    std::string output;
#ifdef _WIN32
    std::string error = "--exec is not supported on Windows";
#else
    std::string error =
        runCommand(command_, job.input, job.peerAddress, job.peerPort, output);
#endif
    job.done(std::move(output), std::move(error));
  }
}

}  // namespace dgramcat
