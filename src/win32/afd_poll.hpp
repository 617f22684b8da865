// Readiness of sockets the library does not own (c-ares' sockets) on the
// IOCP loop, without polling: one "AFD poll" request per socket, issued
// through a helper socket associated with the loop's completion port. The
// request completes, like any overlapped I/O, when the socket becomes
// readable or writable (or fails), and is re-issued after each report.
// Layer: platform (IOCP).
//
// AFD is the kernel driver under Winsock; IOCTL_AFD_POLL is how select()
// itself is built. It is undocumented but stable since Windows XP, and wine
// implements it, so the whole path is exercised by the wine test job.
#pragma once

#include <memory>

#include "common/backend.hpp"
#include "win32/iocp.hpp"

namespace dgram::detail {

class ForeignWatches {
 public:
  virtual ~ForeignWatches() = default;

  /// Backend::watchForeign for the IOCP backend. Returns false (the caller
  /// then polls on a timer) only if this system refuses AFD polls.
  virtual bool watch(SOCKET socket, unsigned events, Watcher* watcher) = 0;
};

/// The watches of one loop; requests complete through `port`.
std::unique_ptr<ForeignWatches> createForeignWatches(IocpBackend& backend,
                                                     HANDLE port);

}  // namespace dgram::detail
