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
