// send() argument validation through the real public API on a real Loop.
//
// The input scripts a short session on one socket: sends in every overload
// (message, offset, length, port, address and callback decoded from the
// bytes), connect, disconnect, bind, close, address queries and loop turns.
// A model of Node's rules (reference S1-S4, S14, B1, B2, C1, C5, C6, A1)
// predicts each call's outcome: accepted, or a dgram::Error with the given
// code. Every send callback must run exactly once, never inside the call,
// and the loop must end up idle with no descriptor left open.
//
// Traffic only ever goes to loopback: valid ports become the sink's port,
// host names go to a custom lookup that answers only loopback (or fails),
// and without that lookup only loopback literals are kept.
#include <functional>
#include <memory>
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

// Node's state machine as far as the caller can see it, kept up to date
// from the socket's events.
struct Model {
  bool bindStarted = false;  // bind() or an implicit bind happened
  bool bound = false;        // 'listening' seen
  bool queued = false;       // sends/connect wait in the pre-bind queue
  bool closeDeferred = false;
  bool closed = false;
  enum { disconnected, connecting, connected } connect = disconnected;
};

// One send the harness made, and what became of it.
struct SendRecord {
  bool accepted = false;
  bool hasCallback = false;
  std::size_t bytes = 0;
  int calls = 0;
};

// How the custom lookup answers a name (decoded per name from the input).
enum class Answer {
  loopback,
  otherFamily,
  mapped,
  garbage,
  fail,
  later,
  never
};

class Session {
 public:
  explicit Session(fuzz::Input& in) : in_(in) {}

  void run();

 private:
  void open();
  void step();
  void doSend();
  void doConnect();
  void doBind();
  void finish();

  std::string addressFrom();
  dgram::Bytes messageFrom(std::vector<std::uint8_t>& storage);
  std::size_t sizeFrom(std::size_t size);
  void lookup(std::string_view host, Family family, dgram::LookupCallback done);
  bool callbacksDone() const;

  fuzz::Input& in_;
  Type type_ = Type::udp4;
  bool customLookup_ = false;
  std::unique_ptr<dgram::Loop> loop_;
  std::shared_ptr<dgram::Socket> socket_;
  Model model_;
  bool inCall_ = false;  // a callback seen while this is set ran too early
  bool closeEmitted_ = false;
  std::vector<std::shared_ptr<SendRecord>> sends_;
  std::vector<Answer> answers_;  // consumed in lookup order
  std::size_t nextAnswer_ = 0;
  std::vector<dgram::LookupCallback> held_;  // answered after close
  int connectsInFlight_ = 0;
};

// What the kernel may say about other 127/8, ::1 and ::ffff:127.x
// destinations: ICMP from a dead port, broadcast without SO_BROADCAST, odd
// scopes, an IPv4-mapped peer of a socket bound to ::1 (ENETUNREACH).
// What the kernel may answer a well-formed send. EAFNOSUPPORT: a udp6
// socket bound to an IPv4-mapped address sends only to IPv4 (Linux), as
// Node reports it too.
const std::set<std::string> kKernelErrors = {
    "ECONNREFUSED", "EACCES", "EADDRNOTAVAIL", "ENETUNREACH", "EAFNOSUPPORT"};

// Refused without a lookup (host_text.hpp): "127.1" on udp6, "::1%".
bool isHostError(const std::string& code) {
  return code == "ENOTFOUND" || code == "EINVAL" || code == "EAI_ADDRFAMILY";
}

bool isSendError(const std::string& code) {
  return code == "ECANCELED"    // closed before it could go (S14)
         || code == "EINVAL"    // address of the other family
         || code == "EISCONN"   // to an address, issued while connecting
         || isHostError(code)   // refused host text, a failed lookup
         || code == "EMSGSIZE"  // over 65507 (IPv4) / 65527 (IPv6) bytes
         || kKernelErrors.count(code) == 1;
}

// Whether SendFrom accepts `text` on a socket of `type`: an address of its
// family, or on udp6 an IPv4 one (meaning its IPv4-mapped form).
bool isSourceFor(const std::string& text, Type type) {
  using dgram::detail::parseIp;
  using dgram::detail::zoneToIndex;
  if (parseIp(text, Family::IPv4, zoneToIndex)) return true;
  return type == Type::udp6 && parseIp(text, Family::IPv6, zoneToIndex);
}

bool isConnectError(const std::string& code) {
  return code == "ECANCELED" || isHostError(code) ||
         kKernelErrors.count(code) == 1;
}

void Session::open() {
  type_ = in_.flag() && fuzz::haveIPv6() ? Type::udp6 : Type::udp4;
  customLookup_ = in_.flag();
  loop_ = std::make_unique<dgram::Loop>();
  dgram::SocketOptions options;
  options.type = type_;
  options.loop = loop_.get();
  if (customLookup_) {
    options.lookup = [this](std::string_view host, Family family,
                            dgram::LookupCallback done) {
      lookup(host, family, std::move(done));
    };
  }
  socket_ = dgram::createSocket(options);
  socket_->on(dgram::listening, [this] {
    fuzz::check(!inCall_, "'listening' inside a call");
    model_.bound = true;
    model_.queued = false;
    if (model_.closeDeferred) model_.closed = true;  // queued close runs now
  });
  socket_->on(dgram::close, [this] {
    fuzz::check(!closeEmitted_, "'close' emitted twice");
    closeEmitted_ = true;
  });
  socket_->on(dgram::error, [this](const Error& e) {
    fuzz::check(!inCall_, "'error' inside a call");
    if (e.syscall() == "bind") {
      // The bind failed: back to unbound, the queue is cancelled.
      fuzz::check(e.code() == "EADDRINUSE", "bind error " + e.code());
      model_.bindStarted = model_.bound = model_.queued = false;
      if (model_.connect == Model::connecting)
        model_.connect = Model::disconnected;
      if (model_.closeDeferred) model_.closed = true;
      return;
    }
    bool known = (e.syscall() == "getaddrinfo" && isHostError(e.code())) ||
                 (e.syscall() == "recvmsg" && e.code() == "ECONNREFUSED");
    fuzz::check(known, "unexpected 'error' " + e.code() + " " + e.syscall() +
                           ": " + e.what());
  });
}

// A name the custom lookup is asked about: a loopback literal answers for
// itself; anything else gets the next decoded answer.
void Session::lookup(std::string_view host, Family family,
                     dgram::LookupCallback done) {
  fuzz::check(family == (type_ == Type::udp4 ? Family::IPv4 : Family::IPv6),
              "lookup asked for the wrong family");
  if (auto ip = dgram::detail::parseAnyIp(host, dgram::detail::zoneToIndex);
      ip && fuzz::isLoopback(*ip)) {
    done(std::nullopt, host, ip->family);
    return;
  }
  Answer answer = nextAnswer_ < answers_.size() ? answers_[nextAnswer_++]
                                                : Answer::loopback;
  bool v4 = type_ == Type::udp4;
  switch (answer) {
    case Answer::loopback:
      done(std::nullopt, v4 ? "127.0.0.1" : "::1", family);
      break;
    case Answer::otherFamily:
      done(std::nullopt, v4 ? "::1" : "127.0.0.1",
           v4 ? Family::IPv6 : Family::IPv4);
      break;
    case Answer::mapped:
      done(std::nullopt, "::ffff:127.0.0.1", Family::IPv6);
      break;
    case Answer::garbage:
      done(std::nullopt, "not an address", family);
      break;
    case Answer::fail:
      done(Error::system(-3008, "ENOTFOUND", "getaddrinfo", std::string(host)),
           {}, family);
      break;
    case Answer::later:
      loop_->setTimeout(1ms, [done, family, v4] {
        done(std::nullopt, v4 ? "127.0.0.1" : "::1", family);
      });
      break;
    case Answer::never:
      held_.push_back(std::move(done));
      break;
  }
}

// An address argument that can only lead to loopback traffic.
std::string Session::addressFrom() {
  switch (in_.pick(4)) {
    case 0:
      return {};
    case 1:
      return fuzz::loopbackText(type_);
    case 2:
      return fuzz::loopbackText(type_ == Type::udp4 ? Type::udp6 : Type::udp4);
    default:
      break;
  }
  std::string text = in_.string();
  if (customLookup_) {
    if (!text.empty()) answers_.push_back(static_cast<Answer>(in_.pick(7)));
    return text;
  }
  // Without a custom lookup an address is used as is, an error comes
  // without a lookup and a name goes to the real resolver
  // (host_text.hpp): keep only what cannot reach another host.
  if (text.empty()) return text;
  using dgram::detail::HostKind;
  Family family = type_ == Type::udp4 ? Family::IPv4 : Family::IPv6;
  auto reading =
      dgram::detail::readHost(text, family, dgram::detail::zoneToIndex);
  bool keep = reading.kind == HostKind::address
                  ? fuzz::isLoopback(reading.ip)
                  : reading.kind == HostKind::otherFamily ||
                        reading.kind == HostKind::refused;
  return keep ? text : fuzz::loopbackText(type_);
}

// A payload: empty, bytes from the input, or a large generated one (up to
// a little past the largest datagram, to reach EMSGSIZE).
dgram::Bytes Session::messageFrom(std::vector<std::uint8_t>& storage) {
  switch (in_.pick(3)) {
    case 0:
      storage.clear();
      break;
    case 1: {
      std::string bytes = in_.string();
      storage.assign(bytes.begin(), bytes.end());
      break;
    }
    default: {
      std::size_t size = in_.integer<std::uint32_t>() % 65600;
      std::uint8_t seed = in_.byte();
      storage.resize(size);
      for (std::size_t i = 0; i < size; ++i)
        storage[i] = static_cast<std::uint8_t>(i * 31 + seed);
    }
  }
  return dgram::Bytes(storage.data(), storage.size());
}

// An offset or a length: small, near the message size, or anything.
std::size_t Session::sizeFrom(std::size_t size) {
  switch (in_.pick(3)) {
    case 0:
      return in_.byte();
    case 1:
      return size - in_.byte() % 4 + 2;  // size-2 .. size+2 (may wrap: fine)
    default:
      return in_.integer<std::uint64_t>();
  }
}

void Session::doSend() {
  std::vector<std::uint8_t> storage;
  dgram::Bytes msg = messageFrom(storage);
  std::vector<std::uint8_t> storage2;
  unsigned form = in_.pick(9);
  bool sliced = form == 2 || form == 3 || form == 7;
  bool list = form == 4 || form == 5 || form == 8;
  bool hasPort = form <= 5;
  bool hasAddress = form == 0 || form == 2 || form == 4;
  std::size_t offset = sliced ? sizeFrom(msg.size()) : 0;
  std::size_t length = sliced ? sizeFrom(msg.size()) : 0;
  std::vector<dgram::Bytes> parts;
  if (list) {
    // Split the message at two points into up to three parts.
    std::size_t a =
        msg.size() ? in_.integer<std::uint16_t>() % (msg.size() + 1) : 0;
    std::size_t b =
        a + (msg.size() - a ? in_.byte() % (msg.size() - a + 1) : 0);
    parts = {dgram::Bytes(msg.data(), a), dgram::Bytes(msg.data() + a, b - a),
             dgram::Bytes(msg.data() + b, msg.size() - b)};
    parts.resize(1 + in_.pick(3) % 3);
    if (in_.flag()) parts.clear();  // an empty list: an empty datagram (S5)
  }
  int port = hasPort ? fuzz::portFrom(in_) : 0;
  std::string address = hasAddress ? addressFrom() : std::string();
  // Form 0 may name a source (SendFrom): loopback, the other family's,
  // nothing, or any text; through no interface or loopback's.
  bool withSource = form == 0 && in_.flag();
  std::string sourceText;
  std::uint32_t sourceInterface = 0;
  if (withSource) {
    switch (in_.pick(4)) {
      case 0:
        sourceText = fuzz::loopbackText(type_);
        break;
      case 1:
        sourceText =
            fuzz::loopbackText(type_ == Type::udp4 ? Type::udp6 : Type::udp4);
        break;
      case 2:
        break;
      default:
        sourceText = in_.string();
    }
    sourceInterface = in_.flag() ? fuzz::loopbackIndex() : 0;
  }

  // What Node says (S4 slicing first, then S3 / S2, then B2).
  std::string expected;
  if (sliced && offset > msg.size())
    expected = "ERR_BUFFER_OUT_OF_BOUNDS";
  else if (sliced && length > msg.size() - offset)
    expected = "ERR_BUFFER_OUT_OF_BOUNDS";
  else if (model_.connect == Model::connected && (hasPort || !address.empty()))
    expected = "ERR_SOCKET_DGRAM_IS_CONNECTED";
  else if (model_.connect != Model::connected &&
           (!hasPort || port < 1 || port > 65535))
    expected = "ERR_SOCKET_BAD_PORT";
  else if (model_.closed)
    expected = "ERR_SOCKET_DGRAM_NOT_RUNNING";
  else if (withSource && !sourceText.empty() && !isSourceFor(sourceText, type_))
    expected = "ERR_INVALID_ARG_VALUE";

  auto record = std::make_shared<SendRecord>();
  record->hasCallback = in_.pick(4) != 0;
  if (sliced) {
    record->bytes = length;
  } else if (list) {
    for (const auto& part : parts)
      record->bytes += part.size();
  } else {
    record->bytes = msg.size();
  }
  dgram::SendCallback cb;
  if (record->hasCallback) {
    cb = [this, record](const std::optional<Error>& err, std::size_t bytes) {
      fuzz::check(!inCall_, "send callback inside the call (S10)");
      fuzz::check(++record->calls == 1, "send callback called twice");
      fuzz::check(record->accepted, "callback of a rejected send");
      if (err) {
        fuzz::check(isSendError(err->code()),
                    "send callback error " + err->code() + ": " + err->what());
        fuzz::check(bytes == 0, "bytes with an error");
      } else {
        fuzz::check(bytes == record->bytes, "wrong byte count");
      }
    };
  }

  inCall_ = true;
  auto thrown = fuzz::thrownBy([&] {
    dgram::Socket& s = *socket_;
    switch (form) {
      case 0:
        if (withSource)
          s.send(msg, port, address,
                 dgram::SendFrom(sourceText, sourceInterface), cb);
        else
          s.send(msg, port, address, cb);
        break;
      case 1:
        s.send(msg, port, cb);
        break;
      case 2:
        s.send(msg, offset, length, port, address, cb);
        break;
      case 3:
        s.send(msg, offset, length, port, cb);
        break;
      case 4:
        s.send(parts, port, address, cb);
        break;
      case 5:
        s.send(parts, port, cb);
        break;
      case 6:
        s.send(msg, cb);
        break;
      case 7:
        s.send(msg, offset, length, cb);
        break;
      default:
        s.send(parts, cb);
        break;
    }
  });
  inCall_ = false;
  // The caller may reuse its buffer as soon as send returns (Socket::send
  // copies what it needs).
  std::fill(storage.begin(), storage.end(), 0xdd);
  fuzz::expectOutcome(thrown, expected, "send form " + std::to_string(form));
  record->accepted = !thrown;
  sends_.push_back(record);
  if (!thrown && !model_.bindStarted) model_.bindStarted = true;  // S8
  if (!thrown && !model_.bound) model_.queued = true;             // S9
}

void Session::doConnect() {
  int port = fuzz::portFrom(in_);
  std::string address = addressFrom();
  std::string expected;
  if (model_.closed)
    expected = "ERR_SOCKET_DGRAM_NOT_RUNNING";
  else if (port < 1 || port > 65535)
    expected = "ERR_SOCKET_BAD_PORT";
  else if (model_.connect != Model::disconnected)
    expected = "ERR_SOCKET_DGRAM_IS_CONNECTED";
  inCall_ = true;
  auto thrown = fuzz::thrownBy([&] {
    socket_->connect(port, address, [this](const std::optional<Error>& err) {
      fuzz::check(!inCall_, "connect callback inside the call");
      --connectsInFlight_;
      if (err) {
        fuzz::check(isConnectError(err->code()),
                    "connect error " + err->code());
        model_.connect = Model::disconnected;
      } else {
        model_.connect = Model::connected;
      }
    });
  });
  inCall_ = false;
  fuzz::expectOutcome(thrown, expected, "connect");
  if (thrown) return;
  ++connectsInFlight_;
  model_.connect = Model::connecting;
  model_.bindStarted = true;
  if (!model_.bound) model_.queued = true;
}

void Session::doBind() {
  // The socket's own loopback or the any address (never the other family:
  // that fails in getaddrinfo rather than bind). Port 0, the sink's port
  // (EADDRINUSE) or anything out of range.
  std::string address = in_.flag() ? fuzz::loopbackText(type_) : "";
  int port = 0;
  switch (in_.pick(3)) {
    case 0:
      port = 0;
      break;
    case 1:
      port = fuzz::Sink::get().port();
      break;
    default: {
      int raw = in_.integer<std::int32_t>();
      port = raw >= 0 && raw <= 65535 ? 0 : raw;
    }
  }
  std::string expected;
  if (model_.closed)
    expected = "ERR_SOCKET_DGRAM_NOT_RUNNING";
  else if (model_.bindStarted)
    expected = "ERR_SOCKET_ALREADY_BOUND";
  else if (port < 0 || port > 65535)
    expected = "ERR_SOCKET_BAD_PORT";
  inCall_ = true;
  auto thrown = fuzz::thrownBy([&] { socket_->bind(port, address); });
  inCall_ = false;
  fuzz::expectOutcome(thrown, expected, "bind");
  if (!thrown) model_.bindStarted = true;
}

void Session::step() {
  switch (in_.pick(10)) {
    case 0:
    case 1:
    case 2:
      doSend();
      break;
    case 3:
      doConnect();
      break;
    case 4: {
      std::string expected = model_.closed ? "ERR_SOCKET_DGRAM_NOT_RUNNING"
                             : model_.connect != Model::connected
                                 ? "ERR_SOCKET_DGRAM_NOT_CONNECTED"
                                 : "";
      auto thrown = fuzz::thrownBy([&] { socket_->disconnect(); });
      fuzz::expectOutcome(thrown, expected, "disconnect");
      if (!thrown) model_.connect = Model::disconnected;
      break;
    }
    case 5: {
      std::string expected =
          model_.closed ? "ERR_SOCKET_DGRAM_NOT_RUNNING" : "";
      auto thrown = fuzz::thrownBy([&] { socket_->close(); });
      fuzz::expectOutcome(thrown, expected, "close");
      if (thrown) break;
      if (model_.queued)
        model_.closeDeferred = true;  // X2: after the queued sends
      else
        model_.closed = true;
      break;
    }
    case 6:
      doBind();
      break;
    case 7: {
      std::string expected = model_.closed   ? "ERR_SOCKET_DGRAM_NOT_RUNNING"
                             : !model_.bound ? "EBADF"
                                             : "";
      auto thrown = fuzz::thrownBy([&] { socket_->address(); });
      fuzz::expectOutcome(thrown, expected, "address");
      break;
    }
    case 8: {
      std::string expected = model_.closed ? "ERR_SOCKET_DGRAM_NOT_RUNNING"
                             : model_.connect != Model::connected
                                 ? "ERR_SOCKET_DGRAM_NOT_CONNECTED"
                                 : "";
      std::optional<dgram::AddressInfo> info;
      auto thrown = fuzz::thrownBy([&] { info = socket_->remoteAddress(); });
      fuzz::expectOutcome(thrown, expected, "remoteAddress");
      if (info)
        fuzz::check(info->port == fuzz::Sink::get().port(),
                    "remoteAddress port");
      if (model_.closed)
        fuzz::check(socket_->getSendQueueCount() == 0 &&
                        socket_->getSendQueueSize() == 0,
                    "send queue of a closed socket");
      break;
    }
    default:
      for (int i = in_.pick(4); i >= 0; --i)
        loop_->runOnce(0ms);
      break;
  }
}

bool Session::callbacksDone() const {
  for (const auto& record : sends_) {
    if (record->accepted && record->hasCallback && record->calls != 1)
      return false;
  }
  return connectsInFlight_ == 0;
}

void Session::finish() {
  if (!model_.closed && !model_.closeDeferred) socket_->close();
  // Bounded: everything here is loopback and finishes within a few turns.
  bool idle = false;
  for (int i = 0; i < 2000 && !idle; ++i) {
    bool alive = loop_->runOnce(1ms);
    idle = !alive && closeEmitted_ && callbacksDone();
  }
  fuzz::check(closeEmitted_, "'close' never emitted");
  fuzz::check(callbacksDone(), "a send or connect callback never ran");
  fuzz::check(idle, "the loop stays alive after close");
  // Answers that come after close are ignored.
  for (auto& done : held_)
    done(std::nullopt, fuzz::loopbackText(type_), {});
  for (int i = 0; i < 3; ++i)
    loop_->runOnce(0ms);
  socket_.reset();
  loop_.reset();
  fuzz::Sink::get().drain();
}

void Session::run() {
  open();
  for (int steps = 0; steps < 24 && !in_.empty(); ++steps)
    step();
  finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::Sink::get();  // its descriptors live for the whole run
  int fds = fuzz::openFdCount();
  {
    fuzz::Input in(data, size);
    Session session(in);
    session.run();
  }
  fuzz::check(fuzz::openFdCount() == fds, "file descriptor leak");
  return 0;
}
