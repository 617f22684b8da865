#!/usr/bin/env python3
# Writes the seed programs of fuzz_sequence into DIR (fuzz/corpus/sequence):
#   python3 fuzz/sequence_seeds.py DIR [NAME...]
# Each seed is a short program in the byte code that fuzz_sequence.cpp's
# Harness::step() decodes; the helpers below mirror its decoder.
import os
import sys

# Actions (fuzz_sequence.cpp's enum Action) and the ops, one helper each:
# slot byte, op byte, then the op's arguments in the order step() reads them.
A = dict(none=0, raise_=1, close=2, drop=3, send=4, timer=5, post=6, reenter=7, echo=8)
def create(s, v6=0): return [s, 0, v6]
def bind(s, cb=1): return [s, 1, cb]
def sink(): return [0]
def rec(k): return [6, k]
def connect(s, dest, cb=1): return [s, 2] + dest + [cb]
def send(s, dest, cb=1, act=0, arg=0, connected=0, payload=b"hello"):
    return [s, 3, cb, act, arg, connected] + ([] if connected else dest) + [len(payload)] + list(payload)
def csend(s, cb=1, act=0, arg=0, payload=b"hi"):
    return [s, 3, cb, act, arg, 1, 0, len(payload)] + list(payload)
def close(s, cb=1, act=0, arg=0): return [s, 5, cb, act, arg]
def drop(s): return [s, 6]
def on(s, event, act, arg=0): return [s, 7, act, arg, event]  # 0 msg 1 listening 2 connect 3 close 4 error
def timer(act, arg=0, delay=1): return [0, 8, act, arg, delay]
def clear(i=0): return [0, 9, i]
def post(act, arg=0): return [0, 10, act, arg]
def run(ms=1): return [0, 11, ms]
seeds = {
 "basic_exchange": [1] + create(0) + create(1) + bind(0) + bind(1) + run() + run()
   + send(0, rec(1)) + send(1, rec(0), cb=0) + run() + run() + close(0) + close(1, cb=0) + run(),
 "item1_throwing_send_callback_then_drop": [1] + create(0) + bind(0) + run() + run()
   + send(0, sink(), act=A["raise_"]) + send(0, sink()) + run() + close(0) + drop(0) + run() + run(),
 "item2_echo_idiom": [1] + create(0) + create(1) + bind(0) + bind(1) + run() + run()
   + on(0, 0, A["echo"]) + send(1, rec(0)) + run() + run() + run() + close(0) + close(1) + drop(0) + run(),
 "item5_throwing_message_listener_batch": [1] + create(0) + create(1) + bind(0) + bind(1) + run() + run()
   + on(0, 0, A["raise_"]) + sum((send(1, rec(0), payload=bytes([i])) for i in range(8)), []) + run(0) + run() + run() + run(),
 "item4_reentrant_runonce": [0] + create(0) + bind(0) + run() + post(A["reenter"]) + send(0, sink(), act=A["reenter"]) + run() + run(),
 "timers_and_posts": [1] + create(0) + timer(A["raise_"]) + timer(A["close"], 0, 2) + timer(A["none"], 0, 3) + clear(2)
   + post(A["raise_"]) + post(A["timer"]) + send(0, sink(), cb=0) + run() + run() + run() + run(),
 "connect_then_close_in_listener": [1] + create(0) + create(1) + bind(1) + run() + run() + connect(0, rec(1))
   + on(0, 2, A["close"], 0) + csend(0) + csend(0, cb=0) + run() + run() + run(),
 "drop_own_reference_in_listener": [1] + create(0) + create(1) + bind(0) + bind(1) + run() + run()
   + on(0, 0, A["drop"], 0) + on(0, 0, A["close"], 0) + drop(0) + send(1, rec(0)) + run() + run() + run(),
 "close_with_pending_sends_before_bind": [0] + create(0) + send(0, sink()) + send(0, [2]) + close(0, act=A["raise_"]) + run() + run(),
 "throwing_error_and_close_listeners": [0] + create(0) + create(1, 1) + on(0, 4, A["raise_"]) + on(0, 3, A["raise_"])
   + send(0, [5]) + bind(0) + close(0) + on(1, 1, A["raise_"]) + bind(1) + run() + run() + run(),
}
seeds.update({
 "item1_close_in_send_callback_then_throw_then_drop": [1] + create(0) + bind(0) + run() + run()
   + send(0, sink(), act=A["close"], arg=0) + send(0, sink(), act=A["raise_"]) + send(0, sink()) + run() + drop(0) + run() + run(),
})
seeds.update({
 "item8_nul_in_host": [1] + create(0) + create(1, 1) + bind(0) + send(0, [4]) + send(1, [4]) + run() + run() + close(0) + close(1) + run(),
 "item9_udp4_to_ipv6_literal": [1] + create(0) + create(1, 1) + bind(0) + send(0, [5]) + send(1, [5]) + run() + run() + close(0) + close(1) + run(),
 # Found by the fuzzer (minimized, then written out as ops).
 # A udp4 socket's send(msg, port, "::1") issued while its connect() waits
 # for the implicit bind went to the connected peer instead of failing.
 "send_while_connecting_ignores_destination": [1] + create(0) + connect(0, sink(), cb=0)
   + send(0, [5], cb=1, payload=b"t") + run(),
 # create; send (no callback, empty); close; send again, queued behind the
 # close while the implicit bind is pending; a new socket in the slot drops
 # the last reference: the cancelled send's deferred completion ran after
 # the socket was freed.
 "uaf_send_queued_behind_close": [1] + create(0) + send(0, sink(), cb=0, payload=b"")
   + close(0, cb=0, act=A["close"]) + send(0, sink(), cb=0, payload=b"") + create(0),
 "throwing_listening_strands_queued_send": [1] + create(0, 1) + on(0, 1, A["raise_"]) + send(0, sink(), cb=0, payload=b""),
})

seeds.update({
 # Issue 22, item 4: every iteration reaches the I/O wait whatever its
 # callbacks throw. A due timer throws before the wait, then the wait's
 # dispatch meets a throwing 'message' listener: the first is thrown at
 # the end of the iteration, the second is carried to the next call; the
 # posted jobs wait for the iteration after.
 "iteration_timer_throws_then_dispatch_throws": [1] + create(0) + create(1) + bind(0) + bind(1) + run() + run()
   + on(0, 0, A["raise_"]) + send(1, rec(0), cb=0) + send(1, rec(0)) + send(1, rec(0), cb=0)
   + timer(A["raise_"], delay=0) + post(A["raise_"]) + post(A["none"])
   + run(0) + run(0) + run(0) + run() + run(),
 # Posted jobs that throw with datagrams waiting: each iteration still
 # polls and delivers.
 "throwing_posts_with_datagrams_waiting": [1] + create(0) + create(1) + bind(0) + bind(1) + run() + run()
   + send(1, rec(0)) + send(1, rec(0), cb=0) + post(A["raise_"]) + post(A["raise_"]) + post(A["send"], 1)
   + post(A["raise_"]) + run(0) + run(0) + run(0) + run(0) + run(),
})

# Issue 21's letters (fuzz/sequence/alphabet.hpp: Op 12-19, Action 9-15).
A.update(keep=9, burst=10, relay=11, join=12, answer=13, refresh=14, readKept=15)
# Custom lookup modes (sequence/lookup.hpp) and createWith's flag bits.
L = dict(now=0, fail=1, posted=2, timed=3, raise_=4, answerThenRaise=5, stash=6, garbage=7)
V6, GSO, GRO, PKTINFO, LOOKUP, REUSE = 1, 2, 4, 8, 16, 32
def deed(act, arg=0, count=2, to_peer=0, foreign=0):
    extra = [(count - 2) | (8 if to_peer else 0) | (16 if foreign else 0)] if act == A["burst"] else []
    return [act, arg] + extra
def create_with(s, flags, script=()):
    return [s, 12, flags] + (list(script) if flags & LOOKUP else [])
def membership(s, join=1, ssm=0, group=0, text=b""):
    return [s, 13, join, ssm, group] + ([len(text)] + list(text) if group == 3 else [])
# source: 0 none, 1 own loopback, 2 127.0.0.2 via lo, 3 foreign, 4 no such interface, 5 a kept arrival
def send_from(s, dest, source, cb=1, d=(0, 0), payload=b"from"):
    return [s, 14, cb] + list(d) + dest + [source, len(payload)] + list(payload)
def destroy_loop(): return [0, 15]
# choice: index into faults.hpp's kChoices; err: index into its errors
def fault(choice, err=0, nth=1, times=1): return [0, 16, choice, err, nth - 1, times - 1]
def read_kept(s): return [s, 17]
def answer(): return [0, 18]
def interval(d, delay=1): return [0, 19, 0] + list(d) + [delay]
def timer_op(what, i=0): return [0, 19, what, i]  # 1 refresh 2 unref 3 ref 4 close 5 clearInterval
def on_deed(s, event, d): return [s, 7] + list(d) + [event]
def timer_deed(d, delay=1): return [0, 8] + list(d) + [delay]
def post_deed(d): return [0, 10] + list(d)
two_bound = [1] + create(0) + create(1) + bind(0) + bind(1) + run() + run()
seeds.update({
 # Membership on lo before the bind (binds), while the bind waits for its
 # turn, and after; any-source and source-specific, join and leave, a
 # group that is not one; then a datagram still arrives.
 "membership_before_during_after_bind": [1] + create(0) + membership(0) + create(1) + bind(1)
   + membership(1) + membership(1, ssm=1, group=1) + run() + run() + membership(1, join=0)
   + membership(1, join=0, ssm=1, group=1) + membership(0, group=2) + membership(1, group=3, text=b"ff02::1%lo")
   + send(0, rec(1)) + run() + run() + close(0) + close(1) + run(),
 "membership_udp6_and_in_listener": [1] + create(0, 1) + create(1) + bind(1) + membership(0) + run() + run()
   + on_deed(1, 0, deed(A["join"], 1)) + on_deed(0, 0, deed(A["join"], 0)) + send(1, rec(1)) + create(2, 1)
   + send(2, rec(0)) + run() + run() + run() + membership(0, join=0) + close(0) + close(1) + close(2) + run(),
 # Custom lookups: at once, from a post, from a timer, throwing (from
 # send() at the top level and from inside a listener), answering then
 # throwing, failing, garbage, stashed and answered later or after close.
 "lookup_now_posted_timed_throwing": [1] + create_with(0, LOOKUP, [L["now"], L["posted"], L["timed"], L["raise_"]])
   + create(1) + bind(0) + bind(1) + run() + run() + send(0, rec(1)) + send(0, rec(1)) + send(0, rec(1))
   + run() + run() + run() + run() + close(0) + close(1) + run(),
 "lookup_stash_answer_after_close": [1] + create_with(0, LOOKUP, [L["stash"], L["answerThenRaise"], L["fail"], L["garbage"]])
   + bind(0) + send(0, sink()) + send(0, sink()) + send(0, sink()) + run() + answer() + run() + run()
   + send(0, sink()) + run() + close(0) + run() + answer() + run(),
 "lookup_throws_inside_listener": two_bound[:1] + create_with(0, LOOKUP, [L["now"], L["now"], L["raise_"], L["stash"]])
   + two_bound[4:] + on_deed(1, 0, deed(A["send"], 0)) + send(0, rec(1)) + run() + run() + run()
   + send(0, rec(1)) + post_deed(deed(A["answer"])) + run() + run() + close(0) + run(),
 # The loop destroyed with sockets bound, sends queued, timers, posts and
 # listeners whose captures hold other sockets; then every method of the
 # abandoned sockets throws, and a new loop works.
 "destroy_loop_with_relays_and_work": two_bound + on_deed(0, 0, deed(A["relay"], 1)) + on_deed(1, 3, deed(A["relay"], 0))
   + timer_deed(deed(A["relay"], 1), 3) + post_deed(deed(A["relay"], 0)) + send(1, rec(0)) + send(0, sink(), cb=1)
   + drop(0) + drop(1) + create(2) + destroy_loop() + send(2, sink()) + close(2) + bind(2)
   + create(3) + bind(3) + run() + send(3, sink()) + run() + close(3) + run(),
 "relay_drops_captured_socket": two_bound + create(2) + on_deed(0, 0, deed(A["relay"], 2)) + drop(2)
   + send(1, rec(0)) + run() + run() + run() + send(1, rec(0)) + run() + run(),
 # Kept messages: copies, assignment, a capture, an arrival; more
 # datagrams reuse the receive slots; the kept ones still read their own
 # bytes, and are sent on.
 "kept_messages_read_later": [1] + create_with(0, PKTINFO) + create(1) + bind(0) + bind(1) + run() + run()
   + on_deed(0, 0, deed(A["keep"])) + sum((send(1, rec(0), payload=bytes([65 + i]) * 9) for i in range(6)), [])
   + run() + run() + run() + read_kept(0) + sum((send(1, rec(0), cb=0, payload=bytes([97 + i]) * 9) for i in range(4)), [])
   + run() + run() + read_kept(1) + send_from(1, sink(), 5) + close(0) + run() + read_kept(0),
 # SendFrom: every source kind, on udp4 and udp6, with pktinfo.
 "send_from_sources": [1] + create_with(0, PKTINFO) + create_with(1, PKTINFO | V6) + bind(0) + bind(1) + run() + run()
   + sum((send_from(0, sink(), k) + send_from(1, sink(), k) for k in range(6)), []) + run() + run() + run(),
 # GSO runs from inside the loop, to a peer, with a foreign source second
 # in the run (issue 21 item 7: that send fails alone, GSO stays on).
 "gso_burst_with_foreign_source": [1] + create_with(0, GSO) + create_with(1, GRO) + bind(0) + bind(1) + run() + run()
   + post_deed(deed(A["burst"], 0, count=8, to_peer=1, foreign=1)) + post_deed(deed(A["burst"], 0, count=5, to_peer=1))
   + run() + run() + run() + run() + close(0) + close(1) + run(),
 # Timers: intervals, refresh, unref, ref, close, clearInterval, a timer
 # that refreshes itself, a deed that refreshes another.
 "timer_rearms": [1] + create(0) + bind(0) + interval(deed(A["send"], 0)) + timer_deed(deed(A["refresh"]), 2)
   + timer_deed(deed(A["none"]), 3) + timer_op(1, 2) + timer_op(2, 2) + timer_op(3, 2) + timer_op(2, 1)
   + run() + run() + run() + timer_op(1, 1) + post_deed(deed(A["refresh"])) + run() + timer_op(4, 0)
   + interval(deed(A["raise_"]), 2) + run() + run() + timer_op(5, 3) + run() + close(0) + run(),
 # Faults: send failures (EAGAIN, EPERM), a receive failure (ENOMEM), a
 # failed registration, socket() refused; everything still closes.
 "faults_send_receive_registration": two_bound + fault(1, 0) + send(0, rec(1)) + fault(1, 2) + send(0, rec(1))
   + fault(3, 0) + send(1, rec(0)) + run() + run() + run() + fault(4, 0) + create(2) + bind(2)
   + fault(0, 0) + create(3) + bind(3) + run() + run() + send(2, sink()) + run() + close(0) + close(1) + run(),
 "faults_gso_refused": [1] + create_with(0, GSO) + create(1) + bind(0) + bind(1) + run() + run()
   + fault(2, 0) + post_deed(deed(A["burst"], 0, count=6, to_peer=1)) + run() + run()
   + fault(7, 1, times=2) + post_deed(deed(A["burst"], 0, count=4, to_peer=1)) + run() + run() + run(),
  # Found by the fuzzer, rules of the harness (minimized, written as ops):
  # a close queued behind sends that wait for a bind whose custom lookup
  # has not answered waits for the answer (as Node's close waits in the
  # same queue); the harness's stashed lookups answer while it drains.
 "lookup_unanswered_close_waits_for_queue": [1] + create_with(0, LOOKUP, [L["stash"]] * 4) + bind(0)
   + send(0, sink()) + run(),
  # A send callback and then a 'message' listener throw in one iteration:
  # the second exception waits for the next runOnce, and is gone with the
  # loop when the program destroys it first.
 "exception_carried_when_loop_destroyed": two_bound + on(0, 0, A["raise_"]) + send(1, rec(0), act=A["raise_"])
   + send(1, rec(0)) + run() + destroy_loop() + create(0) + bind(0) + run(),
})

# Defects still open: written only when named, never into the corpus until
# fixed (none now).
pending = {}

if __name__ == "__main__":
    out = sys.argv[1]
    seeds.update(pending if sys.argv[2:] else {})
    names = sys.argv[2:] or sorted(seeds)
    os.makedirs(out, exist_ok=True)
    for name in names:
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes(seeds[name]))
