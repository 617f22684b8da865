// The sequence fuzzer (issue 10, "Prove it"; alphabet extended by issue 21):
// the input is a small program of API calls on a few sockets of one loop
// over loopback. Its letters (fuzz/sequence/alphabet.hpp): create (with
// GSO, GRO, pktinfo or a custom lookup), bind, connect, send with and
// without callbacks, SendFrom, close, drop the last reference, multicast
// membership on lo before, during and after the bind, listeners and
// callbacks that throw, close other sockets, drop their own reference,
// echo, keep the message, capture another socket and drop it, send runs
// (GSO), timers set, cleared, re-armed, refreshed and unref'd, intervals,
// posts, custom lookups that answer at once, late, never, after close or
// throw, faults injected into system calls (fault_injection.hpp), the loop
// destroyed mid-sequence, runOnce. Under ASan and UBSan it looks for
// crashes and leaks; the harness itself checks the rules the library
// promises (SPEC section 3, issues 10 and 21):
//   - every send, connect and close callback runs exactly once (bind: once
//     if 'listening' was emitted), on the loop, never inside the call that
//     registered it, and never while a harness call other than runOnce is
//     on the stack; nothing registered on a loop runs after it is gone;
//   - a timeout runs once per arming, an interval never after it was
//     cleared;
//   - an exception thrown by a listener or a lookup leaves runOnce() (or
//     the call that ran the lookup) and is neither swallowed nor
//     duplicated; nothing is lost: a datagram whose send callback reported
//     success to a socket that stays open is delivered, exactly once
//     (unless a poller registration was made to fail);
//   - every error is a dgram::Error with a Node code; every method of a
//     socket whose loop is gone throws ERR_SOCKET_DGRAM_NOT_RUNNING;
//   - a kept message reads the bytes it had in its listener, whatever came
//     later;
//   - after closing everything the loop runs out of work within a bounded
//     number of turns, every socket that nobody holds is destroyed, and no
//     descriptor is left open.
//   - runOnce() from inside a callback is refused with a dgram::Error; a
//     send to a host with a NUL byte fails with ENOTFOUND, and udp4 to an
//     IPv6 literal with "send EINVAL" (issue 10 items 4, 8, 9).
// Its seeds are written by sequence_seeds.py (regression seeds among them,
// one per defect it found).
//
// Traffic stays on this host: destinations are loopback (a custom lookup
// answers loopback only), groups are joined on lo, SendFrom names lo or a
// source the host does not have, and nothing is sent to a group.
//
// Paths known to be broken can be left out while their fix is pending, with
// DGRAM_SEQ_AVOID (see avoided() below). The default, and CI, exercises
// everything.
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <set>
#include <stdexcept>
#include <vector>

#include "common/platform_socket.hpp"
#include "fuzz_support.hpp"
#include "sequence/alphabet.hpp"
#include "sequence/faults.hpp"
#include "sequence/ledger.hpp"
#include "sequence/lookup.hpp"
#include "sequence/on_this_host.hpp"

namespace {

using namespace std::chrono_literals;
using dgram::Type;
using seq::Action;
using seq::Deed;
using seq::kSlots;
using seq::Op;
using seq::Thrown;
using seq::tracing;

constexpr std::uint8_t kMagic[2] = {0xd9, 0x7a};  // marks a tracked datagram

/// Known-broken paths left out while their fix is pending, named in
/// DGRAM_SEQ_AVOID (comma-separated): "reentry" (issue 10 item 4),
/// "echo" (item 2), "nulhost" (item 8), "v6literal" (item 9), "drop"
/// (letting go of the last reference of an open socket: item 1),
/// "connecting" (a send to an address from a socket that connected),
/// "throw:SITE" to keep one kind of callback from throwing, SITE one of
/// message, listening, connect, close, error, send, timer, post, and any
/// letter of issue 21 by its name: "membership", "sendfrom", "destroy",
/// "fault", "lookup", "keep", "relay", "burst", "interval".
bool avoided(const std::string& name) {
  static const std::string list = [] {
    const char* env = std::getenv("DGRAM_SEQ_AVOID");
    return "," + std::string(env ? env : "") + ",";
  }();
  return list.find("," + name + ",") != std::string::npos;
}

/// `text` with NUL bytes shown as \0 (fprintf would stop at them).
std::string printable(std::string text) {
  for (std::size_t i = text.find('\0'); i != std::string::npos;
       i = text.find('\0', i))
    text.replace(i, 1, "\\0");
  return text;
}

void checkError(const dgram::Error& e, const std::string& where) {
  fuzz::check(seq::isNodeCode(e.code()), where + ": '" + e.code() +
                                             "' is not a Node error code (" +
                                             e.what() + ")");
}

/// A socket created by this input (sockets outlive their slot).
struct Record {
  std::weak_ptr<dgram::Socket> weak;
  Type type = Type::udp4;
  int loop = 0;            // the loop it was created on
  bool abandoned = false;  // its loop was destroyed
  bool customLookup = false;
  bool closeCalled = false;
  bool everConnected = false;
  int port = 0;  // known once 'listening' was emitted
  int closes = 0;
  int listenings = 0;
  // Events with a throwing listener: callbacks behind it may be skipped,
  // as the rest of an EventEmitter's listeners are when one throws.
  bool throwsOnListening = false;
  bool throwsOnConnect = false;
  bool throwsOnClose = false;
  int bindExpectation = -1;  // index into expectations, -1 if no callback
};

/// A message kept past its listener, with the bytes it must still read.
struct KeptMessage {
  dgram::Bytes bytes;
  std::string expected;
};

/// A timer of the current loop and its expectation.
struct TimerRecord {
  dgram::Timeout timeout;
  int expectation;
  bool interval;
};

class Harness {
 public:
  explicit Harness(fuzz::Input& in) : in_(in) {}

  void run() {
    useErrorListeners_ = in_.flag();
    for (int op = 0; op < seq::kMaxOps && !in_.empty(); ++op) {
      try {
        step();
      } catch (const Thrown&) {
        // A custom lookup threw out of the call that ran it (send, bind,
        // connect, membership): the program goes on.
        if (tracing()) std::fprintf(stderr, "seq:   a lookup threw\n");
        ++caught_;
      }
    }
    finish();
  }

 private:
  dgram::Loop& loop() { return *loop_; }

  // --- the program --------------------------------------------------------
  void step() {
    int slot = static_cast<int>(in_.pick(kSlots));
    auto op = static_cast<Op>(in_.pick(unsigned(Op::count)));
    if (tracing()) std::fprintf(stderr, "seq: %s %d\n", seq::name(op), slot);
    switch (op) {
      case Op::create:
        create(slot, in_.flag() ? 1 : 0, false);
        break;
      case Op::bind:
        bind(slot);
        break;
      case Op::connect:
        connect(slot);
        break;
      case Op::send:
      case Op::send2: {
        bool withCallback = in_.flag();
        send(slot, withCallback, readDeed());
        break;
      }
      case Op::close: {
        bool withCallback = in_.flag();
        close(slot, withCallback, readDeed());
        break;
      }
      case Op::drop:
        if (!avoided("drop")) slots_[slot].reset();
        break;
      case Op::listen:
        addListener(slot);
        break;
      case Op::setTimeout:
        setTimer(readDeed(), false);
        break;
      case Op::clearTimeout:
        clearTimer();
        break;
      case Op::post:
        post(readDeed());
        break;
      case Op::runOnce:
        runOnce(in_.flag() ? 1ms : 0ms);
        break;
      case Op::createWith:
        create(slot, in_.byte(), true);
        break;
      case Op::membership:
        membership(slot);
        break;
      case Op::sendFrom:
        sendFromOp(slot);
        break;
      case Op::destroyLoop:
        if (!avoided("destroy")) destroyLoop();
        break;
      case Op::fault:
        if (avoided("fault")) break;
        {
          seq::ArmedFault armed = seq::armFault(in_);
          faultArmed_ = true;
          if (armed.registration) registrationFaulted_ = true;
          if (tracing())
            std::fprintf(
                stderr,
                "seq:   call %d fails with %d, from the %d., %d times\n",
                armed.call, armed.error, armed.nth, armed.times);
          break;
        }
      case Op::readKept:
        readKept(slot);
        break;
      case Op::answer:
        lookups_.answerStashed();
        break;
      case Op::timer:
        timerOp();
        break;
      case Op::count:
        break;
    }
  }

  Deed readDeed() {
    Deed deed;
    deed.action = static_cast<Action>(in_.pick(unsigned(Action::count)));
    deed.arg = static_cast<int>(in_.pick(kSlots));
    // Issue 21's deeds read what they need after the two bytes every deed
    // has, so that the older seeds keep their meaning.
    if (deed.action == Action::burst) {
      std::uint8_t shape = in_.byte();
      deed.count = 2 + (shape & 7);
      deed.toPeer = (shape & 8) != 0;
      deed.foreignSource = (shape & 16) != 0;
    } else if (deed.action == Action::relay) {
      deed.captured =
          std::make_shared<std::shared_ptr<dgram::Socket>>(slots_[deed.arg]);
    }
    return deed;
  }

  std::shared_ptr<dgram::Socket> socketIn(int slot) { return slots_[slot]; }
  Record* recordOf(int slot) {
    return slotRecord_[slot] < 0 ? nullptr : &records_[slotRecord_[slot]];
  }

  /// Runs a call of the program on `record`'s socket: whether it threw a
  /// dgram::Error (accepted: argument and state checks are other targets'
  /// business; what matters here is that a call that throws registers
  /// nothing). A socket whose loop is gone refuses every call with
  /// ERR_SOCKET_DGRAM_NOT_RUNNING.
  template <typename F>
  bool attempt(const Record& record, const char* call, F&& f) {
    std::optional<dgram::Error> thrown;
    try {
      f();
    } catch (const dgram::Error& e) {
      checkError(e, call);
      if (tracing())
        std::fprintf(stderr, "seq:   %s threw %s\n", call, e.what());
      thrown = e;
    }
    if (record.abandoned)
      fuzz::check(thrown && thrown->code() == "ERR_SOCKET_DGRAM_NOT_RUNNING",
                  std::string(call) + " on a socket whose loop is gone " +
                      (thrown ? "threw " + thrown->code() : "ran"));
    return thrown.has_value();
  }

  /// As attempt(), for a call that registers expectation `id`: a call
  /// that throws, whatever it throws, registers nothing.
  template <typename F>
  bool attemptRegistering(const Record& record, const char* call, int id,
                          F&& f) {
    bool threw = false;
    try {
      threw = attempt(record, call, f);
    } catch (...) {
      ledger_.registered(id, true);
      throw;
    }
    ledger_.registered(id, threw);
    return threw;
  }

  /// `flags` (createWith): bit 0 udp6, 1 GSO, 2 GRO, 3 pktinfo, 4 a custom
  /// lookup (its script follows), 5 reuseAddr. create: only bit 0.
  void create(int slot, std::uint8_t flags, bool withOptions) {
    Type type = (flags & 1) && fuzz::haveIPv6() ? Type::udp6 : Type::udp4;
    dgram::SocketOptions options;
    options.type = type;
    options.loop = loop_.get();
    options.gso = (flags & 2) != 0;
    options.gro = (flags & 4) != 0;
    options.recvPktInfo = (flags & 8) != 0;
    options.reuseAddr = (flags & 32) != 0;
    bool lookup = withOptions && (flags & 16) != 0;
    if (lookup) {
      auto script = seq::Lookups::readScript(in_);
      if (!avoided("lookup")) options.lookup = lookups_.make(script);
    }
    int index = static_cast<int>(records_.size());
    records_.emplace_back();
    // The first 'message' listener counts datagrams and never throws, so
    // the count is exact whatever the listeners added later do.
    auto socket = dgram::createSocket(
        options, [this, index](dgram::Bytes msg, const dgram::RemoteInfo& r) {
          received(index, msg, r);
        });
    Record& record = records_[index];
    record.weak = socket;
    record.type = type;
    record.loop = ledger_.loop();
    record.customLookup = bool(options.lookup);
    socket->on(dgram::listening, [this, index] {
      ledger_.inLoop("'listening'");
      Record& r = records_[index];
      if (tracing()) std::fprintf(stderr, "seq:   'listening' of #%d\n", index);
      ++r.listenings;
      fuzz::check(r.listenings == 1, "'listening' emitted twice");
      auto s = r.weak.lock();
      fuzz::check(s && !fuzz::thrownBy([&] { r.port = s->address().port; }),
                  "address() failed in 'listening'");
    });
    socket->on(dgram::close, [this, index] {
      ledger_.inLoop("'close'");
      ++records_[index].closes;
      fuzz::check(records_[index].closes == 1, "'close' emitted twice");
    });
    if (useErrorListeners_)
      socket->on(dgram::error, [this, index](const dgram::Error& e) {
        ledger_.inLoop("'error'");
        if (tracing())
          std::fprintf(stderr, "seq:   'error' of #%d: %s\n", index, e.what());
        checkError(e, "'error'");
      });
    // The socket in the slot before, if any, loses its reference here.
    if (slots_[slot] && avoided("drop")) kept_.push_back(slots_[slot]);
    slots_[slot] = std::move(socket);
    slotRecord_[slot] = index;
  }

  void bind(int slot) {
    auto socket = socketIn(slot);
    if (!socket) return;
    Record& record = *recordOf(slot);
    const char* host = fuzz::loopbackText(record.type);
    if (!in_.flag()) {
      // (A bind accepted after a failed one: this one has no callback.)
      if (!attempt(record, "bind", [&] { socket->bind(0, host); }))
        record.bindExpectation = -1;
      return;
    }
    // Checked against 'listening' at the end (an error skips both).
    int id = ledger_.expect("bind callback", true);
    bool threw = attemptRegistering(record, "bind", id, [&] {
      socket->bind(0, host, [this, id] { ledger_.ran(id); });
    });
    if (!threw) record.bindExpectation = id;
  }

  /// A destination: the sink, another socket of this input, a port out of
  /// range, or a host string the library must refuse.
  struct Destination {
    int port = 0;
    std::string host;
    int record = -1;        // the receiving record, if one of ours
    bool mustFail = false;  // the send must report an error...
    std::string code;       // ...with this code
    std::string syscall;    // ...and this syscall
  };
  Destination readDestination(const Record& from) {
    Type type = from.type;
    Destination d;
    d.host = fuzz::loopbackText(type);
    d.port = fuzz::Sink::get().port();
    switch (in_.pick(8)) {
      case 0:
      case 1:
        break;
      case 2:
        d.host.clear();  // the default: the loopback address
        break;
      case 3:
        d.port = in_.flag() ? 0 : 70000;  // refused by send itself
        break;
      case 4:
        if (avoided("nulhost")) break;
        d.host = d.host + std::string(1, '\0') + ".evil.example";
        d.mustFail = true;  // item 8: ENOTFOUND, sent nowhere
        d.code = "ENOTFOUND";
        d.syscall = "getaddrinfo";
        break;
      case 5:
        if (avoided("v6literal")) break;
        d.host = type == Type::udp4 ? "::1" : "127.0.0.1";
        d.mustFail = true;  // the other family's literal: EINVAL
        d.code = "EINVAL";
        if (type == Type::udp4) d.syscall = "send";  // item 9, as Node
        break;
      default: {
        // One of ours, if it has a port yet.
        auto k = static_cast<int>(in_.pick(16));
        if (k < static_cast<int>(records_.size()) && records_[k].port) {
          d.port = records_[k].port;
          d.host = fuzz::loopbackText(records_[k].type);
          d.record = k;
        }
      }
    }
    // Datagrams to a socket whose loop is gone go nowhere (nobody reads).
    if (d.record >= 0 && records_[d.record].abandoned) d.record = -1;
    // A custom lookup may fail or answer what it likes (loopback only).
    if (from.customLookup) d.mustFail = false;
    return d;
  }

  void connect(int slot) {
    auto socket = socketIn(slot);
    if (!socket) return;
    Record& record = *recordOf(slot);
    Destination d = readDestination(record);
    if (!in_.flag()) {
      if (!attempt(record, "connect", [&] { socket->connect(d.port, d.host); }))
        record.everConnected = true;
      return;
    }
    // Optional if a 'connect' listener throws ahead of it, known only at
    // the end: the callback joins the listeners once the bind is done.
    int id = ledger_.expect("connect callback", false);
    ledger_[id].connectOf = slotRecord_[slot];
    bool threw = true;
    try {
      threw = attemptRegistering(record, "connect", id, [&] {
        socket->connect(d.port, d.host,
                        [this, id](const std::optional<dgram::Error>& err) {
                          ledger_.ran(id);
                          if (err) checkError(*err, "connect callback");
                        });
      });
    } catch (...) {
      record.everConnected = true;  // (maybe: a lookup threw after asking)
      throw;
    }
    if (!threw) record.everConnected = true;
  }

  void send(int slot, bool withCallback, Deed deed) {
    auto socket = socketIn(slot);
    if (!socket) return;
    bool connected = in_.flag();
    Destination d = readDestination(*recordOf(slot));
    if (connected) d = Destination{};  // goes to the connected peer
    std::string payload = in_.string();
    issueSend(*socket, *recordOf(slot), withCallback, std::move(deed),
              connected, d, std::move(payload), nullptr);
  }

  /// A send of the program or of a callback; `from` for SendFrom.
  void issueSend(dgram::Socket& socket, const Record& record, bool withCallback,
                 Deed deed, bool connected, const Destination& d,
                 std::string payload, const dgram::SendFrom* from) {
    if (!connected && record.everConnected && avoided("connecting")) return;
    // A tracked datagram carries the magic and its number.
    std::uint32_t tag = nextTag_++;
    if (d.record >= 0) {
      char header[6] = {char(kMagic[0]), char(kMagic[1]), char(tag),
                        char(tag >> 8),  char(tag >> 16), char(tag >> 24)};
      payload.insert(0, header, sizeof header);
    }
    auto issue = [&](dgram::SendCallback cb) {
      if (connected)
        socket.send(dgram::Bytes(payload), std::move(cb));
      else if (from)
        socket.send(dgram::Bytes(payload), d.port, d.host, *from,
                    std::move(cb));
      else
        socket.send(dgram::Bytes(payload), d.port, d.host, std::move(cb));
    };
    if (!withCallback) {
      (void)attempt(record, "send", [&] { issue({}); });
      return;
    }
    int id = ledger_.expect("send callback", false);
    auto cb = [this, id, d, tag, deed](const std::optional<dgram::Error>& err,
                                       std::size_t) {
      ledger_.ran(id);
      if (err) checkError(*err, "send callback");
      // (Cancelled by a close before it got that far is fine too.)
      if (d.mustFail && !(err && err->code() == "ECANCELED")) {
        fuzz::check(err.has_value(),
                    "a send to '" + printable(d.host) + "' succeeded");
        fuzz::check(err->code() == d.code, "a send to '" + printable(d.host) +
                                               "' failed with " + err->code());
        fuzz::check(d.syscall.empty() || err->syscall() == d.syscall,
                    "a send to '" + printable(d.host) + "' failed in " +
                        err->syscall());
      }
      if (!err && d.record >= 0) owed_.push_back({tag, d.record});
      perform(deed, "send");
    };
    (void)attemptRegistering(record, "send", id, [&] { issue(cb); });
  }

  /// SendFrom: the system's choice, a loopback source (ours or another
  /// of 127/8), lo by index, a source the host does not have (a per-send
  /// failure), an interface that does not exist, or the arrival of a kept
  /// message.
  void sendFromOp(int slot) {
    auto socket = socketIn(slot);
    if (!socket || avoided("sendfrom")) return;
    const Record& record = *recordOf(slot);
    bool withCallback = in_.flag();
    Deed deed = readDeed();
    Destination d = readDestination(record);
    dgram::SendFrom from = seq::sourceFor(in_.pick(6), record.type, keptFrom_);
    std::string payload = in_.string();
    issueSend(*socket, record, withCallback, std::move(deed), false, d,
              std::move(payload), &from);
  }

  void close(int slot, bool withCallback, Deed deed) {
    auto socket = socketIn(slot);
    if (!socket) return;
    closeSocket(*socket, *recordOf(slot), withCallback, std::move(deed));
  }

  void closeSocket(dgram::Socket& socket, Record& record, bool withCallback,
                   Deed deed = {}) {
    int id = -1;
    if (withCallback)
      id = ledger_.expect("close callback", record.throwsOnClose);
    bool threw = false;
    if (id < 0) {
      threw = attempt(record, "close", [&] { socket.close(); });
    } else {
      threw = attemptRegistering(record, "close", id, [&] {
        socket.close([this, id, deed] {
          ledger_.ran(id);
          perform(deed, "close");
        });
      });
    }
    // (Accepted twice while the socket waits for its bind, as in Node:
    // both closes wait in the queue, and the second one does nothing.)
    if (!threw) record.closeCalled = true;
  }

  /// Multicast membership on lo: join or leave, any-source or
  /// source-specific, a group that is one, one that is not, or fuzzed
  /// text. The interface is always lo (an unnamed one would let the
  /// kernel pick another): outcomes are thrown dgram::Errors or 'error'.
  void membership(int slot) {
    auto socket = socketIn(slot);
    bool join = in_.flag();
    bool sourceSpecific = in_.flag();
    unsigned groupChoice = in_.pick(4);
    std::string fuzzed = groupChoice == 3 ? in_.string() : std::string();
    if (!socket || avoided("membership")) return;
    const Record& record = *recordOf(slot);
    std::string group = seq::groupFor(groupChoice, record.type, fuzzed);
    (void)attempt(record, "membership", [&] {
      seq::membershipOnLo(*socket, record.type, group, join, sourceSpecific);
    });
  }

  void addListener(int slot) {
    auto socket = socketIn(slot);
    if (!socket) return;
    Record& record = *recordOf(slot);
    Deed deed = readDeed();
    bool throws = deed.action == Action::raise;
    unsigned event = in_.pick(5);
    if (event == 0 && deed.action == Action::echo && avoided("echo")) return;
    if (event == 0 && deed.action == Action::keep && avoided("keep")) return;
    (void)attempt(record, "on", [&] {
      switch (event) {
        case 0:
          addMessageListener(socket, std::move(deed));
          return;
        case 1:
          record.throwsOnListening |= throws;
          socket->on(dgram::listening, [this, deed] {
            ledger_.inLoop("'listening'");
            perform(deed, "listening");
          });
          return;
        case 2:
          record.throwsOnConnect |= throws;
          socket->on(dgram::connect, [this, deed] {
            ledger_.inLoop("'connect'");
            perform(deed, "connect");
          });
          return;
        case 3:
          record.throwsOnClose |= throws;
          socket->on(dgram::close, [this, deed] {
            ledger_.inLoop("'close'");
            perform(deed, "close");
          });
          return;
        default:
          socket->on(dgram::error, [this, deed](const dgram::Error& e) {
            ledger_.inLoop("'error'");
            checkError(e, "'error'");
            perform(deed, "error");
          });
      }
    });
  }

  void addMessageListener(const std::shared_ptr<dgram::Socket>& socket,
                          Deed deed) {
    if (deed.action == Action::echo) {
      // Node's echo idiom: the listener owns its socket. Closing must
      // release it (issue 10 item 2).
      std::shared_ptr<dgram::Socket> self = socket;
      socket->on(dgram::message,
                 [this, self](dgram::Bytes msg, const dgram::RemoteInfo& r) {
                   ledger_.inLoop("echo");
                   if (!spend()) return;
                   // The reply is untracked (its magic cleared): an echo of
                   // an echo, or two echo listeners, legitimately repeat it.
                   std::string reply = msg.str();
                   if (!reply.empty()) reply[0] = 0;
                   try {
                     self->send(dgram::Bytes(reply), r.port, r.address);
                   } catch (const dgram::Error& e) {
                     checkError(e, "echo");
                   }
                 });
      return;
    }
    if (deed.action == Action::keep) {
      socket->on(dgram::message,
                 [this](dgram::Bytes msg, const dgram::RemoteInfo& r) {
                   ledger_.inLoop("keep");
                   keep(msg, r);
                 });
      return;
    }
    socket->on(dgram::message,
               [this, deed](dgram::Bytes, const dgram::RemoteInfo&) {
                 ledger_.inLoop("'message'");
                 perform(deed, "message");
               });
  }

  /// Keeps a message as a Node developer does, four ways in turn: a copy
  /// in a container, an assignment, a capture read by a posted job, and
  /// the arrival for a later SendFrom. All of them must read what the
  /// listener read, whatever the loop received since (issue 21 item 8).
  void keep(const dgram::Bytes& msg, const dgram::RemoteInfo& r) {
    std::string expected = msg.str();
    switch (keepTurn_++ % 4) {
      case 0:
        keptMessages_.push_back({msg, expected});
        break;
      case 1: {
        dgram::Bytes assigned;
        assigned = msg;
        keptMessages_.push_back({std::move(assigned), expected});
        break;
      }
      case 2: {
        if (!spend()) return;
        int id = ledger_.expect("post reading a captured message", false);
        loop().post([this, id, msg, expected] {
          ledger_.ran(id);
          fuzz::check(msg.view() == expected,
                      "a captured message changed before the job ran");
        });
        ledger_.registered(id, false);
        break;
      }
      default:
        keptFrom_.emplace_back(r);
        if (keptFrom_.size() > seq::kMaxKept) keptFrom_.pop_front();
        break;
    }
    if (keptMessages_.size() > seq::kMaxKept) keptMessages_.pop_front();
  }

  /// Every kept message still reads its bytes; the slot's socket (if
  /// any) sends the newest one to the sink.
  void readKept(int slot) {
    if (avoided("keep")) return;
    checkKept();
    auto socket = slots_[slot];
    if (!socket || keptMessages_.empty()) return;
    const Record& record = *recordOf(slot);
    (void)attempt(record, "send", [&] {
      socket->send(keptMessages_.back().bytes, fuzz::Sink::get().port(),
                   fuzz::loopbackText(record.type));
    });
  }

  void checkKept() {
    for (const auto& kept : keptMessages_)
      fuzz::check(kept.bytes.view() == kept.expected,
                  "a kept message reads other bytes than it had");
  }

  // --- timers ---------------------------------------------------------------
  void setTimer(Deed deed, bool interval) {
    int id = ledger_.expect(interval ? "interval" : "timer", false);
    ledger_[id].repeats = interval;
    auto delay = std::chrono::milliseconds(in_.pick(4));
    // The timer's own handle, for a refresh from inside its callback.
    auto self = std::make_shared<dgram::Timeout>();
    auto fn = [this, id, deed, self] {
      ledger_.ran(id);
      if (deed.action != Action::refresh) {
        perform(deed, "timer");
      } else if (!avoided("interval") && spend()) {
        // Its own refresh arms a fired timeout again.
        self->refresh();
        ledger_[id].armed = true;
      }
    };
    *self =
        interval ? loop().setInterval(delay, fn) : loop().setTimeout(delay, fn);
    ledger_.registered(id, false);
    timers_.push_back({*self, id, interval});
  }

  void clearTimer() {
    if (timers_.empty()) return;
    const TimerRecord& t =
        timers_[in_.pick(static_cast<unsigned>(timers_.size()))];
    loop().clearTimeout(t.timeout);
    ledger_.cancel(t.expectation);
  }

  /// Node's timer methods: setInterval, refresh, unref, ref, close,
  /// clearInterval.
  void timerOp() {
    unsigned what = in_.pick(6);
    if (avoided("interval")) return;
    if (what == 0) {
      setTimer(readDeed(), true);
      return;
    }
    if (timers_.empty()) return;
    TimerRecord& t = timers_[in_.pick(static_cast<unsigned>(timers_.size()))];
    switch (what) {
      case 1:
        // A pending timer is re-armed (still once); a fired one stays
        // fired (only its own callback re-arms it).
        t.timeout.refresh();
        break;
      case 2:
        // The loop may end without running it.
        t.timeout.unref();
        ledger_[t.expectation].optional = true;
        break;
      case 3:
        t.timeout.ref();
        break;
      case 4:
        t.timeout.close();
        ledger_.cancel(t.expectation);
        break;
      default:
        loop().clearInterval(t.timeout);
        ledger_.cancel(t.expectation);
        break;
    }
  }

  void post(Deed deed) {
    int id = ledger_.expect("post", false);
    loop().post([this, id, deed] {
      ledger_.ran(id);
      perform(deed, "post");
    });
    ledger_.registered(id, false);
  }

  // --- the loop's end ---------------------------------------------------
  /// Destroys the loop with everything in it, then makes a new one. Its
  /// sockets are abandoned (every method throws from now on), nothing it
  /// held runs any more, and what their listeners captured is freed inside
  /// the teardown (item 3).
  void destroyLoop() {
    timers_.clear();  // Timeouts name the old loop
    for (auto& record : records_)
      if (record.loop == ledger_.loop()) record.abandoned = true;
    ledger_.loopDestroyed();
    // An exception the I/O dispatch threw after an earlier one of the same
    // iteration waits for the next runOnce: at most one, gone with the loop.
    fuzz::check(thrown_ - caught_ <= 1, "exceptions never left runOnce");
    caught_ = thrown_;
    loop_.reset();
    try {
      loop_ = std::make_unique<dgram::Loop>();
    } catch (const dgram::Error& e) {
      // An armed fault (pollerCtl, fcntl) may fail the new loop's own
      // registrations: a dgram::Error, and nothing leaks (checked at the
      // end). The program goes on with the faults disarmed.
      checkError(e, "Loop()");
      seq::resetFaults();
      loop_ = std::make_unique<dgram::Loop>();
    }
  }

  // --- what callbacks do ----------------------------------------------------
  /// Work that callbacks create is budgeted, so that echoes, timers that
  /// set timers and sends from send callbacks always come to an end.
  bool spend() {
    if (budget_ == 0) return false;
    --budget_;
    return true;
  }

  void perform(const Deed& deed, const char* site) {
    const int slot = deed.arg;
    if (deed.action == Action::raise && avoided(std::string("throw:") + site))
      return;
    switch (deed.action) {
      case Action::none:
      case Action::echo:  // only meaningful on 'message' (addListener)
      case Action::keep:  // likewise
        return;
      case Action::raise:
        ++thrown_;
        throw Thrown();
      case Action::closeSlot: {
        auto socket = slots_[slot];
        Record* record = recordOf(slot);
        if (socket && !record->closeCalled && !record->abandoned)
          closeSocket(*socket, *record, false);
        return;
      }
      case Action::dropSlot:
        if (!avoided("drop")) slots_[slot].reset();  // maybe the emitter
        return;
      case Action::sendSlot: {
        auto socket = slots_[slot];
        if (socket && spend()) sendToSink(*socket, *recordOf(slot), 5);
        return;
      }
      case Action::timer:
        if (spend()) setTimer(Deed{}, false);
        return;
      case Action::post:
        if (spend()) post(Deed{});
        return;
      case Action::reenter:
        if (avoided("reentry")) return;
        {
          // Issue 10 item 4: refused with a dgram::Error, never recursion.
          bool refused = false;
          try {
            loop().runOnce(0ms);
          } catch (const dgram::Error&) {
            refused = true;
          }
          fuzz::check(refused, "runOnce() from inside a callback ran");
        }
        return;
      case Action::burst:
        if (!avoided("burst")) burst(deed);
        return;
      case Action::relay:
        relay(deed);
        return;
      case Action::join: {
        auto socket = slots_[slot];
        if (!socket || avoided("membership")) return;
        Record& record = *recordOf(slot);
        (void)attempt(record, "addMembership", [&] {
          seq::membershipOnLo(*socket, record.type,
                              seq::groupFor(0, record.type, {}), true, false);
        });
        return;
      }
      case Action::answer:
        lookups_.answerStashed();
        return;
      case Action::refresh:
        if (!timers_.empty() && !avoided("interval"))
          timers_.back().timeout.refresh();
        return;
      case Action::readKept:
        readKept(slot);
        return;
      case Action::count:
        return;
    }
  }

  /// A send with a callback (which does nothing more) to the sink.
  void sendToSink(dgram::Socket& socket, const Record& record, std::size_t size,
                  const dgram::SendFrom* from = nullptr, int toRecord = -1) {
    Destination d;
    d.host = fuzz::loopbackText(record.type);
    d.port = fuzz::Sink::get().port();
    if (toRecord >= 0) {
      d.port = records_[toRecord].port;
      d.record = toRecord;
    }
    issueSend(socket, record, true, Deed{}, false, d, std::string(size, 'g'),
              from);
  }

  /// A run of equal datagrams to one destination from inside the loop:
  /// with GSO on, one segmented send (issue 21 item 7: a foreign source
  /// in the run fails that send only).
  void burst(const Deed& deed) {
    auto socket = slots_[deed.arg];
    if (!socket) return;
    const Record& record = *recordOf(deed.arg);
    int peer = -1;
    if (deed.toPeer) {
      for (int k = 0; k < static_cast<int>(records_.size()); ++k) {
        const Record& r = records_[k];
        if (r.port && r.type == record.type && !r.abandoned && !r.closeCalled)
          peer = k;
      }
    }
    dgram::SendFrom foreign = seq::foreignSource(record.type);
    for (int i = 0; i < deed.count && spend(); ++i) {
      bool odd = deed.foreignSource && i == 1;
      sendToSink(*socket, record, 64, odd ? &foreign : nullptr, peer);
    }
  }

  /// A relay's upstream: the socket captured when the deed was made sends
  /// once, then the capture is dropped (maybe its last reference).
  void relay(const Deed& deed) {
    if (!deed.captured || avoided("relay")) return;
    std::shared_ptr<dgram::Socket> upstream = std::move(*deed.captured);
    deed.captured->reset();
    if (!upstream || !spend()) return;
    for (const auto& record : records_) {
      if (record.weak.lock() != upstream) continue;
      sendToSink(*upstream, record, 3);
      return;
    }
  }

  // --- the loop
  // ---------------------------------------------------------------
  /// runOnce, as a user who keeps going after an exception does.
  bool runOnce(std::chrono::milliseconds timeout) {
    seq::Ledger::InRunOnce scope(ledger_);
    bool alive = true;
    try {
      alive = loop().runOnce(timeout);
    } catch (const Thrown&) {
      if (tracing()) std::fprintf(stderr, "seq:   runOnce threw\n");
      ++caught_;
    } catch (const dgram::Error& e) {
      // An 'error' without a listener; Node would crash the process.
      checkError(e, "runOnce");
      if (tracing())
        std::fprintf(stderr, "seq:   runOnce threw %s\n", e.what());
    }
    fuzz::check(caught_ <= thrown_, "an exception left runOnce twice");
    return alive;
  }

  void received(int index, const dgram::Bytes& msg,
                const dgram::RemoteInfo& r) {
    ledger_.inLoop("the first 'message' listener");
    if (tracing())
      std::fprintf(stderr, "seq:   #%d got %zu bytes from %s\n", index,
                   msg.size(), r.address.c_str());
    auto from = dgram::detail::parseIp(r.address.view(), r.family,
                                       dgram::detail::zoneToIndex);
    fuzz::check(from && fuzz::isLoopback(*from),
                "a datagram from " + r.address.str());
    if (msg.size() < 6 || msg[0] != kMagic[0] || msg[1] != kMagic[1]) return;
    std::uint32_t tag =
        msg[2] | msg[3] << 8 | msg[4] << 16 | std::uint32_t(msg[5]) << 24;
    fuzz::check(delivered_.insert({tag, index}).second,
                "a datagram delivered twice");
  }

  // --- the end
  // ------------------------------------------------------------------
  void finish() {
    budget_ = 0;  // from here on, callbacks create no more work
    // The program ends its intervals, as a user would.
    for (const auto& t : timers_) {
      if (!t.interval) continue;
      loop().clearInterval(t.timeout);
      ledger_.cancel(t.expectation);
    }
    // Every datagram a send callback reported as sent to a socket that is
    // still open (and never connected elsewhere) must arrive, unless a
    // failed registration keeps its receiver deaf.
    auto undelivered = [&] {
      int missing = 0;
      for (auto [tag, index] : owed_) {
        const Record& r = records_[index];
        if (!r.closeCalled && !r.everConnected && !r.abandoned &&
            !delivered_.count({tag, index}))
          ++missing;
      }
      return registrationFaulted_ ? 0 : missing;
    };
    for (int i = 0; i < 200 && undelivered() > 0; ++i)
      runOnce(1ms);
    fuzz::check(undelivered() == 0, "datagrams sent but never delivered");

    // Close everything still open, held by us or only by the loop.
    for (auto& record : records_) {
      auto socket = record.weak.lock();
      if (socket && !record.closeCalled && !record.abandoned)
        closeSocket(*socket, record, false);
    }
    // The loop runs dry within a bounded number of turns. The stashed
    // lookups answer now, after close: a socket whose close waits behind
    // sends queued for its bind needs the answer (as in Node, whose close
    // waits in the same queue), and one that closed must ignore it.
    bool idle = false;
    for (int i = 0; i < 500 && !idle; ++i) {
      lookups_.answerStashed();
      idle = !runOnce(1ms);
    }
    fuzz::check(idle, "the loop still has work after everything was closed");
    // Once idle, run() returns at once.
    {
      seq::Ledger::InRunOnce scope(ledger_);
      loop().run();
    }
    fuzz::check(caught_ == thrown_, "an exception never left runOnce");

    for (auto& e : ledger_.all()) {
      if (e.connectOf >= 0 && records_[e.connectOf].throwsOnConnect)
        e.optional = true;
      // (A cancelled one that ran afterwards failed in Ledger::ran.)
      if (!e.cancelled && !e.optional && !e.repeats) {
        fuzz::check(e.calls >= 1, e.what + " never ran");
      }
    }
    for (const auto& record : records_) {
      if (record.abandoned) {
        fuzz::check(record.closes <= 1, "'close' emitted twice");
        continue;
      }
      fuzz::check(record.closes == (record.closeCalled ? 1 : 0),
                  "'close' not emitted exactly once for a closed socket");
      if (record.bindExpectation < 0 || record.throwsOnListening) continue;
      // A failed bind (an injected fault, a lookup's error) takes its
      // callback away: the 'listening' of a later bind is not its own.
      int calls = ledger_[record.bindExpectation].calls;
      if (faultArmed_ || record.customLookup)
        fuzz::check(calls <= record.listenings,
                    "a bind callback ran without 'listening'");
      else
        fuzz::check(calls == record.listenings,
                    "bind callback and 'listening' disagree");
    }
    checkKept();
    // The program ends its timers (an unref'd one may still be pending,
    // its callback holding what it captured).
    for (auto& t : timers_)
      t.timeout.close();
    // Closed and no longer held by us: the socket is gone.
    for (auto& slot : slots_)
      slot.reset();
    kept_.clear();
    keptMessages_.clear();
    keptFrom_.clear();
    lookups_.forget();
    timers_.clear();
    for (const auto& record : records_)
      fuzz::check(record.weak.expired(),
                  "a closed socket nobody holds is still alive");
  }

  fuzz::Input& in_;
  long thrown_ = 0;
  long caught_ = 0;
  std::unique_ptr<dgram::Loop> loop_ = std::make_unique<dgram::Loop>();
  seq::Lookups lookups_{loop_, thrown_};
  bool useErrorListeners_ = false;
  bool registrationFaulted_ = false;
  bool faultArmed_ = false;
  std::shared_ptr<dgram::Socket> slots_[kSlots];
  std::vector<std::shared_ptr<dgram::Socket>> kept_;  // see avoided("drop")
  int slotRecord_[kSlots] = {-1, -1, -1, -1};
  std::vector<Record> records_;
  seq::Ledger ledger_;
  std::vector<TimerRecord> timers_;
  std::deque<KeptMessage> keptMessages_;
  std::deque<dgram::SendFrom> keptFrom_;
  unsigned keepTurn_ = 0;
  std::vector<std::pair<std::uint32_t, int>> owed_;
  std::set<std::pair<std::uint32_t, int>> delivered_;
  std::uint32_t nextTag_ = 0;
  int budget_ = seq::kWorkBudget;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::Sink::get();  // opened once, before the descriptors are counted
  int fdsBefore = fuzz::openFdCount();
  seq::resetFaults();
  {
    fuzz::Input in(data, size);
    Harness harness(in);
    harness.run();
  }
  seq::resetFaults();
  fuzz::check(fuzz::openFdCount() == fdsBefore, "a descriptor leaked");
  fuzz::Sink::get().drain();
  return 0;
}
