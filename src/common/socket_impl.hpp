// SocketImpl: Node's dgram.Socket state machine, platform-free. It
// validates arguments exactly where Node throws, drives the platform
// socket, defers callbacks to a later turn and emits events.
// Layer: common state machine.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.hpp"
#include "common/listeners.hpp"
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
  std::optional<Error> error;  ///< set when it failed before the kernel
  SysError result;             ///< the kernel's answer
  bool resolved = false;       ///< its destination is known (or failed)
  IpAddress resolvedIp;
};

class SocketImpl : private SocketEvents {
 public:
  SocketImpl(const SocketOptions& options, Loop& loop);
  ~SocketImpl() override;

  /// Called once by createSocket: the public object this implements.
  void attachOwner(Socket* owner, std::shared_ptr<Socket> self);
  /// The loop is being destroyed: release everything without emitting.
  void abandon();

  // Listeners.
  ListenerId addMessage(MessageListener fn, bool once);
  ListenerId addPlain(int event, Listener fn, bool once);
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
  void ref();
  void unref();

  Loop& loop() const noexcept { return publicLoop_; }
  Type type() const noexcept { return type_; }
  bool closed() const noexcept { return closed_; }

  enum Event { kListening, kConnect, kClose };

 private:
  enum class BindState { unbound, binding, bound };
  enum class ConnectState { disconnected, connecting, connected };

  /// Work that waits for the socket to be bound: sends, a connect, close.
  struct Pending {
    enum Kind { send, connect, close } kind;
    explicit Pending(Kind k) : kind(k) {}
    OutgoingSend* request = nullptr;
    int port = 0;
    std::string address;
    ConnectCallback connectCallback;
  };

  // SocketEvents.
  void onDatagram(const std::uint8_t* data, std::size_t size,
                  const Endpoint& from, bool truncated) override;
  void onReceiveError(SysError error) override;
  void onSendDone(SendRequest* request, SysError error) override;

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
  void emitPlain(Event event);
  void updateHandleRef();
  void closeNow();
  void finishClose();

  Socket* owner_ = nullptr;
  std::shared_ptr<Socket> self_;  ///< keeps an open socket alive
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
  std::vector<OutgoingSend*> free_;
  std::vector<OutgoingSend*> completed_;
  std::vector<OutgoingSend*> completing_;
  bool completionScheduled_ = false;

  // Per-datagram caches (see parseNumericCached and onDatagram).
  std::string lastHost_;
  std::optional<IpAddress> lastHostIp_;
  IpAddress lastSender_;
  RemoteInfo lastRemote_;  ///< what listeners get (a const reference)
};

}  // namespace dgram::detail

namespace dgram {

/// What dgram::Socket holds, under the opaque name its header declares.
class Socket::Impl final : public detail::SocketImpl {
 public:
  using SocketImpl::SocketImpl;
};

}  // namespace dgram
