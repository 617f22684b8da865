// The IOCP backend (Windows).
// Layer: platform (IOCP).
//
// IMPLEMENTATION NOTES
// - One completion port per loop. Sockets associate their handle with it
//   (IocpBackend::associate); every overlapped operation carries an
//   IocpOverlapped, so a dequeued packet leads straight back to the
//   IocpOperation that started it. The backend knows nothing about sockets.
// - wait() is one GetQueuedCompletionStatusEx call with the loop's timeout
//   (the loop computes it from its timers; -1 = INFINITE, 0 = poll). It
//   dequeues up to kBatch packets and calls each operation back in order.
// - wake() posts an empty packet (no OVERLAPPED) with
//   PostQueuedCompletionStatus. An atomic flag keeps at most one in the
//   queue however often post()/stop() are called.
// - Operations outlive their sockets: a socket that closes with an
//   operation in flight hands the operation over to itself (it frees itself
//   when its cancelled packet arrives). The backend counts operations in
//   flight so that, when the loop is destroyed, it can wait (bounded) for
//   those last packets instead of freeing memory the kernel still owns.
// - A failed overlapped call produces no packet; completeLater() posts one
//   by hand, so every failure is reported from wait() like a completion.
// - c-ares' sockets (watchForeign) are watched with AFD poll requests that
//   complete into the same port (afd_poll.cpp): a lookup costs no
//   periodic wake-up.
// - FILE_SKIP_COMPLETION_PORT_ON_SUCCESS is not used: every started
//   operation gets exactly one packet, which keeps the accounting simple.
#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "common/errors.hpp"
#include "win32/afd_poll.hpp"
#include "win32/error_map.hpp"
#include "win32/fault_call.hpp"
#include "win32/iocp.hpp"

namespace dgram::detail {
namespace {

class IocpPort final : public IocpBackend {
 public:
  IocpPort() {
    ensureWinsock();
    port_ = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
    if (port_ == nullptr) {
      throw errnoException(
          sysErrorFromWinsock(static_cast<int>(::GetLastError())),
          "CreateIoCompletionPort");
    }
  }

  ~IocpPort() override {
    // Foreign watches first: their requests in flight are cancelled and
    // drain below with everything else.
    foreign_.reset();
    // Sockets are closed by now, so what is left in flight is cancelled
    // and its packets are on their way; orphaned operations free
    // themselves as they arrive. Bounded: if the system never delivers
    // them, leak rather than free memory the kernel may still write.
    for (int round = 0; round < 100 && inFlight_ > 0; ++round)
      if (dispatch(20) != 0) break;  // a broken port delivers nothing more
    ::CloseHandle(port_);
  }

  std::string_view name() const noexcept override { return "iocp"; }

  bool wait(int timeoutMs) override {
    ULONG count = 0;
    if (DWORD error = dispatch(
            timeoutMs < 0 ? INFINITE : static_cast<DWORD>(timeoutMs), &count)) {
      throw errnoException(sysErrorFromWinsock(static_cast<int>(error)),
                           "GetQueuedCompletionStatusEx");
    }
    return count > 0;
  }

  void wake() override {
    if (wakePending_.exchange(true)) return;
    // If the port refused the packet (out of memory), let the next wake()
    // try again rather than believe one is queued.
    if (!::PostQueuedCompletionStatus(port_, 0, 0, nullptr))
      wakePending_.store(false);
  }

  bool watchForeign(std::intptr_t socket, unsigned events,
                    Watcher* watcher) override {
    if (!foreign_) {
      if (events == 0) return true;
      foreign_ = createForeignWatches(*this, port_);
    }
    return foreign_->watch(static_cast<SOCKET>(socket), events, watcher);
  }

  SysError associate(SOCKET socket) override {
    if (std::find(owned_.begin(), owned_.end(), socket) != owned_.end())
      return sysErrorFromName("EEXIST");
    HANDLE handle = reinterpret_cast<HANDLE>(socket);
    // The registration of IOCP (epoll_ctl's counterpart); the seam's
    // pollerCtl fails it.
    HANDLE port = faultableWinCall(
        fault::Call::pollerCtl, HANDLE{nullptr},
        [&] { return ::CreateIoCompletionPort(handle, port_, 0, 0); });
    if (port != port_)
      return sysErrorFromWinsock(static_cast<int>(::GetLastError()));
    owned_.push_back(socket);
    return {};
  }

  void release(SOCKET socket) noexcept override {
    auto it = std::find(owned_.begin(), owned_.end(), socket);
    if (it != owned_.end()) owned_.erase(it);
  }

  void started(IocpOperation&) noexcept override { ++inFlight_; }

  void completeLater(IocpOperation& operation) noexcept override {
    ++inFlight_;
    if (!::PostQueuedCompletionStatus(port_, 0, 0, operation.overlapped())) {
      // The port refused a packet (out of memory): report it now instead
      // of never.
      --inFlight_;
      operation.onComplete(0);
    }
  }

 private:
  static constexpr ULONG kBatch = 64;

  // Dequeues and dispatches one batch (`*dequeued` says how many
  // entries, 0 on a timeout). Returns 0, or the error of a port that
  // cannot be waited on (not a timeout).
  DWORD dispatch(DWORD timeoutMs, ULONG* dequeued = nullptr) {
    ULONG count = 0;
    if (!::GetQueuedCompletionStatusEx(port_, entries_, kBatch, &count,
                                       timeoutMs, FALSE)) {
      DWORD error = ::GetLastError();
      return error == WAIT_TIMEOUT ? 0 : error;
    }
    if (dequeued) *dequeued = count;
    for (ULONG i = 0; i < count; ++i) {
      OVERLAPPED* overlapped = entries_[i].lpOverlapped;
      if (overlapped == nullptr) {
        wakePending_.store(false);
        continue;
      }
      --inFlight_;
      // Valid even if its socket closed earlier in this batch: a closed
      // socket orphans its operations, it never frees one in flight.
      IocpOperation::from(overlapped)
          ->onComplete(entries_[i].dwNumberOfBytesTransferred);
    }
    return 0;
  }

  HANDLE port_ = nullptr;
  std::atomic<bool> wakePending_{false};
  std::size_t inFlight_ = 0;
  std::vector<SOCKET> owned_;  ///< sockets of this loop, for EEXIST
  std::unique_ptr<ForeignWatches> foreign_;  ///< c-ares' sockets
  OVERLAPPED_ENTRY entries_[kBatch];
};

}  // namespace

std::unique_ptr<Backend> createIocpBackend() {
  return std::make_unique<IocpPort>();
}

}  // namespace dgram::detail
