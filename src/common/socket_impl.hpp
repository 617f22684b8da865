// SocketImpl: Node's dgram.Socket state machine, platform-free. It
// validates arguments exactly where Node throws, drives the platform
// socket, defers callbacks to a later turn and emits events.
// Layer: common state machine.
//
// Ownership (the one model, see README "Lifetime"): the Socket is owned by
// the user's shared_ptrs plus `self_`, the loop's reference, held exactly
// while busy(): bound (or binding) and open, or with deferred work not yet
// run. Deferred work goes through later(), which counts it, so a raw
// `this` in it can never outlive the socket. The loop's reference is let
// go only where the loop calls in (enter()), after the work is done.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/ip_address.hpp"
#include "common/listeners.hpp"
#include "common/loop_core.hpp"
#include "common/platform_socket.hpp"
#include "common/resolver.hpp"
#include "dgram/socket.hpp"

namespace dgram::detail {

class LoopCore;

/// A send as the Socket tracks it: the platform's request plus what Node
/// reports on completion (the address and port the user gave).
struct OutgoingSend : SendRequest {
  SendCallback callback;
  std::string address;  ///< as given by the user (for error messages)
  int port = 0;
  /// Issued on a connected socket (the connected form, no destination).
  /// Decided when send() is called, as Node does: a send to an address
  /// issued while a connect() waits keeps that address.
  bool toPeer = false;
  std::optional<Error> error;  ///< set when it failed before the kernel
  SysError result;             ///< the kernel's answer
  bool resolved = false;       ///< its destination is known (or failed)
  IpAddress resolvedIp;
  std::size_t poolIndex = 0;  ///< its slot in SocketImpl::requests_
};

class SocketImpl : private SocketEvents {
 public:
  SocketImpl(const SocketOptions& options, Loop& loop);
  ~SocketImpl() override;

  /// Called once by createSocket: the public object this implements.
  void attachOwner(Socket* owner, const std::shared_ptr<Socket>& self);
  /// The loop is being destroyed: release everything without emitting.
  void abandon();

  /// The events whose listeners take no argument.
  enum class Event { listening, connect, close };

  // Listeners.
  ListenerId addMessage(MessageListener fn, bool once);
  ListenerId addPlain(Event event, Listener fn, bool once);
  ListenerId addError(ErrorListener fn, bool once);
  bool removeListener(ListenerId id);

  // Node's methods (see socket.hpp).
  void bind(int port, std::string_view address, Listener cb);
  void bindFd(std::intptr_t fd, Listener cb);
  void connect(int port, std::string_view address, ConnectCallback cb);
  void disconnect();
  void send(const Bytes* parts, std::size_t count, bool hasPort, int port,
            std::string_view address, SendCallback cb);
  void close(Listener cb);
  AddressInfo address() const;
  AddressInfo remoteAddress() const;
  void membership(std::string_view group, std::string_view iface, bool join);
  void sourceMembership(std::string_view source, std::string_view group,
                        std::string_view iface, bool join);
  void setBroadcast(bool flag);
  void setMulticastInterface(std::string_view iface);
  void setMulticastLoopback(bool flag);
  void setMulticastTTL(int ttl);
  void setTTL(int ttl);
  /// Sets (with a size) or gets a buffer size; returns what the system
  /// reports afterwards.
  int bufferSize(BufferKind kind, std::optional<int> size);
  std::size_t sendQueueSize() const;
  std::size_t sendQueueCount() const;
  Offloads offloads() const;
  void ref();
  void unref();

  Loop& loop() const noexcept { return publicLoop_; }
  Type type() const noexcept { return type_; }
  bool closed() const noexcept { return closed_; }

 private:
  enum class BindState { unbound, binding, bound };
  enum class ConnectState { disconnected, connecting, connected };

  /// Work that waits for the socket to be bound, run in call order.
  struct PendingSend {
    OutgoingSend* request;
  };
  struct PendingConnect {
    int port;
    std::string address;
    ConnectCallback callback;
  };
  struct PendingClose {};
  using Pending = std::variant<PendingSend, PendingConnect, PendingClose>;

  // SocketEvents.
  void onDatagram(const std::uint8_t* data, std::size_t size,
                  const Endpoint& from, bool truncated) override;
  void onReceiveError(SysError error) override;
  void onSystemError(SysError error, const char* syscall) override;
  void onSendDone(SendRequest* request, SysError error) override;
  void holdDatagram(const std::uint8_t* data, std::size_t size,
                    const Endpoint& from, bool truncated) override;

  // Lifetime (see the top of this file).
  bool busy() const noexcept;
  /// Takes the loop's reference if the socket is busy.
  void retain();
  /// Runs `fn` on a later turn; the socket lives until it has run.
  template <typename F>
  void later(F fn);
  /// Wraps a call from the loop: lets go of the loop's reference afterwards
  /// if nothing is left to do (which may destroy the socket, after `fn`).
  template <typename F>
  void enter(F&& fn);
  /// After 'close': drops every listener and callback held.
  void releaseCallbacks();

  // State checks shared by the methods.
  void healthCheck() const;
  void requireBound(const char* syscall) const;
  Family family() const noexcept;

  // bind.
  void bindImplicitly();
  void bindForMembership();
  SysError openAndBind(const IpAddress& ip, int port);
  void finishBind(const std::optional<Error>& error, const IpAddress& ip,
                  int port);
  void startListening();
  void runPending();
  void cancelPending();

  // connect.
  void startConnect(int port, std::string address, ConnectCallback cb);
  void finishConnect(const std::optional<Error>& error, const IpAddress& ip,
                     int port, const std::string& address);
  void cancelConnect(ConnectCallback cb);

  // send.
  OutgoingSend* acquireRequest();
  void releaseRequest(OutgoingSend* request);
  void startSend(OutgoingSend* request);
  void sendResolved(OutgoingSend* request, const IpAddress& ip);
  void sendInOrder();
  void complete(OutgoingSend* request);
  void cancelSend(OutgoingSend* request);
  void scheduleCompletions();
  void flushCompletions();

  // names.
  /// Resolves a non-empty host for this socket's family, then calls `then`
  /// on a later turn (never inside the calling method). Dropped if the
  /// socket closes first.
  void resolve(const std::string& host, ResolveCallback then);
  std::optional<IpAddress> parseNumeric(std::string_view host) const;
  std::optional<IpAddress> parseNumericCached(const std::string& host);

  // events.
  void emitError(const Error& error);
  /// Emits (or resumes, after a listener threw) a plain event. If a
  /// listener throws, the rest are called on the next turn.
  void emitPlain(Event event, bool resume = false);
  ListenerList<void()>& listenersOf(Event event) noexcept;
  void dispatchDatagram(const std::uint8_t* data, std::size_t size,
                        const Endpoint& from, bool truncated);
  void deliverHeld();
  void applyBufferSizes();
  void updateHandleRef();
  void closeNow();
  void finishClose();
  void finishRelease();
  void destroyRequest(OutgoingSend* request);

  Socket* owner_ = nullptr;
  std::shared_ptr<Socket> self_;  ///< the loop's reference, while busy()
  std::weak_ptr<Socket> weakSelf_;
  std::size_t tasks_ = 0;  ///< calls deferred by later(), not yet run
  bool released_ = false;  ///< 'close' ran: listeners are not kept
  Loop& publicLoop_;
  LoopCore& loop_;
  Type type_;
  SocketOptions options_;
  std::unique_ptr<PlatformSocket> io_;
  std::shared_ptr<int> lifetime_;  ///< weak refs to it see a closed socket

  BindState bindState_ = BindState::unbound;
  ConnectState connectState_ = ConnectState::disconnected;
  bool closed_ = false;
  bool abandoned_ = false;
  std::optional<Family> adoptedFamily_;  ///< family of an adopted fd
  bool refd_ = true;
  bool holdsHandleRef_ = false;
  std::uint64_t abortListenerId_ = 0;

  ListenerList<void(Bytes, const RemoteInfo&)> onMessage_;
  ListenerList<void()> onListening_;
  ListenerList<void()> onConnect_;
  ListenerList<void()> onClose_;
  ListenerList<void(const Error&)> onError_;
  ListenerId nextListenerId_ = 1;
  ListenerId bindCallbackId_ = 0;
  ConnectCallback connectCallback_;  ///< of the connect in progress
  ListenerId connectListenerId_ = 0;

  std::vector<Pending> pending_;  ///< waiting for 'listening'
  bool hasPendingQueue_ = false;
  /// Sends that wait for a lookup, and any issued after them: they go out
  /// in the order they were issued.
  std::deque<OutgoingSend*> ordered_;
  std::vector<LookupId> lookups_;  ///< this socket's lookups in flight
  std::vector<std::unique_ptr<OutgoingSend>> requests_;  ///< owns them all
  /// Requests to reuse, and finished ones whose callbacks wait for the
  /// next turn: lists through SendRequest::next, which never allocate.
  OutgoingSend* free_ = nullptr;
  std::size_t freeCount_ = 0;
  OutgoingSend* completedHead_ = nullptr;
  OutgoingSend* completedTail_ = nullptr;
  bool completionScheduled_ = false;

  /// Datagrams read in a batch but not delivered because a 'message'
  /// listener threw: delivered first on the next turn.
  struct HeldDatagram {
    std::vector<std::uint8_t> data;
    Endpoint from;
    bool truncated;
  };
  std::deque<HeldDatagram> held_;

  // Per-datagram caches (see parseNumericCached and onDatagram).
  std::string lastHost_;
  std::optional<IpAddress> lastHostIp_;
  IpAddress lastSender_;
  RemoteInfo lastRemote_;  ///< what listeners get (a const reference)
};

template <typename F>
void SocketImpl::later(F fn) {
  ++tasks_;
  retain();
  // Captures stay small: `this` plus what `fn` holds (one pointer for the
  // per-datagram completions, which then defer without allocating).
  loop_.defer([this, fn = std::move(fn)]() mutable {
    enter([&] {
      --tasks_;
      fn();
    });
  });
}

template <typename F>
void SocketImpl::enter(F&& fn) {
  // `hold` outlives the release below: the socket ends, if it does, only
  // when this returns.
  std::shared_ptr<Socket> hold = self_;
  struct Settle {
    SocketImpl& socket;
    ~Settle() {
      if (socket.self_ && !socket.busy()) socket.self_.reset();
    }
  } settle{*this};
  fn();
}

}  // namespace dgram::detail

namespace dgram {

/// What dgram::Socket holds, under the opaque name its header declares.
class Socket::Impl final : public detail::SocketImpl {
 public:
  using SocketImpl::SocketImpl;
};

}  // namespace dgram
