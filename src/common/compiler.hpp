// Compiler hints for the per-datagram paths.
// Layer: common state machine.
#pragma once

/// Keeps a rarely taken branch's work (error handling, first-use setup)
/// out of the function that calls it: inlined, it makes every call of the
/// hot function save more registers and set up more stack.
#if defined(_MSC_VER)
#define DGRAM_NOINLINE __declspec(noinline)
#else
#define DGRAM_NOINLINE __attribute__((noinline))
#endif
