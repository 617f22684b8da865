// Fault injection for tests: makes the Nth call of a chosen system call
// fail with a chosen error, so that the error paths of the platform layer
// can be exercised on real sockets. Compiled in only in dgram_internal, the
// static library the tests and fuzz targets link (DGRAM_FAULT_INJECTION);
// in the dgram users get every query is a constant "no fault" and costs
// nothing.
// Layer: common state machine.
//
// The platform code asks before each call it wraps (see
// posix/fault_call.hpp); this file only keeps the counters, so it is
// platform-free. Error numbers are the platform's own (errno on POSIX,
// WSA error codes on Windows).
#pragma once

// The top-level CMakeLists.txt compiles the sources that include this
// header (or posix/ and win32/fault_call.hpp) twice, with and without the
// seam, and the others once for both libraries (DGRAM_SEAM_UNUSED): it
// finds them by their #include lines. A source of the shared set that
// reaches the seam through another header would put the seam-free answer
// into the tests' library: it stops here instead.
#ifdef DGRAM_SEAM_UNUSED
#error \
    "this source uses the fault seam: include common/fault_injection.hpp or <platform>/fault_call.hpp in the .cpp itself, where CMakeLists.txt looks"
#endif

namespace dgram::detail::fault {

/// The system calls that can be made to fail.
enum class Call : unsigned char {
  socket,     ///< opening a datagram socket
  sendmsg,    ///< one datagram (sendmsg or sendto / WSASendMsg)
  sendmmsg,   ///< a batch of datagrams
  recvmmsg,   ///< a batch read (recvmmsg / recvmsg / WSARecvMsg)
  pollerCtl,  ///< registering interest (epoll_ctl / kevent / poll set)
  fcntl,      ///< descriptor flags
  /// The status a zero-byte receive peek completed with (IOCP): an armed
  /// fault replaces it, as if the kernel had reported that error.
  receivePeek,
  /// The probe for segmented sends (Windows: getsockopt
  /// UDP_SEND_MSG_SIZE). Armed with kSucceed it succeeds without asking
  /// the kernel, so the USO path can be tested where the system refuses
  /// it (wine).
  offloadProbe,
  /// Turning on coalesced receives (Windows: setsockopt
  /// UDP_RECV_MAX_COALESCED_SIZE); kSucceed as for offloadProbe.
  coalesceOption,
  /// Counted once per datagram read by a socket with coalesced receives
  /// on (Windows): an armed value is not an error but the segment size
  /// the kernel would have reported in a UDP_COALESCED_INFO control
  /// message, which the seam then adds to what the read returned.
  coalescedInfo,
  count_
};

/// Armed as the "error" of offloadProbe or coalesceOption: the call
/// succeeds without reaching the kernel.
inline constexpr int kSucceed = -1;

#ifdef DGRAM_FAULT_INJECTION

/// Arms a fault: counting from now, the `nth` call (1 = the next one) of
/// `call` fails with `error`, and so do the `times - 1` calls after it.
/// Replaces what was armed for that call before.
void failNth(Call call, int nth, int error, int times = 1) noexcept;

/// Disarms every fault and zeroes every counter.
void reset() noexcept;

/// How many times `call` was attempted since the last reset (failed ones
/// included). Tests use it to count system calls.
long calls(Call call) noexcept;

/// For the platform layer: counts one attempt of `call` and returns the
/// error it must fail with, or 0 to make the real call.
int take(Call call) noexcept;

#else

inline int take(Call) noexcept {
  return 0;
}

#endif  // DGRAM_FAULT_INJECTION

}  // namespace dgram::detail::fault
