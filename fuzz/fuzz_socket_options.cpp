// createSocket, bind and connect options through the public API: type
// strings, SocketOptions (flags, buffer sizes, lookup, abort signal),
// bind(port, address) and bind(BindOptions) with adopted descriptors of
// every kind, connect, buffer-size and TTL setters, close and abort.
//
// Checked: argument errors carry Node's codes (reference O7, O8, O2, B1,
// B2, B6, C1, C5); whatever is thrown is a dgram::Error with a code that
// call can give; 'close' comes exactly once; the loop ends idle; and every
// descriptor is accounted for: an adopted UDP socket is closed with the
// dgram socket, any other descriptor passed in is left alone, none leaks.
//
// No datagram is sent. Bind addresses are loopback, any, or host text
// dgram reads without asking DNS (a bind to a foreign address just fails);
// other names only reach the custom lookup, which answers loopback or fails;
// valid ports become 0, a port in use (the sink's) or, for connect, the sink's.
#include <fcntl.h>
#include <sys/stat.h>

#include <set>
#include <vector>

#include "common/host_text.hpp"
#include "common/platform_socket.hpp"
#include "fuzz_support.hpp"

namespace {

using dgram::Error;
using dgram::Family;
using dgram::Type;
using namespace std::chrono_literals;

// A descriptor this session made for bind({fd}) and still owns.
struct Descriptor {
  int fd = -1;
  bool udp = false;
};

class Session {
 public:
  explicit Session(fuzz::Input& in) : in_(in) {}
  ~Session();
  void run();

 private:
  bool create();
  void step();
  void bind();
  void connect();
  void bufferSize();
  void ttl();
  std::string addressFrom();
  int descriptorFrom();
  void expectThrows(const std::optional<Error>& thrown, const char* call,
                    std::set<std::string> codes, bool mustThrow);

  fuzz::Input& in_;
  Type type_ = Type::udp4;
  bool customLookup_ = false;
  std::unique_ptr<dgram::Loop> loop_;
  std::shared_ptr<dgram::Socket> socket_;
  dgram::AbortController abort_;
  int closeEvents_ = 0;
  bool closeCalled_ = false;
  std::vector<Descriptor> descriptors_;
  bool adopted_ = false;  // bind({fd}) took a socket of either family
};

Session::~Session() {
  socket_.reset();
  loop_.reset();
  // Descriptors bind({fd}) refused must still be open.
  for (const Descriptor& d : descriptors_)
    fuzz::check(::close(d.fd) == 0, "bind({fd}) closed a foreign descriptor");
}

std::string Session::addressFrom() {
  switch (in_.pick(5)) {
    case 0:
      return {};
    case 1:
      return fuzz::loopbackText(type_);
    case 2:
      return type_ == Type::udp4 ? "0.0.0.0" : "::";
    case 3:
      return fuzz::loopbackText(type_ == Type::udp4 ? Type::udp6 : Type::udp4);
    default:
      break;
  }
  std::string text = in_.string();
  if (customLookup_ || text.empty()) return text;
  // A name for DNS would reach the real resolver; addresses, text refused
  // without a lookup and hosts-file-only names do not (host_text.hpp).
  Family family = type_ == Type::udp4 ? Family::IPv4 : Family::IPv6;
  auto reading =
      dgram::detail::readHost(text, family, dgram::detail::zoneToIndex);
  if (reading.kind == dgram::detail::HostKind::name)
    return fuzz::loopbackText(type_);
  return text;
}

// -1, or a descriptor of some kind made for this call.
int Session::descriptorFrom() {
  Descriptor d;
  switch (in_.pick(7)) {
    case 0:
      return -1;
    case 1:
    case 2: {
      int af = in_.flag() ? AF_INET6 : AF_INET;
      d.fd = ::socket(af, SOCK_DGRAM, 0);
      d.udp = true;
      break;
    }
    case 3:
      d.fd = ::socket(AF_INET, SOCK_STREAM, 0);
      break;
    case 4:
      d.fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
      break;
    case 5:
      d.fd = ::open("/dev/null", O_RDONLY);
      break;
    default: {
      int fd = ::dup(0);  // a number that is free again: EBADF
      ::close(fd);
      return fd;
    }
  }
  if (d.fd >= 0) descriptors_.push_back(d);
  return d.fd;
}

void Session::expectThrows(const std::optional<Error>& thrown, const char* call,
                           std::set<std::string> codes, bool mustThrow) {
  codes.insert("ERR_SOCKET_DGRAM_NOT_RUNNING");
  if (mustThrow)
    fuzz::check(thrown.has_value(), std::string(call) + " did not throw");
  if (thrown)
    fuzz::check(
        codes.count(thrown->code()) == 1,
        std::string(call) + " threw " + thrown->code() + ": " + thrown->what());
}

bool Session::create() {
  // The type string (O8): only "udp4" and "udp6" are types.
  std::string typeText;
  switch (in_.pick(4)) {
    case 0:
      typeText = "udp4";
      break;
    case 1:
      typeText = "udp6";
      break;
    default:
      typeText = in_.string();
      break;
  }
  if (typeText != "udp4" && typeText != "udp6") {
    auto thrown = fuzz::thrownBy([&] { dgram::createSocket(typeText); });
    fuzz::expectOutcome(thrown, "ERR_SOCKET_BAD_TYPE", "createSocket(type)");
    typeText = in_.flag() ? "udp6" : "udp4";
  }
  type_ = typeText == "udp6" && fuzz::haveIPv6() ? Type::udp6 : Type::udp4;

  dgram::SocketOptions options;
  options.type = type_;
  options.loop = loop_.get();
  options.reuseAddr = in_.flag();
  options.reusePort = in_.flag();
  options.ipv6Only = in_.flag();
  for (int* size : {&options.recvBufferSize, &options.sendBufferSize}) {
    switch (in_.pick(3)) {
      case 0:
        *size = 0;
        break;
      case 1:
        *size = in_.integer<std::uint16_t>();
        break;
      default:
        *size = in_.integer<std::int32_t>();
        break;
    }
  }
  customLookup_ = in_.flag();
  if (customLookup_) {
    bool fail = in_.flag();
    options.lookup = [fail, this](std::string_view host, Family family,
                                  dgram::LookupCallback done) {
      if (fail) {
        done(
            Error::system(-3008, "ENOTFOUND", "getaddrinfo", std::string(host)),
            {}, family);
      } else {
        done(std::nullopt, fuzz::loopbackText(type_), family);
      }
    };
  }
  switch (in_.pick(3)) {
    case 0:
      break;
    case 1:
      options.signal = abort_.signal();
      break;
    default:
      abort_.abort();  // already aborted: closes at once (X3)
      options.signal = abort_.signal();
      break;
  }
  bool badSize = options.recvBufferSize < 0 || options.sendBufferSize < 0;
  auto thrown = fuzz::thrownBy([&] { socket_ = dgram::createSocket(options); });
  fuzz::expectOutcome(thrown, badSize ? "ERR_SOCKET_BAD_BUFFER_SIZE" : "",
                      "createSocket(options)");
  if (!socket_) return false;
  socket_->on(dgram::close, [this] { ++closeEvents_; });
  socket_->on(dgram::error, [](const Error& e) {
    static const std::set<std::string> kEmitted = {
        "EADDRINUSE",     "EADDRNOTAVAIL",
        "EINVAL",         "EACCES",
        "ENOTFOUND",      "ERR_SOCKET_BUFFER_SIZE",
        "EAI_ADDRFAMILY", "ECONNREFUSED",
        "ENETUNREACH"};  // e.g. an IPv4-mapped peer of a socket
                         // on ::1
    fuzz::check(kEmitted.count(e.code()) == 1,
                "unexpected 'error' " + e.code() + ": " + e.what());
  });
  return true;
}

void Session::bind() {
  std::string address = addressFrom();
  int port = 0;
  switch (in_.pick(3)) {
    case 0:
      port = 0;
      break;
    case 1:
      port = fuzz::Sink::get().port();
      break;  // in use
    default: {
      int raw = in_.integer<std::int32_t>();
      port = raw >= 0 && raw <= 65535 ? 0 : raw;
    }
  }
  bool badPort = port < 0 || port > 65535;
  bool withOptions = in_.flag();
  dgram::BindOptions options{port, address, in_.flag(), -1};
  if (withOptions) options.fd = descriptorFrom();
  auto thrown = fuzz::thrownBy([&] {
    if (withOptions)
      socket_->bind(options);
    else if (in_.flag())
      socket_->bind(port, address, [] {});
    else
      socket_->bind(port, address);
  });
  if (options.fd >= 0) {
    // bind({fd}) ignores port and address (B6).
    expectThrows(
        thrown, "bind({fd})",
        {"ERR_SOCKET_ALREADY_BOUND", "ERR_INVALID_FD_TYPE", "EBADF", "EEXIST"},
        false);
    // The descriptor just made is the last one listed (a free number for
    // EBADF is not listed). Adopted, it is the socket's now; refused, it
    // is still ours: a UDP one is closed here (which fails if bind closed
    // it), the others when the session ends.
    if (descriptors_.empty() || descriptors_.back().fd != options.fd) return;
    Descriptor d = descriptors_.back();
    if (!thrown || d.udp) descriptors_.pop_back();
    if (!thrown) adopted_ = true;
    if (thrown && d.udp)
      fuzz::check(::close(d.fd) == 0, "a failed bind({fd}) closed it");
    return;
  }
  expectThrows(thrown, "bind",
               {"ERR_SOCKET_ALREADY_BOUND", "ERR_SOCKET_BAD_PORT"}, badPort);
}

void Session::connect() {
  int port = fuzz::portFrom(in_);
  std::string address = addressFrom();
  bool badPort = port < 1 || port > 65535;
  auto thrown = fuzz::thrownBy([&] {
    if (in_.flag())
      socket_->connect(port, address);
    else
      socket_->connect(port, address, [](const std::optional<Error>&) {});
  });
  expectThrows(thrown, "connect",
               {"ERR_SOCKET_BAD_PORT", "ERR_SOCKET_DGRAM_IS_CONNECTED"},
               badPort);
}

void Session::bufferSize() {
  bool recv = in_.flag();
  bool set = in_.flag();
  int size =
      in_.flag() ? in_.integer<std::uint16_t>() : in_.integer<std::int32_t>();
  int got = 0;
  auto thrown = fuzz::thrownBy([&] {
    if (set && recv) socket_->setRecvBufferSize(size);
    if (set && !recv) socket_->setSendBufferSize(size);
    if (!set && recv) got = socket_->getRecvBufferSize();
    if (!set && !recv) got = socket_->getSendBufferSize();
  });
  expectThrows(thrown, "buffer size",
               {"ERR_SOCKET_BAD_BUFFER_SIZE", "ERR_SOCKET_BUFFER_SIZE"},
               set && size <= 0);
  if (!set && !thrown) fuzz::check(got > 0, "a buffer size <= 0");
}

void Session::ttl() {
  int value = in_.flag() ? in_.byte() : in_.integer<std::int32_t>();
  int got = -1;
  switch (in_.pick(3)) {
    case 0: {
      auto thrown = fuzz::thrownBy([&] { got = socket_->setTTL(value); });
      expectThrows(thrown, "setTTL", {"EINVAL", "EBADF"},
                   value < 1 || value > 255);
      if (!thrown) fuzz::check(got == value, "setTTL's result");
      break;
    }
    case 1: {
      auto thrown =
          fuzz::thrownBy([&] { got = socket_->setMulticastTTL(value); });
      expectThrows(thrown, "setMulticastTTL", {"EINVAL", "EBADF"},
                   value < 0 || value > 255);
      if (!thrown) fuzz::check(got == value, "setMulticastTTL's result");
      break;
    }
    default: {
      auto thrown = fuzz::thrownBy([&] { socket_->setBroadcast(value & 1); });
      expectThrows(thrown, "setBroadcast", {"EBADF"}, false);
    }
  }
}

void Session::step() {
  switch (in_.pick(11)) {
    case 0:
    case 1:
      bind();
      break;
    case 2:
      connect();
      break;
    case 3: {
      auto thrown = fuzz::thrownBy([&] { socket_->disconnect(); });
      expectThrows(thrown, "disconnect", {"ERR_SOCKET_DGRAM_NOT_CONNECTED"},
                   false);
      break;
    }
    case 4:
      bufferSize();
      break;
    case 5:
      ttl();
      break;
    case 6: {
      auto thrown = fuzz::thrownBy([&] {
        if (in_.flag()) {
          auto info = socket_->address();
          fuzz::check(info.family == (type_ == Type::udp4 ? Family::IPv4
                                                          : Family::IPv6) ||
                          adopted_,
                      "address() family");
        } else {
          socket_->remoteAddress();
        }
      });
      expectThrows(thrown, "address",
                   {"EBADF", "ERR_SOCKET_DGRAM_NOT_CONNECTED"}, false);
      break;
    }
    case 7:
      if (in_.flag())
        socket_->ref();
      else
        socket_->unref();
      break;
    case 8: {
      auto thrown = fuzz::thrownBy([&] { socket_->close(); });
      expectThrows(thrown, "close", {}, closeCalled_ && closeEvents_ > 0);
      closeCalled_ = true;
      break;
    }
    case 9:
      abort_.abort();
      break;
    default:
      for (int i = in_.pick(4); i >= 0; --i)
        loop_->runOnce(0ms);
      break;
  }
}

void Session::run() {
  loop_ = std::make_unique<dgram::Loop>();
  if (!create()) return;
  for (int steps = 0; steps < 16 && !in_.empty(); ++steps)
    step();
  fuzz::thrownBy([&] { socket_->close(); });  // NOT_RUNNING if already closed
  bool idle = false;
  for (int i = 0; i < 500 && !idle; ++i)
    idle = !loop_->runOnce(1ms) && closeEvents_;
  fuzz::check(closeEvents_ == 1,
              "'close' emitted " + std::to_string(closeEvents_) + " times");
  fuzz::check(idle, "the loop stays alive after close");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::Sink::get();
  int fds = fuzz::openFdCount();
  {
    fuzz::Input in(data, size);
    Session session(in);
    session.run();
  }
  fuzz::check(fuzz::openFdCount() == fds, "file descriptor leak");
  return 0;
}
