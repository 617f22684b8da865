// Throw-away hosts for the multicast, broadcast and link-local tests:
// anonymous Linux network namespaces joined by veth pairs and bridges,
// threads that run a dgram::Loop inside one of them, and child processes
// (iproute2, Node) started inside one.
//
// The namespaces have no name in /run/netns: each lives only as long as
// this process holds its file descriptor (or a thread or child is inside
// it), so everything a test creates, veths and bridges included, goes away
// with the test even when it fails, crashes or is killed by ctest. Nothing
// is created in the namespace the tests were started in.
//
// Addresses (see Lab::attach): 198.18.L.N/24, 2001:db8:L::N/64 and
// fe80::N/64 (nodad) for host N on LAN L; groups come from 239.0.0.0/8,
// ff02::/16 and ff12::/16.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dgram/dgram.hpp"

namespace test::net {

/// Why namespace tests cannot run here ("needs root", "no ip command"...);
/// empty if they can. Probed once per process.
const std::string& unavailableReason();

/// Full path of a program found in PATH (plus /usr/sbin and /sbin), or
/// empty.
std::string findProgram(std::string_view name);

/// What a finished child process printed and how it ended.
struct CommandResult {
  int status = -1;     ///< exit status, or -1 if it did not exit normally
  std::string output;  ///< stdout and stderr together
};

/// An anonymous network namespace (held by a file descriptor) with `lo` up.
class Namespace {
 public:
  explicit Namespace(std::string label);
  ~Namespace();
  Namespace(const Namespace&) = delete;
  Namespace& operator=(const Namespace&) = delete;

  int fd() const noexcept { return fd_; }
  const std::string& label() const noexcept { return label_; }
  /// A path that names this namespace for `ip ... netns PATH`.
  std::string path() const;

  /// Runs `argv` (argv[0] a full path) inside, with `input` on stdin; waits
  /// at most 10 s.
  CommandResult run(const std::vector<std::string>& argv,
                    const std::string& input = {}) const;
  /// Runs `ip -batch -` inside with these commands, one a line; throws
  /// std::runtime_error with ip's output if one fails.
  void ip(const std::vector<std::string>& commands) const;

 private:
  std::string label_;
  int fd_ = -1;
};

/// Runs `fn` on a new thread inside `ns` and waits for it; rethrows what
/// it throws. Catch2's assertions belong on the calling thread: `fn`
/// returns (or fills in) what the test checks afterwards. For tests that
/// drive their own dgram::Loop inside a namespace, start to end.
void runInside(const Namespace& ns, const std::function<void()>& fn);

/// A set of hosts on LANs (one bridge per LAN in a hub namespace).
/// Everything is gone once the Lab and the threads inside it are.
class Lab {
 public:
  Lab();
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  /// The host named `name`, created on first use. Once hosts have been
  /// attached, waits (at most 5 s) until every link is operationally up:
  /// the kernel brings carrier and queueing up asynchronously, and
  /// drops what is sent before that.
  Namespace& host(const std::string& name);
  /// Connects `host` to LAN `lan` (0..9) through interface `ifname`, as
  /// host number `number` (1..254): 198.18.<lan>.<number>/24,
  /// 2001:db8:<lan>::<number>/64, fe80::<number>/64. The first interface
  /// of a host also carries the host's 224.0.0.0/4 route.
  void attach(const std::string& host, int lan, const std::string& ifname,
              int number);

 private:
  Namespace& make(const std::string& name);
  void waitReady();

  Namespace hub_;
  bool pending_ = false;  // attached since the last waitReady()
  std::map<std::string, std::unique_ptr<Namespace>> hosts_;
  std::map<std::string, int> interfaces_;  // per host
  std::vector<int> lans_;
};

/// 198.18.<lan>.<number>
std::string ipv4(int lan, int number);
/// 2001:db8:<lan>::<number>
std::string ipv6(int lan, int number);
/// fe80::<number> (hex digits of `number`)
std::string linkLocal(int number);

/// One datagram as a socket saw it.
struct Received {
  std::string socket;  ///< the name given to Inbox::listener
  std::string data;
  dgram::RemoteInfo rinfo;
};

/// Collects datagrams and events from any thread; the test thread waits on
/// it with a deadline.
class Inbox {
 public:
  Inbox();

  /// A 'message' listener that records under `socket`. It keeps the
  /// records alive, so it may outlive the Inbox.
  dgram::MessageListener listener(std::string socket);
  /// Records an event (such as "error:r1:EACCES").
  void note(std::string event);

  /// Waits until `done()` holds (called with the lock held: it must not
  /// call the Inbox) or `limit` passes; returns done().
  bool waitUntil(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(5));
  /// Waits until `socket` received a datagram with `data`.
  bool waitFor(const std::string& socket, const std::string& data,
               std::chrono::milliseconds limit = std::chrono::seconds(5));
  /// Waits until `event` was noted.
  bool waitForEvent(const std::string& event,
                    std::chrono::milliseconds limit = std::chrono::seconds(5));

  /// Whether `socket` received `data` (no waiting).
  bool has(const std::string& socket, const std::string& data) const;
  /// The first datagram with `data` that `socket` received; throws if none.
  Received get(const std::string& socket, const std::string& data) const;
  /// How many datagrams `socket` received.
  std::size_t count(const std::string& socket) const;
  std::vector<std::string> events() const;
  /// Everything, one line each, for failure messages.
  std::string dump() const;

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Received> received;
    std::vector<std::string> events;
    bool has(const std::string& socket, const std::string& data) const;
  };
  std::shared_ptr<State> state_;
};

/// A thread inside a namespace that runs a dgram::Loop (on the backend
/// DGRAM_BACKEND names). Sockets made by `open` belong to it and are
/// closed and released on its thread when it ends.
class NsLoop {
 public:
  explicit NsLoop(const Namespace& ns);
  ~NsLoop();
  NsLoop(const NsLoop&) = delete;
  NsLoop& operator=(const NsLoop&) = delete;

  /// Runs `fn()` on the loop thread and returns its result (or rethrows
  /// its exception); throws if it does not finish within 5 s.
  template <typename F>
  auto call(F fn) -> decltype(fn()) {
    using R = decltype(fn());
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
    auto result = task->get_future();
    post([task] { (*task)(); });
    if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
      throw std::runtime_error("NsLoop::call timed out in " + label_);
    return result.get();
  }

  /// Creates a socket on this loop (from any thread): its datagrams go to
  /// `inbox` under `name`, its errors become "error:<name>:<code>" events.
  /// The pointer stays valid until the NsLoop ends.
  dgram::Socket* open(Inbox& inbox, const std::string& name,
                      dgram::SocketOptions options);
  dgram::Socket* open(Inbox& inbox, const std::string& name, dgram::Type type);

  /// Binds and waits for 'listening'; returns address(). Throws the bind
  /// error as a std::runtime_error.
  dgram::AddressInfo bind(dgram::Socket* socket, int port,
                          const std::string& address = {});
  /// Sends and waits for the callback; returns "" or the error code.
  std::string send(dgram::Socket* socket, const std::string& data, int port,
                   const std::string& address);
  /// Sends and waits for the callback; returns its error, if any.
  std::optional<dgram::Error> sendResult(dgram::Socket* socket,
                                         const std::string& data, int port,
                                         const std::string& address);
  /// Closes (if open) and waits for 'close'.
  void close(dgram::Socket* socket);

  const std::string& label() const noexcept { return label_; }

 private:
  void post(std::function<void()> fn);
  void main(int nsFd, std::promise<std::string>& started);

  std::string label_;
  dgram::Loop* loop_ = nullptr;                          // owned by the thread
  std::vector<std::shared_ptr<dgram::Socket>> sockets_;  // loop thread only
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

/// A child process inside a namespace with pipes to its stdin and its
/// stdout+stderr, killed (if still running) and reaped by the destructor.
class Process {
 public:
  Process(const Namespace& ns, const std::vector<std::string>& argv);
  /// Runs `argv` in this process's own network namespace (loopback).
  explicit Process(const std::vector<std::string>& argv);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// Writes `line` and a newline to its stdin.
  void writeLine(const std::string& line);
  /// The next line it printed, or nothing once `limit` passes or it ends.
  bool readLine(std::string& line,
                std::chrono::milliseconds limit = std::chrono::seconds(5));
  /// Closes its stdin and waits (at most 5 s) for it to exit; returns the
  /// exit status, or -1.
  int finish();
  /// Everything read so far (for failure messages).
  const std::string& transcript() const noexcept { return transcript_; }

 private:
  /// In the namespace `nsFd` names, or this one when it is -1.
  Process(int nsFd, const std::vector<std::string>& argv);
  // Unused where there are no namespaces (netns.cpp's stubs; clang says so).
  [[maybe_unused]] int pid_ = -1;
  [[maybe_unused]] int in_ = -1;
  [[maybe_unused]] int out_ = -1;
  std::string buffer_;
  std::string transcript_;
};

}  // namespace test::net

/// Skips the current test with a visible warning when namespaces cannot be
/// made here (not root, no iproute2, no veth support...).
#define NETNS_OR_SKIP()                                                \
  do {                                                                 \
    const std::string& netnsWhy_ = ::test::net::unavailableReason();   \
    if (!netnsWhy_.empty()) {                                          \
      WARN("SKIPPED (network namespaces unavailable): " << netnsWhy_); \
      return;                                                          \
    }                                                                  \
  } while (0)
