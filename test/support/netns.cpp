// Network namespaces, veths and bridges for tests: see netns.hpp.
#include "support/netns.hpp"

#ifdef __linux__
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif  // __linux__

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <sstream>

namespace test::net {
namespace {

using Clock = std::chrono::steady_clock;

#ifdef __linux__

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

int remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - Clock::now())
                  .count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// A new network namespace, made on a short-lived thread so that the
// calling thread stays where it is; returns its fd or -1 (errno set).
int makeNamespace(std::string& error) {
  int fd = -1;
  std::thread maker([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      error = errnoText("unshare(CLONE_NEWNET)");
      return;
    }
    fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) error = errnoText("open /proc/thread-self/ns/net");
  });
  maker.join();
  return fd;
}

// fork + setns + exec with the child's stdin and stdout/stderr on pipes.
// Everything the child needs is prepared before fork (only system calls
// between fork and exec: the parent has threads).
int spawn(int nsFd, const std::vector<std::string>& args, int& in, int& out,
          std::string& error) {
  std::vector<char*> argv;
  for (const auto& arg : args)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  int inPipe[2];
  int outPipe[2];
  if (::pipe2(inPipe, O_CLOEXEC) != 0) {
    error = errnoText("pipe2");
    return -1;
  }
  if (::pipe2(outPipe, O_CLOEXEC) != 0) {
    error = errnoText("pipe2");
    ::close(inPipe[0]);
    ::close(inPipe[1]);
    return -1;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    if (nsFd >= 0 && ::setns(nsFd, CLONE_NEWNET) != 0) ::_exit(126);
    ::dup2(inPipe[0], 0);
    ::dup2(outPipe[1], 1);
    ::dup2(outPipe[1], 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(inPipe[0]);
  ::close(outPipe[1]);
  if (pid < 0) {
    error = errnoText("fork");
    ::close(inPipe[1]);
    ::close(outPipe[0]);
    return -1;
  }
  in = inPipe[1];
  out = outPipe[0];
  return pid;
}

int reap(int pid, Clock::time_point deadline) {
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string probe() {
  if (findProgram("ip").empty()) return "no 'ip' command (install iproute2)";
  std::string error;
  int fd = makeNamespace(error);
  if (fd < 0) return error + " (needs root / CAP_SYS_ADMIN)";
  ::close(fd);
  try {
    Namespace ns("probe");
    ns.ip({"link add probe0 type veth peer name probe1",
           "link add probebr type bridge"});
  } catch (const std::exception& e) {
    return std::string("cannot create veth/bridge devices: ") + e.what();
  }
  return {};
}

#endif  // __linux__

}  // namespace

std::string findProgram(std::string_view name) {
#ifdef __linux__
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + std::string(name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
#else
  (void)name;
#endif  // __linux__
  return {};
}

const std::string& unavailableReason() {
#ifdef __linux__
  static const std::string reason = probe();
#else
  static const std::string reason = "network namespaces are Linux only";
#endif  // __linux__
  return reason;
}

// ---------------------------------------------------------------------------
// Namespace

Namespace::Namespace(std::string label) : label_(std::move(label)) {
#ifdef __linux__
  std::string error;
  fd_ = makeNamespace(error);
  if (fd_ < 0) throw std::runtime_error(label_ + ": " + error);
  ip({"link set lo up"});
#else
  throw std::runtime_error("network namespaces are Linux only");
#endif  // __linux__
}

Namespace::~Namespace() {
#ifdef __linux__
  if (fd_ >= 0) ::close(fd_);
#endif  // __linux__
}

std::string Namespace::path() const {
#ifdef __linux__
  return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd_);
#else
  return {};
#endif  // __linux__
}

CommandResult Namespace::run(const std::vector<std::string>& argv,
                             const std::string& input) const {
  CommandResult result;
#ifdef __linux__
  auto deadline = Clock::now() + std::chrono::seconds(10);
  int in = -1;
  int out = -1;
  std::string error;
  int pid = spawn(fd_, argv, in, out, error);
  if (pid < 0) {
    result.output = error;
    return result;
  }
  // Small inputs only (ip batches): they fit in the pipe.
  std::size_t written = 0;
  while (written < input.size()) {
    ssize_t n = ::write(in, input.data() + written, input.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  ::close(in);
  char chunk[4096];
  for (;;) {
    pollfd pfd{out, POLLIN, 0};
    int ready = ::poll(&pfd, 1, remainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    ssize_t n = ::read(out, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(out);
  result.status = reap(pid, deadline);
#else
  (void)argv;
  (void)input;
#endif  // __linux__
  return result;
}

void runInside(const Namespace& ns, const std::function<void()>& fn) {
  std::exception_ptr failure;
  std::string error;
  int fd = ns.fd();
  std::thread inside([&] {
#ifdef __linux__
    if (::setns(fd, CLONE_NEWNET) != 0) {
      error = errnoText("setns");
      return;
    }
#else
    (void)fd;
#endif  // __linux__
    try {
      fn();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  inside.join();
  if (!error.empty()) throw std::runtime_error(ns.label() + ": " + error);
  if (failure) std::rethrow_exception(failure);
}

void Namespace::ip(const std::vector<std::string>& commands) const {
  static const std::string ipPath = findProgram("ip");
  std::string input;
  for (const auto& command : commands)
    input += command + "\n";
  CommandResult result = run({ipPath, "-batch", "-"}, input);
  if (result.status != 0) {
    throw std::runtime_error("ip -batch in " + label_ + " failed (status " +
                             std::to_string(result.status) +
                             "): " + result.output + "\ncommands:\n" + input);
  }
}

// ---------------------------------------------------------------------------
// Lab

Lab::Lab() : hub_("hub") {}

Lab::~Lab() = default;

Namespace& Lab::make(const std::string& name) {
  auto& slot = hosts_[name];
  if (!slot) slot = std::make_unique<Namespace>(name);
  return *slot;
}

Namespace& Lab::host(const std::string& name) {
  Namespace& ns = make(name);
  if (pending_) waitReady();
  return ns;
}

void Lab::waitReady() {
  static const std::string ipPath = findProgram("ip");
  pending_ = false;
  std::vector<const Namespace*> all{&hub_};
  for (const auto& entry : hosts_)
    all.push_back(entry.second.get());
  auto deadline = Clock::now() + std::chrono::seconds(5);
  for (const Namespace* ns : all) {
    for (;;) {
      CommandResult links = ns->run({ipPath, "-o", "link", "show"});
      bool ready = links.status == 0;
      std::stringstream lines(links.output);
      std::string line;
      while (ready && std::getline(lines, line)) {
        if (line.find(" lo: ") != std::string::npos) continue;
        ready = line.find(" state UP ") != std::string::npos;
      }
      if (ready) break;
      if (Clock::now() >= deadline) {
        throw std::runtime_error("links in " + ns->label() +
                                 " not up after 5 s:\n" + links.output);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

void Lab::attach(const std::string& hostName, int lan,
                 const std::string& ifname, int number) {
  Namespace& ns = make(hostName);
  pending_ = true;
  const std::string bridge = "br" + std::to_string(lan);
  if (std::find(lans_.begin(), lans_.end(), lan) == lans_.end()) {
    // Snooping off: the bridge floods multicast, so only the hosts'
    // own membership decides what is delivered.
    hub_.ip({"link add " + bridge +
                 " type bridge mcast_snooping 0 forward_delay 0 stp_state 0",
             "link set " + bridge + " up"});
    lans_.push_back(lan);
  }
  const std::string port =
      "p" + std::to_string(lan) + "h" + std::to_string(number);
  hub_.ip({"link add " + port + " type veth peer name " + ifname + " netns " +
               ns.path(),
           "link set " + port + " master " + bridge + " up"});
  std::vector<std::string> setup = {
      // No automatic link-local address: fe80::<number> is the only one.
      "link set " + ifname + " addrgenmode none",
      "link set " + ifname + " up",
      "address add " + ipv4(lan, number) + "/24 dev " + ifname,
      "address add " + linkLocal(number) + "/64 dev " + ifname + " nodad",
      "address add " + ipv6(lan, number) + "/64 dev " + ifname + " nodad",
  };
  if (interfaces_[hostName]++ == 0)
    setup.push_back("route add 224.0.0.0/4 dev " + ifname);
  ns.ip(setup);
}

std::string ipv4(int lan, int number) {
  return "198.18." + std::to_string(lan) + "." + std::to_string(number);
}

std::string ipv6(int lan, int number) {
  char text[64];
  std::snprintf(text, sizeof text, "2001:db8:%x::%x", lan, number);
  return text;
}

std::string linkLocal(int number) {
  char text[32];
  std::snprintf(text, sizeof text, "fe80::%x", number);
  return text;
}

// ---------------------------------------------------------------------------
// Inbox

Inbox::Inbox() : state_(std::make_shared<State>()) {}

dgram::MessageListener Inbox::listener(std::string socket) {
  return [state = state_, socket = std::move(socket)](
             dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
    {
      std::lock_guard<std::mutex> lock(state->mutex);
      state->received.push_back(Received{socket, msg.str(), rinfo});
    }
    state->changed.notify_all();
  };
}

void Inbox::note(std::string event) {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->events.push_back(std::move(event));
  }
  state_->changed.notify_all();
}

bool Inbox::waitUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock(state_->mutex);
  return state_->changed.wait_for(lock, limit, done);
}

bool Inbox::waitFor(const std::string& socket, const std::string& data,
                    std::chrono::milliseconds limit) {
  return waitUntil([&] { return state_->has(socket, data); }, limit);
}

bool Inbox::waitForEvent(const std::string& event,
                         std::chrono::milliseconds limit) {
  return waitUntil(
      [&] {
        return std::find(state_->events.begin(), state_->events.end(), event) !=
               state_->events.end();
      },
      limit);
}

bool Inbox::State::has(const std::string& socket,
                       const std::string& data) const {
  return std::any_of(received.begin(), received.end(), [&](const Received& r) {
    return r.socket == socket && r.data == data;
  });
}

bool Inbox::has(const std::string& socket, const std::string& data) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->has(socket, data);
}

Received Inbox::get(const std::string& socket, const std::string& data) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  for (const auto& r : state_->received) {
    if (r.socket == socket && r.data == data) return r;
  }
  throw std::runtime_error(socket + " did not receive '" + data + "'");
}

std::size_t Inbox::count(const std::string& socket) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return static_cast<std::size_t>(
      std::count_if(state_->received.begin(), state_->received.end(),
                    [&](const Received& r) { return r.socket == socket; }));
}

std::vector<std::string> Inbox::events() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->events;
}

std::string Inbox::dump() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  std::string text;
  for (const auto& r : state_->received) {
    text += r.socket + " <- '" + r.data + "' from " + r.rinfo.address.str() +
            " port " + std::to_string(r.rinfo.port) + "\n";
  }
  for (const auto& e : state_->events)
    text += "event " + e + "\n";
  return text;
}

// ---------------------------------------------------------------------------
// NsLoop

NsLoop::NsLoop(const Namespace& ns) : label_(ns.label()) {
  std::promise<std::string> started;
  auto result = started.get_future();
  int fd = ns.fd();
  thread_ = std::thread([this, fd, &started] { main(fd, started); });
  std::string error = result.get();
  if (!error.empty()) {
    thread_.join();
    throw std::runtime_error(label_ + ": " + error);
  }
}

NsLoop::~NsLoop() {
  stopping_ = true;
  if (loop_) loop_->post([] {});  // wake it
  thread_.join();
}

void NsLoop::main(int nsFd, std::promise<std::string>& started) {
#ifdef __linux__
  if (::setns(nsFd, CLONE_NEWNET) != 0) {
    started.set_value(errnoText("setns"));
    return;
  }
#else
  (void)nsFd;
#endif  // __linux__
  std::optional<dgram::Loop> loop;
  try {
    loop.emplace();
  } catch (const std::exception& e) {
    started.set_value(e.what());
    return;
  }
  loop_ = &*loop;
  started.set_value({});
  while (!stopping_) {
    try {
      loop->runOnce(std::chrono::milliseconds(50));
    } catch (const std::exception&) {
      // An 'error' nobody listened to: every socket made by open() has a
      // listener, so this is a test's own socket; keep running.
    }
  }
  // Close what is still open, let the 'close' callbacks run (bounded),
  // then release the sockets here, on their loop's thread.
  for (auto& socket : sockets_) {
    try {
      socket->close();
    } catch (const std::exception&) {
      // already closed
    }
  }
  auto deadline = Clock::now() + std::chrono::seconds(2);
  for (int i = 0; i < 400 && Clock::now() < deadline; ++i) {
    try {
      if (!loop->runOnce(std::chrono::milliseconds(5))) break;
    } catch (const std::exception&) {
    }
  }
  sockets_.clear();
  loop_ = nullptr;
}

void NsLoop::post(std::function<void()> fn) {
  if (!loop_) throw std::runtime_error(label_ + ": loop not running");
  loop_->post(std::move(fn));
}

dgram::Socket* NsLoop::open(Inbox& inbox, const std::string& name,
                            dgram::SocketOptions options) {
  return call([&] {
    options.loop = loop_;
    auto socket = dgram::createSocket(options, inbox.listener(name));
    socket->on(dgram::error, [inbox, name](const dgram::Error& e) mutable {
      inbox.note("error:" + name + ":" + e.code());
    });
    sockets_.push_back(socket);
    return socket.get();
  });
}

dgram::Socket* NsLoop::open(Inbox& inbox, const std::string& name,
                            dgram::Type type) {
  dgram::SocketOptions options;
  options.type = type;
  return open(inbox, name, options);
}

dgram::AddressInfo NsLoop::bind(dgram::Socket* socket, int port,
                                const std::string& address) {
  struct State {
    std::promise<std::string> done;
    std::once_flag once;
    dgram::ListenerId errorId = 0;
  };
  auto state = std::make_shared<State>();
  auto finish = [state](std::string error) {
    std::call_once(state->once,
                   [&] { state->done.set_value(std::move(error)); });
  };
  call([&] {
    state->errorId = socket->once(
        dgram::error, [finish](const dgram::Error& e) { finish(e.what()); });
    dgram::Listener onListening = [finish, state, socket] {
      socket->off(state->errorId);
      finish({});
    };
    if (address.empty()) {
      socket->bind(port, onListening);
    } else {
      socket->bind(port, address, onListening);
    }
  });
  auto result = state->done.get_future();
  if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    throw std::runtime_error(label_ + ": bind timed out");
  std::string error = result.get();
  if (!error.empty())
    throw std::runtime_error(label_ + ": bind " + address + ": " + error);
  return call([socket] { return socket->address(); });
}

std::string NsLoop::send(dgram::Socket* socket, const std::string& data,
                         int port, const std::string& address) {
  auto error = sendResult(socket, data, port, address);
  return error ? error->code() : std::string();
}

std::optional<dgram::Error> NsLoop::sendResult(dgram::Socket* socket,
                                               const std::string& data,
                                               int port,
                                               const std::string& address) {
  using Result = std::optional<dgram::Error>;
  auto done = std::make_shared<std::promise<Result>>();
  auto result = done->get_future();
  call([&] {
    socket->send(data, port, address, [done](const Result& err, std::size_t) {
      done->set_value(err);
    });
  });
  if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    throw std::runtime_error(label_ + ": send timed out");
  return result.get();
}

void NsLoop::close(dgram::Socket* socket) {
  auto done = std::make_shared<std::promise<void>>();
  auto result = done->get_future();
  bool closing = call([&] {
    try {
      socket->close([done] { done->set_value(); });
      return true;
    } catch (const dgram::Error&) {
      return false;  // already closed
    }
  });
  if (closing &&
      result.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    throw std::runtime_error(label_ + ": close timed out");
}

// ---------------------------------------------------------------------------
// Process

Process::Process(const Namespace& ns, const std::vector<std::string>& argv)
    : Process(ns.fd(), argv) {}

Process::Process(const std::vector<std::string>& argv) : Process(-1, argv) {}

Process::Process(int nsFd, const std::vector<std::string>& argv) {
#ifdef __linux__
  std::string error;
  pid_ = spawn(nsFd, argv, in_, out_, error);
  if (pid_ < 0) throw std::runtime_error(error);
#else
  (void)nsFd;
  (void)argv;
  throw std::runtime_error("Process is Linux only");
#endif  // __linux__
}

Process::~Process() {
#ifdef __linux__
  if (in_ >= 0) ::close(in_);
  if (out_ >= 0) ::close(out_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
#endif  // __linux__
}

void Process::writeLine(const std::string& line) {
#ifdef __linux__
  std::string text = line + "\n";
  std::size_t written = 0;
  while (written < text.size() && in_ >= 0) {
    ssize_t n = ::write(in_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(errnoText("write to child"));
    written += static_cast<std::size_t>(n);
  }
#else
  (void)line;
#endif  // __linux__
}

bool Process::readLine(std::string& line, std::chrono::milliseconds limit) {
#ifdef __linux__
  auto deadline = Clock::now() + limit;
  for (;;) {
    auto newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return true;
    }
    if (out_ < 0) return false;
    pollfd pfd{out_, POLLIN, 0};
    int ready = ::poll(&pfd, 1, remainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char chunk[4096];
    ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(out_);
      out_ = -1;
      continue;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    transcript_.append(chunk, static_cast<std::size_t>(n));
  }
#else
  (void)line;
  (void)limit;
  return false;
#endif  // __linux__
}

int Process::finish() {
#ifdef __linux__
  if (in_ >= 0) {
    ::close(in_);
    in_ = -1;
  }
  if (pid_ <= 0) return -1;
  int status = reap(pid_, Clock::now() + std::chrono::seconds(5));
  pid_ = -1;
  return status;
#else
  return -1;
#endif  // __linux__
}

}  // namespace test::net
