// Tests of the fault-injection seam share this: every fault disarmed and
// every counter zeroed when a test starts and when it ends, even one that
// failed, so no armed fault leaks into the next test.
#pragma once

#include "common/fault_injection.hpp"

#ifdef DGRAM_FAULT_INJECTION

namespace test {

struct FaultScope {
  FaultScope() { dgram::detail::fault::reset(); }
  ~FaultScope() { dgram::detail::fault::reset(); }
  FaultScope(const FaultScope&) = delete;
  FaultScope& operator=(const FaultScope&) = delete;
};

/// Whether this build hands several datagrams to one system call
/// (sendmmsg, recvmmsg: Linux, the BSDs). Without them (macOS) each
/// datagram takes its own sendmsg or recvmsg.
#ifdef DGRAM_HAVE_SENDMMSG
constexpr bool kBatchedSends = true;
#else
constexpr bool kBatchedSends = false;
#endif
#ifdef DGRAM_HAVE_RECVMMSG
constexpr bool kBatchedReads = true;
#else
constexpr bool kBatchedReads = false;
#endif

/// System calls that sent datagrams since the last reset (sendmsg and
/// sendmmsg alike).
inline long sendSyscalls() {
  return dgram::detail::fault::calls(dgram::detail::fault::Call::sendmsg) +
         dgram::detail::fault::calls(dgram::detail::fault::Call::sendmmsg);
}

}  // namespace test

#endif  // DGRAM_FAULT_INJECTION
