// --exec CMD: for each datagram, CMD runs in a shell with the payload on
// its stdin and the sender in DGRAMCAT_PEER_ADDRESS / DGRAMCAT_PEER_PORT;
// what it writes to stdout goes back to the sender as one datagram.
// Commands run one at a time, in arrival order, on a worker thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace dgramcat {

/// Whether --exec works on this platform (not on Windows).
bool execSupported();

class ExecRunner {
 public:
  /// `output` is the command's stdout; `error` is set if it could not
  /// run. Called on the worker thread.
  using DoneFn = std::function<void(std::string output, std::string error)>;

  explicit ExecRunner(std::string command);
  ~ExecRunner();
  ExecRunner(const ExecRunner&) = delete;
  ExecRunner& operator=(const ExecRunner&) = delete;

  void submit(std::string input, std::string peerAddress, int peerPort,
              DoneFn done);

 private:
  struct Job {
    std::string input;
    std::string peerAddress;
    int peerPort = 0;
    DoneFn done;
  };
  void work();

  std::string command_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dgramcat
