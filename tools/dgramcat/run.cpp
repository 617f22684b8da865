#include "dgramcat/run.hpp"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "dgram/dgram.hpp"
#include "dgramcat/format.hpp"

namespace dgramcat {
namespace {

// One run of dgramcat: the socket, the timer, the counters and, in send
// mode, the thread that reads stdin. Everything but that thread runs on
// the loop thread.
class Session {
 public:
  Session(const Options& options, dgram::Loop& loop)
      : options_(options), loop_(loop) {}
  ~Session() {
    if (reader_.joinable()) reader_.join();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    dgram::SocketOptions socketOptions;
    socketOptions.type = options_.type;
    socketOptions.loop = &loop_;
    socketOptions.reusePort = options_.reusePort;
    socketOptions.reuseAddr = options_.reuseAddr;
    socket_ = dgram::createSocket(socketOptions);
    socket_->on(dgram::error,
                [this](const dgram::Error& err) { fail(err.what()); });
    // Registered before any send: the options apply before the sends
    // queued behind the bind go out.
    socket_->on(dgram::listening, [this] {
      if (applySocketOptions()) reportListening();
    });
    if (options_.timeout) {
      timer_ = loop_.setTimeout(*options_.timeout, [this] {
        timer_.reset();
        onTimeout();
      });
    }
    if (options_.mode == Mode::listen) {
      socket_->on(dgram::message,
                  [this](dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
                    onMessage(msg, rinfo);
                  });
      bind(options_.port);
      return;
    }
    // Bound before the first line: the bound socket keeps the loop alive
    // while the reader waits for stdin.
    bind(0);
    if (options_.message) {
      sendMessageCopy();
    } else {
      startReader();
    }
  }

  int status() const { return status_; }

  // Whether the stdin thread is still blocked in a read.
  bool readerBlocked() const { return reader_.joinable() && !readerDone_; }

 private:
  bool listening() const { return options_.mode == Mode::listen; }

  void bind(int port) {
    if (options_.bindAddress.empty()) {
      socket_->bind(port);
    } else {
      socket_->bind(port, options_.bindAddress);
    }
  }

  // The multicast and broadcast options, once there is a bound socket.
  // A refused one ends the run like any runtime error.
  bool applySocketOptions() {
    try {
      if (options_.broadcast) socket_->setBroadcast(true);
      if (options_.ttl) {
        socket_->setMulticastTTL(*options_.ttl);
        if (*options_.ttl >= 1) socket_->setTTL(*options_.ttl);
      }
      if (options_.multicastLoopback)
        socket_->setMulticastLoopback(*options_.multicastLoopback);
      if (!options_.multicastInterface.empty())
        socket_->setMulticastInterface(options_.multicastInterface);
      for (const auto& join : options_.joins) {
        if (options_.source.empty()) {
          socket_->addMembership(join.group, join.iface);
        } else {
          socket_->addSourceSpecificMembership(options_.source, join.group,
                                               join.iface);
        }
      }
    } catch (const dgram::Error& err) {
      fail(err.what());
      return false;
    }
    return true;
  }

  void reportListening() {
    if (!options_.verbose) return;
    const auto local = socket_->address();
    const auto endpoint =
        formatEndpoint(local.address, local.family, local.port);
    for (const auto& join : options_.joins) {
      std::cerr << "dgramcat: joined " << join.group;
      if (!options_.source.empty()) std::cerr << " from " << options_.source;
      if (!join.iface.empty()) std::cerr << " on " << join.iface;
      std::cerr << std::endl;
    }
    if (listening()) {
      std::cerr << "dgramcat: listening on " << endpoint << std::endl;
    } else {
      const bool bracket = options_.host.find(':') != std::string::npos;
      std::cerr << "dgramcat: sending from " << endpoint << " to "
                << (bracket ? "[" : "") << options_.host << (bracket ? "]" : "")
                << ":" << options_.port << std::endl;
    }
  }

  // Listen mode.
  void onMessage(dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
    if (workDone_ || finished_) return;  // past --count
    // Flushed per line, so that a pipe or a script sees each datagram.
    std::cout << formatDatagram(msg.view(), rinfo) << std::endl;
    ++received_;
    if (options_.echo) send(msg, rinfo.port, rinfo.address);
    if (options_.count != 0 && received_ >= options_.count) {
      workDone_ = true;
      maybeFinish();
    }
  }

  // Send mode with --message: one copy, or --count copies one after the
  // other (each sent from the previous one's callback).
  void sendMessageCopy() {
    const std::uint64_t copies = options_.count == 0 ? 1 : options_.count;
    send(*options_.message, options_.port, options_.host, [this, copies] {
      if (sent_ < copies) {
        sendMessageCopy();
      } else {
        workDone_ = true;
      }
    });
  }

  // Send mode from stdin: a thread reads lines (at most --count) and
  // posts each to the loop; no portable API waits for stdin on the loop.
  void startReader() {
    std::cin.tie(nullptr);  // the reader must not flush std::cout
    reader_ = std::thread([this] {
      std::string line;
      std::uint64_t lines = 0;
      while ((options_.count == 0 || lines < options_.count) &&
             std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        ++lines;
        loop_.post([this, line = std::move(line)] { onLine(line); });
      }
      loop_.post([this] { onInputEnd(); });
      readerDone_ = true;
    });
  }

  void onLine(const std::string& line) {
    if (!finished_) send(line, options_.port, options_.host);
  }

  void onInputEnd() {
    workDone_ = true;
    maybeFinish();
  }

  // Sends `payload` (the library copies it before returning); `then` runs
  // after a successful send.
  void send(dgram::Bytes payload, int port, std::string_view address,
            std::function<void()> then = {}) {
    ++inFlight_;
    socket_->send(payload, port, address,
                  [this, then = std::move(then)](
                      const std::optional<dgram::Error>& err, std::size_t) {
                    --inFlight_;
                    if (finished_) return;  // e.g. ECANCELED after --timeout
                    if (err) return fail(err->what());
                    ++sent_;
                    if (then) then();
                    maybeFinish();
                  });
  }

  // --timeout: a normal end, unless it cut short what was asked for (see
  // "Exit status" in helpText()).
  void onTimeout() {
    if (finished_) return;
    if (listening()) {
      if (options_.count != 0 && received_ < options_.count) {
        return fail("timeout: received " + std::to_string(received_) + " of " +
                    std::to_string(options_.count) + " datagrams");
      }
    } else if (options_.count != 0 || options_.message) {
      const std::uint64_t wanted = options_.count == 0 ? 1 : options_.count;
      if (sent_ < wanted) {
        return fail("timeout: sent " + std::to_string(sent_) + " of " +
                    std::to_string(wanted) + " datagrams");
      }
    } else if (inFlight_ != 0) {
      return fail("timeout: sent " + std::to_string(sent_) + " datagrams, " +
                  std::to_string(inFlight_) + " still pending");
    }
    finish(0);
  }

  void maybeFinish() {
    if (workDone_ && inFlight_ == 0) finish(0);
  }

  void fail(const std::string& what) {
    if (finished_) return;
    std::cerr << "dgramcat: " << what << std::endl;
    finish(1);
  }

  // Ends the run: once the socket is closed and the timer cleared, the
  // loop has nothing left and run() returns.
  void finish(int status) {
    if (finished_) return;
    finished_ = true;
    status_ = status;
    if (timer_) {
      loop_.clearTimeout(*timer_);
      timer_.reset();
    }
    if (options_.verbose) {
      if (listening()) {
        std::cerr << "dgramcat: received " << received_ << " datagrams";
        if (options_.echo) std::cerr << ", echoed " << sent_;
        std::cerr << std::endl;
      } else {
        std::cerr << "dgramcat: sent " << sent_ << " datagrams" << std::endl;
      }
    }
    socket_->close();
  }

  const Options& options_;
  dgram::Loop& loop_;
  std::shared_ptr<dgram::Socket> socket_;
  std::optional<dgram::TimerId> timer_;
  std::uint64_t received_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t inFlight_ = 0;
  bool workDone_ = false;  // --count reached, or the input is all sent
  bool finished_ = false;
  int status_ = 0;
  std::thread reader_;
  std::atomic<bool> readerDone_{false};
};

}  // namespace

int run(const Options& options) {
  dgram::Loop& loop = dgram::Loop::defaultLoop();
  Session session(options, loop);
  int status = 1;
  try {
    session.start();
    loop.run();
    status = session.status();
  } catch (const std::exception& err) {
    std::cerr << "dgramcat: " << err.what() << std::endl;
  }
  if (session.readerBlocked()) {
    // The reader thread is stuck in a read of stdin that nothing portable
    // can interrupt; end the process without running destructors under it.
    // (Not fflush(nullptr): that would wait for stdin's lock, which the
    // blocked reader holds.)
    std::cout.flush();
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(status);
  }
  return status;
}

}  // namespace dgramcat
