// The sequence fuzzer's fault letter: which system call fails, when, how
// often and with which error, all chosen by the input. Only errors the
// kernel really gives for that call are injected, so that what the library
// does with them is what it would do on a real system (recvmmsg never says
// EAGAIN while datagrams wait, for instance: the kernel does not).
#pragma once

#include <cerrno>

#include "../fuzz_support.hpp"
#include "common/fault_injection.hpp"

namespace seq {

/// An armed fault, as decoded (for the harness's relaxed checks).
struct ArmedFault {
  bool registration = false;  // pollerCtl: a socket may never receive
  int call = -1, error = 0, nth = 0, times = 0;  // (for a trace)
};

#ifdef DGRAM_FAULT_INJECTION

/// Decodes one fault from the input and arms it: call, error, nth (1-4),
/// times (1-3).
inline ArmedFault armFault(fuzz::Input& in) {
  namespace fault = dgram::detail::fault;
  struct Choice {
    fault::Call call;
    int errors[4];
  };
  static const Choice kChoices[] = {
      {fault::Call::socket, {EMFILE, ENFILE, ENOBUFS, EACCES}},
      {fault::Call::sendmsg, {EAGAIN, ENOBUFS, EPERM, EMSGSIZE}},
      {fault::Call::sendmmsg, {EIO, EINVAL, ENOMEM, EAGAIN}},
      {fault::Call::recvmmsg, {ENOMEM, EINTR, ECONNREFUSED, EINTR}},
      {fault::Call::pollerCtl, {ENOMEM, ENOSPC, ENOMEM, ENOSPC}},
      {fault::Call::fcntl, {EBADF, EINVAL, EBADF, EINVAL}},
      {fault::Call::sendmsg, {EINTR, ENOMEM, EINVAL, ENETUNREACH}},
      {fault::Call::sendmmsg, {EINTR, ENOBUFS, EPERM, EMSGSIZE}},
  };
  const Choice& choice = kChoices[in.pick(sizeof kChoices / sizeof *kChoices)];
  int error = choice.errors[in.pick(4)];
  int nth = 1 + static_cast<int>(in.pick(4));
  int times = 1 + static_cast<int>(in.pick(3));
  fault::failNth(choice.call, nth, error, times);
  return {choice.call == fault::Call::pollerCtl, int(choice.call), error, nth,
          times};
}

/// Disarms everything (between inputs).
inline void resetFaults() {
  dgram::detail::fault::reset();
}

#else

// A build without the seam (it is in dgram_internal, which the fuzz
// targets link, so only a library built some other way lacks it): the
// letter reads its bytes and arms nothing.
inline ArmedFault armFault(fuzz::Input& in) {
  for (int i = 0; i < 4; ++i)
    in.byte();
  return {};
}
inline void resetFaults() {}

#endif  // DGRAM_FAULT_INJECTION

}  // namespace seq
