// The sequence fuzzer's alphabet: the letters (operations the program makes
// between two runOnce calls, and deeds that callbacks do when they run),
// numbered as the input encodes them. fuzz/sequence_seeds.py writes seeds
// in this code, so the numbers are the format: new letters go at the end,
// and a letter's bytes never change (old seeds keep their meaning).
#pragma once

#include <cstdint>
#include <memory>

#include "dgram/dgram.hpp"

namespace seq {

constexpr int kSlots = 4;             // sockets the program names at once
constexpr int kMaxOps = 96;           // operations per input
constexpr int kWorkBudget = 48;       // sends, timers, posts made by callbacks
constexpr std::size_t kMaxKept = 16;  // kept messages (oldest dropped)

/// The operations of the program: one byte after the slot byte.
enum class Op : std::uint8_t {
  create,        // a udp4/udp6 socket in the slot
  bind,          // bind(0, loopback[, cb])
  connect,       // connect(port, host[, cb])
  send,          // send(...) to a destination, connected or not
  send2,         // (the same: sends are the common case)
  close,         // close([cb])
  drop,          // the program lets go of the slot's reference
  listen,        // adds a listener that does a deed
  setTimeout,    // a timer that does a deed
  clearTimeout,  // clears one of the timers made so far
  post,          // a posted job that does a deed
  runOnce,       // one loop iteration, 0 or 1 ms
  // --- issue 21's letters
  createWith,   // a socket with options: GSO, GRO, pktinfo, custom lookup
  membership,   // join/leave a group, any-source or source-specific, on lo
  sendFrom,     // send(msg, port, host, SendFrom{...}[, cb])
  destroyLoop,  // the loop is destroyed with everything in it; a new one
  fault,        // arms a fault: a system call fails (fault_injection.hpp)
  readKept,     // reads the kept messages; the slot sends one of them
  answer,       // the stashed custom lookups answer now
  timer,        // setInterval, refresh, unref, ref, close, clearInterval
  count
};

inline const char* name(Op op) {
  static const char* const kNames[] = {
      "create",      "bind",    "connect",    "send",       "send",
      "close",       "drop",    "listen",     "setTimeout", "clearTimeout",
      "post",        "runOnce", "createWith", "membership", "sendFrom",
      "destroyLoop", "fault",   "readKept",   "answer",     "timer"};
  static_assert(sizeof kNames / sizeof *kNames == std::size_t(Op::count));
  return kNames[static_cast<int>(op)];
}

/// What a listener, timer, post, lookup or send callback does when it
/// runs (a deed).
enum class Action : std::uint8_t {
  none,
  raise,      // throw Thrown
  closeSlot,  // close the socket in slot `arg`
  dropSlot,   // let go of slot `arg`'s reference (maybe its own)
  sendSlot,   // slot `arg` sends to the sink
  timer,      // set a timer that does nothing
  post,       // post a job that does nothing
  reenter,    // runOnce() from inside a callback: must be refused
  echo,       // (message only) reply to the sender: Node's echo idiom
  // --- issue 21's deeds
  keep,      // (message only) keep the message: copy, assignment,
             // capture, SendFrom(rinfo); read and compared later
  burst,     // slot `arg` sends a run of equal datagrams (a GSO run)
  relay,     // uses the socket of slot `arg`, captured when the deed was
             // made, then drops the capture (a relay's upstream)
  join,      // slot `arg` joins a group on lo
  answer,    // the stashed custom lookups answer now
  refresh,   // refresh the newest timer (its own: re-arms a fired one)
  readKept,  // reads the kept messages; slot `arg` sends one of them
  count
};

/// A deed and what it needs: the slot it acts on, the socket captured
/// when it was made (relay), and the burst's shape.
struct Deed {
  Action action = Action::none;
  int arg = 0;
  /// relay: the socket of slot `arg` when the deed was made; emptied by
  /// the deed (and freed with the callback that holds it).
  std::shared_ptr<std::shared_ptr<dgram::Socket>> captured;
  int count = 0;               // burst: datagrams in the run
  bool toPeer = false;         // burst: to one of ours rather than the sink
  bool foreignSource = false;  // burst: the second from a foreign source
};

/// Node's error codes: E<errno name>, ERR_<name>, UNKNOWN, EAI_<name>.
inline bool isNodeCode(const std::string& code) {
  if (code == "UNKNOWN") return true;
  if (code.size() < 2 || code[0] != 'E') return false;
  for (char c : code)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

}  // namespace seq
