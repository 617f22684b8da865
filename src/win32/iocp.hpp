// The completion seam under the Windows sockets: what src/win32/udp_io.cpp
// needs from the IOCP backend. An operation (one overlapped receive or
// send) is started by the socket and finished by the backend, which calls
// it back from `wait` on the loop thread.
// Layer: platform (IOCP).
#pragma once

#include <cstddef>
#include <memory>

#include "common/backend.hpp"
#include "common/sys_error.hpp"
#include "win32/winsock.hpp"

namespace dgram::detail {

class IocpOperation;

/// The OVERLAPPED handed to the kernel, and the operation it belongs to.
/// Standard layout with the OVERLAPPED first, so the pointer that comes
/// back from the port converts to it.
struct IocpOverlapped {
  OVERLAPPED overlapped;
  IocpOperation* operation;
};

class IocpOperation {
 public:
  IocpOperation() noexcept : io_{} { io_.operation = this; }
  virtual ~IocpOperation() = default;
  IocpOperation(const IocpOperation&) = delete;
  IocpOperation& operator=(const IocpOperation&) = delete;

  /// A fresh OVERLAPPED for the next overlapped call.
  OVERLAPPED* prepare() noexcept {
    io_.overlapped = OVERLAPPED{};
    return &io_.overlapped;
  }
  OVERLAPPED* overlapped() noexcept { return &io_.overlapped; }

  /// The kernel is done with the operation (its completion packet was
  /// dequeued). May delete `this`.
  virtual void onComplete(DWORD bytes) = 0;

  static IocpOperation* from(OVERLAPPED* overlapped) noexcept {
    return reinterpret_cast<IocpOverlapped*>(overlapped)->operation;
  }

 private:
  IocpOverlapped io_;
};

class IocpBackend : public Backend {
 public:
  /// Routes the socket's completions to this loop's port and records that
  /// a socket of this loop owns it: EEXIST if one already does (adopting
  /// it twice would close it twice).
  virtual SysError associate(SOCKET socket) = 0;
  /// The socket is closed: forget it.
  virtual void release(SOCKET socket) noexcept = 0;
  /// An overlapped call on `operation` succeeded or is pending: its
  /// completion packet will come.
  virtual void started(IocpOperation& operation) noexcept = 0;
  /// An overlapped call failed at once (no packet will come): queue one
  /// for `operation`, so the failure is reported from `wait`, never from
  /// inside the call that started it.
  virtual void completeLater(IocpOperation& operation) noexcept = 0;

  /// The console's control handler for this loop
  /// (win32/signal_source.cpp).
  std::unique_ptr<SignalSource> createSignalSource(LoopCore& loop,
                                                   SignalSink& sink,
                                                   SysError& error,
                                                   const char*& syscall) final;

  /// A Winsock UDP socket completing into this port (win32/udp_io.cpp).
  PlatformSocketPtr createSocket(LoopCore& loop, SocketEvents& events,
                                 PlatformSocketSpace space) final;
};

}  // namespace dgram::detail
