// ForeignWatches over IOCTL_AFD_POLL (see afd_poll.hpp).
// Layer: platform (IOCP).
//
// Each watched socket has one ForeignWatch, an IocpOperation with at most
// one poll request in flight. A request is one-shot: when it completes,
// the watcher hears what is ready and the request is issued again with the
// events wanted then. Changing the events of a socket while a request is
// in flight cancels it; its completion (cancelled) re-issues it with the
// new events. Unwatching while a request is in flight cancels it and
// orphans the operation, which frees itself when the cancelled packet
// arrives: the kernel may write to it until then.
#include "win32/afd_poll.hpp"

#include <cstdint>
#include <unordered_map>

namespace dgram::detail {
namespace {

// From the AFD driver's interface (not in the SDK's public headers).
constexpr ULONG kIoctlAfdPoll = 0x00012024;
constexpr ULONG kAfdPollReceive = 0x0001;
constexpr ULONG kAfdPollReceiveExpedited = 0x0002;
constexpr ULONG kAfdPollSend = 0x0004;
constexpr ULONG kAfdPollDisconnect = 0x0008;
constexpr ULONG kAfdPollAbort = 0x0010;
constexpr ULONG kAfdPollLocalClose = 0x0020;
constexpr ULONG kAfdPollAccept = 0x0080;
constexpr ULONG kAfdPollConnectFail = 0x0100;

struct AfdPollHandleInfo {
  HANDLE handle;
  ULONG events;
  LONG status;
};

struct AfdPollInfo {
  LARGE_INTEGER timeout;
  ULONG numberOfHandles;
  ULONG exclusive;
  AfdPollHandleInfo handles[1];
};

constexpr LONG kStatusPending = 0x00000103;
constexpr LONG kStatusCancelled = static_cast<LONG>(0xC0000120);

using NtDeviceIoControlFileFn = LONG(WINAPI*)(HANDLE, HANDLE, PVOID, PVOID,
                                              PVOID, ULONG, PVOID, ULONG, PVOID,
                                              ULONG);

// ntdll is always loaded; looked up once so no import library is needed.
NtDeviceIoControlFileFn ntDeviceIoControlFile() {
  static const auto fn = [] {
    HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    FARPROC proc =
        ntdll ? ::GetProcAddress(ntdll, "NtDeviceIoControlFile") : nullptr;
    return reinterpret_cast<NtDeviceIoControlFileFn>(
        reinterpret_cast<void*>(proc));
  }();
  return fn;
}

// AFD polls the provider's base socket; layered providers wrap it.
SOCKET baseSocket(SOCKET socket) {
  SOCKET base = INVALID_SOCKET;
  DWORD bytes = 0;
  if (::WSAIoctl(socket, SIO_BASE_HANDLE, nullptr, 0, &base, sizeof base,
                 &bytes, nullptr, nullptr) != 0 ||
      base == INVALID_SOCKET)
    return socket;
  return base;
}

class Watches;

class ForeignWatch final : public IocpOperation {
 public:
  ForeignWatch(Watches& owner, SOCKET socket)
      : owner_(&owner), base_(baseSocket(socket)) {}

  void set(unsigned events, Watcher* watcher) {
    watcher_ = watcher;
    if (events == events_) return;
    events_ = events;
    if (inFlight_) cancel();  // its completion re-issues with the new set
  }

  /// Stops watching. Returns whether the caller may delete it now (false:
  /// it frees itself when its last packet arrives or its report ends).
  bool retire() {
    if (inFlight_) cancel();
    owner_ = nullptr;
    watcher_ = nullptr;
    return !inFlight_ && !reporting_;
  }

  /// Issues the request if none is in flight; false if AFD refused it.
  bool arm();

  void onComplete(DWORD bytes) override;

 private:
  void cancel();

  Watches* owner_;  ///< null once retired
  SOCKET base_;
  Watcher* watcher_ = nullptr;
  unsigned events_ = 0;
  bool inFlight_ = false;
  bool reporting_ = false;
  AfdPollInfo info_{};
};

class Watches final : public ForeignWatches {
 public:
  Watches(IocpBackend& backend, HANDLE port) : backend_(backend), port_(port) {}

  /// Called by the backend before it drains its port: requests still in
  /// flight are cancelled (closing the helper cancels whatever is left)
  /// and free themselves when their packets are dequeued.
  ~Watches() override {
    for (auto& entry : watches_) {
      if (entry.second->retire()) delete entry.second;
    }
    if (helper_ != INVALID_SOCKET) ::closesocket(helper_);
  }

  bool watch(SOCKET socket, unsigned events, Watcher* watcher) override {
    if (!ready()) return false;
    auto it = watches_.find(socket);
    if (events == 0) {
      if (it == watches_.end()) return true;
      if (it->second->retire()) delete it->second;
      watches_.erase(it);
      return true;
    }
    if (it == watches_.end())
      it = watches_.emplace(socket, new ForeignWatch(*this, socket)).first;
    it->second->set(events, watcher);
    if (!it->second->arm()) {
      if (it->second->retire()) delete it->second;
      watches_.erase(it);
      refused_ = true;
      return false;
    }
    return true;
  }

  IocpBackend& backend() noexcept { return backend_; }
  HANDLE helper() const noexcept { return reinterpret_cast<HANDLE>(helper_); }

 private:
  // The helper socket is made on first use: most loops never look a name
  // up.
  bool ready() {
    if (refused_) return false;
    if (helper_ != INVALID_SOCKET) return true;
    if (!ntDeviceIoControlFile()) {
      refused_ = true;
      return false;
    }
    helper_ = ::WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0,
                           WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (helper_ == INVALID_SOCKET ||
        ::CreateIoCompletionPort(reinterpret_cast<HANDLE>(helper_), port_, 0,
                                 0) != port_) {
      if (helper_ != INVALID_SOCKET) ::closesocket(helper_);
      helper_ = INVALID_SOCKET;
      refused_ = true;
      return false;
    }
    return true;
  }

  IocpBackend& backend_;
  HANDLE port_;
  SOCKET helper_ = INVALID_SOCKET;
  bool refused_ = false;
  std::unordered_map<SOCKET, ForeignWatch*> watches_;
};

bool ForeignWatch::arm() {
  if (inFlight_ || reporting_ || !owner_) return true;
  ULONG wanted = kAfdPollAbort | kAfdPollLocalClose | kAfdPollConnectFail;
  if (events_ & kReadable)
    wanted |= kAfdPollReceive | kAfdPollReceiveExpedited | kAfdPollDisconnect |
              kAfdPollAccept;
  if (events_ & kWritable) wanted |= kAfdPollSend;
  info_ = AfdPollInfo{};
  info_.timeout.QuadPart = INT64_MAX;
  info_.numberOfHandles = 1;
  info_.exclusive = FALSE;
  info_.handles[0].handle = reinterpret_cast<HANDLE>(base_);
  info_.handles[0].events = wanted;
  OVERLAPPED* overlapped = prepare();
  // The status block is the OVERLAPPED's Internal/InternalHigh pair (the
  // layout Windows itself relies on); the APC context is what the port
  // hands back, so the completion finds this operation.
  LONG status = ntDeviceIoControlFile()(
      owner_->helper(), nullptr, nullptr, overlapped, &overlapped->Internal,
      kIoctlAfdPoll, &info_, sizeof info_, &info_, sizeof info_);
  if (status != kStatusPending && status < 0) return false;
  inFlight_ = true;
  owner_->backend().started(*this);
  return true;
}

void ForeignWatch::cancel() {
  if (owner_) ::CancelIoEx(owner_->helper(), overlapped());
}

void ForeignWatch::onComplete(DWORD) {
  inFlight_ = false;
  if (!owner_) {
    delete this;  // retired while in flight: its last packet
    return;
  }
  auto status = static_cast<LONG>(overlapped()->Internal);
  unsigned ready = 0;
  if (status == kStatusCancelled) {
    // Cancelled to change its events: nothing to report.
  } else if (status < 0) {
    ready = events_;  // the owner's next read or write finds the error
  } else if (info_.numberOfHandles > 0) {
    ULONG got = info_.handles[0].events;
    if (got & (kAfdPollReceive | kAfdPollReceiveExpedited | kAfdPollDisconnect |
               kAfdPollAccept))
      ready |= kReadable;
    if (got & kAfdPollSend) ready |= kWritable;
    if (got & (kAfdPollAbort | kAfdPollLocalClose | kAfdPollConnectFail))
      ready = events_;
    ready &= events_;
  }
  if (ready && watcher_) {
    reporting_ = true;
    watcher_->onReady(ready);
    reporting_ = false;
    if (!owner_) {
      delete this;  // unwatched from inside its own report
      return;
    }
  }
  if (!arm()) {
    // AFD refused a request it took before (out of resources): report the
    // socket ready so its owner reads it and finds out.
    if (watcher_) watcher_->onReady(kReadable | kWritable);
  }
}

}  // namespace

std::unique_ptr<ForeignWatches> createForeignWatches(IocpBackend& backend,
                                                     HANDLE port) {
  return std::make_unique<Watches>(backend, port);
}

}  // namespace dgram::detail
