// The IOCP backend (Windows).
// Layer: platform (IOCP).
//
// IMPLEMENTATION NOTES
// - One completion port per loop. Sockets associate their handle with it
//   (IocpBackend::associate); every overlapped operation carries an
//   IocpOverlapped, so a dequeued packet leads straight back to the
//   IocpOperation that started it. The backend knows nothing about sockets.
// - wait() is one GetQueuedCompletionStatusEx call with the loop's timeout
//   (the loop computes it from its timers; -1 = INFINITE, 0 = poll; the
//   latency mode's spin is a run of polls). It dequeues up to kBatch
//   packets, calls each operation back in order, and says whether it
//   dispatched any.
// - A dequeued packet is never reported again (IOCP is not level-
//   triggered): if a callback throws (a 'message' listener may), the
//   packets fetched behind it stay in entries_ and the next wait()
//   dispatches them first, without blocking and before fetching more. The
//   exception still leaves run() at once, as on POSIX, where the rest of a
//   read batch is held for the next turn.
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
#include <atomic>
#include <memory>

#include "common/errors.hpp"
#include "win32/afd_poll.hpp"
#include "win32/error_map.hpp"
#include "win32/fault_call.hpp"
#include "win32/handle_set.hpp"
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
    // and its packets are on their way (or already fetched, behind a
    // callback that threw); orphaned operations free themselves as they
    // arrive. Bounded: if the system never delivers them, leak rather than
    // free memory the kernel may still write.
    try {
      ULONG dispatched = 0;
      for (int round = 0; round < 100 && inFlight_ > 0; ++round)
        if (dispatch(20, &dispatched) != 0)
          break;  // a broken port delivers nothing more
    } catch (...) {
      // Only orphans are left, and they do not call back: nothing throws
      // here, but a destructor must not let anything out.
    }
    ::CloseHandle(port_);
  }

  std::string_view name() const noexcept override { return "iocp"; }

  // A host can hold the port, but not wait on it without dequeuing this
  // loop's packets: nothing here can be polled.
  std::intptr_t backendFd() const noexcept override {
    return reinterpret_cast<std::intptr_t>(port_);
  }
  bool pollDescriptors(std::vector<PollDescriptor>&) const override {
    return false;
  }

  bool wait(int timeoutMs) override {
    ULONG dispatched = 0;
    if (DWORD error =
            dispatch(timeoutMs < 0 ? INFINITE : static_cast<DWORD>(timeoutMs),
                     &dispatched)) {
      throw errnoException(sysErrorFromWinsock(static_cast<int>(error)),
                           "GetQueuedCompletionStatusEx");
    }
    return dispatched > 0;
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
    // Recorded first: if the set cannot grow (std::bad_alloc), nothing
    // was associated.
    if (!owned_.insert(socket)) return sysErrorFromName("EEXIST");
    HANDLE handle = reinterpret_cast<HANDLE>(socket);
    // The registration of IOCP (epoll_ctl's counterpart); the seam's
    // pollerCtl fails it.
    HANDLE port = faultableWinCall(
        fault::Call::pollerCtl, HANDLE{nullptr},
        [&] { return ::CreateIoCompletionPort(handle, port_, 0, 0); });
    if (port != port_) {
      int error = static_cast<int>(::GetLastError());
      owned_.erase(socket);
      return sysErrorFromWinsock(error);
    }
    return {};
  }

  void release(SOCKET socket) noexcept override { owned_.erase(socket); }

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

  // Dispatches the packets left from the last batch (a callback threw
  // before their turn), or else dequeues and dispatches one batch;
  // `*dispatched` counts the packets taken on (wake-ups included). Returns
  // 0, or the error of a port that cannot be waited on (not a timeout).
  // Throws what a callback throws, with the rest of the batch kept.
  DWORD dispatch(DWORD timeoutMs, ULONG* dispatched) {
    if (next_ == fetched_) {
      ULONG count = 0;
      if (!::GetQueuedCompletionStatusEx(port_, entries_, kBatch, &count,
                                         timeoutMs, FALSE)) {
        DWORD error = ::GetLastError();
        return error == WAIT_TIMEOUT ? 0 : error;
      }
      fetched_ = count;
      next_ = 0;
    }
    *dispatched = fetched_ - next_;
    while (next_ < fetched_) {
      // Counted as dispatched before it runs: if its callback throws, the
      // next call goes on with the one after it.
      const OVERLAPPED_ENTRY& entry = entries_[next_++];
      if (entry.lpOverlapped == nullptr) {
        wakePending_.store(false);
        continue;
      }
      --inFlight_;
      // Valid even if its socket closed earlier in this batch, or between
      // a throw and this call: a closed socket orphans its operations, it
      // never frees one in flight (its packet is this one).
      IocpOperation::from(entry.lpOverlapped)
          ->onComplete(entry.dwNumberOfBytesTransferred);
    }
    return 0;
  }

  HANDLE port_ = nullptr;
  std::atomic<bool> wakePending_{false};
  std::size_t inFlight_ = 0;
  HandleSet owned_;  ///< sockets of this loop, for EEXIST
  std::unique_ptr<ForeignWatches> foreign_;  ///< c-ares' sockets
  OVERLAPPED_ENTRY entries_[kBatch];
  ULONG fetched_ = 0;  ///< packets in entries_ from the last dequeue
  ULONG next_ = 0;     ///< the first of them not yet dispatched
};

}  // namespace

std::unique_ptr<Backend> createIocpBackend() {
  return std::make_unique<IocpPort>();
}

}  // namespace dgram::detail
