// How many datagrams a socket asks for per read. A recvmmsg call for a
// batch that finds one datagram does not return after it: the kernel
// goes on to the next message (its header copied in, the queue locked
// again) only to find the queue empty. In a ping-pong that failed second
// attempt is paid on every round trip; a call that asks for one datagram
// returns after it (measured with a C echo on one core, 5 alternating
// rounds: recvfrom 2,029 ns CPU per echo, recvmmsg for 1 2,057, for 64
// 2,198). Where the system has no recvmmsg, the loop of recvmsg calls
// ends with a whole system call that says EAGAIN instead.
//
// So a socket whose reads keep finding one datagram reads one at a time.
// A single read cannot tell a flood from a ping-pong, though: every
// kProbeEvery-th read asks for a full batch again, and a read that finds
// more than one goes back to batches. A flood that begins while a socket
// reads singly is read one datagram per readiness event for at most
// kProbeEvery reads; a flood in progress never switches (its batches find
// many).
// Layer: platform (readiness backends).
#pragma once

namespace dgram::detail::receive_pace {

/// Reads in a row that found exactly one datagram before the socket reads
/// singly.
constexpr unsigned kSinglesToSwitch = 4;
/// Single reads between two batch reads (probes) in single mode.
constexpr unsigned kProbeEvery = 16;
/// The state is a count: below kSinglesToSwitch, the batch reads in a row
/// that found one datagram; from there, single reads made since the last
/// probe (kSinglesToSwitch + kProbeEvery: the next read is a probe).
constexpr unsigned kLastState = kSinglesToSwitch + kProbeEvery;

/// Whether a socket in `state` asks for one datagram.
constexpr bool readsSingly(unsigned state) noexcept {
  return state >= kSinglesToSwitch && state < kLastState;
}

/// The state after a read made in `state` that returned `got` datagrams
/// (0 or less: none, or it failed).
constexpr unsigned after(unsigned state, int got) noexcept {
  if (readsSingly(state)) return state + 1;
  if (got == 1) return state < kSinglesToSwitch ? state + 1 : kSinglesToSwitch;
  return got > 1 ? 0 : state;
}

/// after() for a socket that reads singly (readsSingly(state)), whatever
/// the read got: one more single read.
constexpr unsigned afterSingle(unsigned state) noexcept {
  return state + 1;
}

constexpr bool afterSingleIsAfter() noexcept {
  for (unsigned state = kSinglesToSwitch; state < kLastState; ++state)
    for (int got = -1; got <= 2; ++got)
      if (after(state, got) != afterSingle(state)) return false;
  return true;
}

static_assert(afterSingleIsAfter(), "afterSingle is after() for single reads");
static_assert(kLastState <= 255, "a byte holds the state");
static_assert(!readsSingly(0) && readsSingly(after(kSinglesToSwitch - 1, 1)),
              "kSinglesToSwitch reads of one datagram switch to single reads");
static_assert(!readsSingly(kLastState) && after(kLastState, 2) == 0 &&
                  after(kLastState, 1) == kSinglesToSwitch,
              "a probe that finds more goes back to batches, else it waits "
              "kProbeEvery reads for the next");

}  // namespace dgram::detail::receive_pace
