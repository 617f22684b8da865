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
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/compiler.hpp"
#include "common/errors.hpp"
#include "common/fifo.hpp"
#include "common/ip_address.hpp"
#include "common/listeners.hpp"
#include "common/loop_core.hpp"
#include "common/platform_socket.hpp"
#include "common/platform_socket_space.hpp"
#include "common/raise.hpp"
#include "common/resolver.hpp"
#include "dgram/socket.hpp"

namespace dgram::detail {

class LoopCore;

/// A send as the Socket tracks it: the platform's request plus what Node
/// reports on completion (the address and port the user gave).
struct OutgoingSend : SendRequest {
  SendCallback callback;
  /// The host as given by the user (for error messages and lookups),
  /// unless `addressIsDestination`.
  std::string address;
  /// The host text is what formatting `destination.ip` gives, so it is
  /// not copied (the steady state: a numeric address, often the sender's
  /// own text from a 'message' listener's RemoteInfo).
  bool addressIsDestination = false;
  int port = 0;
  /// Issued on a connected socket (the connected form, no destination).
  /// Decided when send() is called, as Node does: a send to an address
  /// issued while a connect() waits keeps that address.
  bool toPeer = false;
  /// Queued by SocketImpl::joinSteady: one piece, no source, a copy the
  /// pool keeps (what recycleSent would check otherwise).
  bool joined = false;
  std::optional<Error> error;  ///< set when it failed before the kernel
  SysError result;             ///< the kernel's answer
  bool resolved = false;       ///< its destination is known (or failed)
  IpAddress resolvedIp;
  std::size_t poolIndex = 0;  ///< its slot in SendState::requests
};

class SocketImpl : private SocketEvents {
 public:
  SocketImpl(const SocketOptions& options, Loop& loop);
  ~SocketImpl();

  /// Called once by createSocket, when the shared_ptr that owns the
  /// socket exists: listens to the abort signal (inline: most sockets
  /// have no options, so nothing to do).
  void attachOwner() {
    if (rare_) listenToAbortSignal();
  }
  /// The loop is being destroyed: lets go of the loop (detaches, closes
  /// the descriptor, gives back its counts) and releases every listener
  /// and callback, without emitting or calling any. May destroy the
  /// socket (after it is done with it).
  void abandon() noexcept;

  /// The events whose listeners take no argument.
  /// The events (those whose listeners take no argument are 'listening',
  /// 'connect' and 'close').
  using Event = EventKind;

  // Listeners.
  ListenerId addMessage(MessageListener fn, bool once);
  ListenerId addPlain(Event event, Listener fn, bool once);
  ListenerId addError(ErrorListener fn, bool once);
  bool removeListener(ListenerId id);

  // Node's methods (see socket.hpp). What Node throws goes to `sink`
  // when one is given (the public error-returning overloads), else is
  // raised (common/raise.hpp), leaving the socket as the throw would.
  /// Returns the Socket (owner()).
  Socket& bind(int port, std::string_view address, Listener&& cb,
               ErrorSink sink = nullptr);
  void bindFd(std::intptr_t fd, Listener cb, ErrorSink sink = nullptr);
  void connect(int port, std::string_view address, ConnectCallback cb,
               ErrorSink sink = nullptr);
  void disconnect(ErrorSink sink = nullptr);
  /// `from` (nullptr = none) is SendFrom's source, checked here.
  void send(const ByteView* parts, std::size_t count, bool hasPort, int port,
            std::string_view address, SendCallback&& cb,
            const SendFrom* from = nullptr,
            std::vector<std::uint8_t>* buffer = nullptr,
            ErrorSink sink = nullptr);
  /// The forms that take a buffer over (Socket::send with a vector&&):
  /// as send(), with `buffer` kept by the request instead of copied.
  void sendBuffer(std::vector<std::uint8_t>& buffer, bool hasPort, int port,
                  std::string_view address, SendCallback&& cb);
  /// send(msg, port, address, cb), the most common call (socket_send.cpp
  /// only).
  void sendTo(const ByteView& msg, int port, std::string_view address,
              SendCallback&& cb);
  /// The steady state of a send without a callback (a reply from a
  /// 'message' listener, most often): a valid port, and a numeric address
  /// in the loop's caches in its canonical text, for a bound, unconnected
  /// open socket with nothing waiting. The destination then goes to
  /// PlatformSocket::sendAtOnce; nullptr, for any other send, says to
  /// take sendTo (socket_send.cpp only: inline there).
  const IpAddress* steadyDestination(int port, std::string_view address);
  void sendSteady(ByteView msg, const IpAddress& ip, std::uint16_t port) {
    io()->sendAtOnce(msg, ip, port);
  }
  /// The steady state of a send with a callback: as above, but through a
  /// request, which keeps the callback until the send completes.
  void sendSteady(const ByteView& msg, const IpAddress& ip, std::uint16_t port,
                  SendCallback& cb);
  /// sendSteady() for a send that only joins the queue the platform keeps
  /// open, in a pooled request whose copy has its size: false, having
  /// done nothing, for any other (socket_send.cpp only: inline there).
  bool joinSteady(const ByteView& msg, const IpAddress& ip, std::uint16_t port,
                  SendCallback& cb);
  /// sendTo() out of line, for Socket::send's other sends.
  void sendToOther(ByteView msg, int port, std::string_view address,
                   SendCallback& cb);
  /// send(msg, port, address) off the steady state.
  void sendWithoutCallback(ByteView msg, int port, std::string_view address);
  /// What PlatformSocket::sendAtOnce hands back (SocketEvents::sendLater):
  /// a request to the checked destination.
  void sendLater(const ByteView& payload, const IpAddress& ip,
                 std::uint16_t port);
  void close(Listener cb, ErrorSink sink = nullptr);
  /// close() without a callback, raising (Socket::close()); returns the
  /// Socket, which Socket::close() returns (so it only jumps here).
  Socket& close();
  AddressInfo address(ErrorSink sink = nullptr) const;
  AddressInfo remoteAddress(ErrorSink sink = nullptr) const;
  void membership(std::string_view group, std::string_view iface, bool join,
                  ErrorSink sink = nullptr);
  void sourceMembership(std::string_view source, std::string_view group,
                        std::string_view iface, bool join,
                        ErrorSink sink = nullptr);
  void setBroadcast(bool flag, ErrorSink sink = nullptr);
  void setMulticastInterface(std::string_view iface, ErrorSink sink = nullptr);
  void setMulticastLoopback(bool flag, ErrorSink sink = nullptr);
  void setMulticastTTL(int ttl, ErrorSink sink = nullptr);
  void setTTL(int ttl, ErrorSink sink = nullptr);
  void setTOS(int tos, ErrorSink sink = nullptr);
  /// Sets (with a size) or gets a buffer size; returns what the system
  /// reports afterwards (0 after a failure reported to `sink`).
  int bufferSize(BufferKind kind, std::optional<int> size,
                 ErrorSink sink = nullptr);
  std::size_t sendQueueSize() const;
  std::size_t sendQueueCount() const;
  KernelFeatures kernelFeatures() const;
  void ref();
  void unref();

  /// The loop; throws ERR_SOCKET_DGRAM_NOT_RUNNING once it is gone.
  Loop& loop() const {
    requireLoop();
    return loop_.publicLoop();
  }
  /// Its index in the loop's socket list (LoopCore::attach/detach).
  std::uint32_t loopSlot() const noexcept { return loopSlot_; }
  void setLoopSlot(std::uint32_t slot) noexcept { loopSlot_ = slot; }
  Type type() const noexcept { return static_cast<Type>(type_); }
  bool closed() const noexcept { return closed_; }

 private:
  enum class BindState : std::uint8_t { unbound, binding, bound };
  enum class ConnectState : std::uint8_t {
    disconnected,
    connecting,
    connected
  };

  /// Work that waits for the socket to be bound, run in call order.
  struct PendingSend {
    OutgoingSend* request;
  };
  struct PendingConnect {
    int port;
    std::string address;
    ConnectCallback callback;
  };
  /// A membership asked for while the bind waits (plain when `source` is
  /// empty, source-specific otherwise).
  struct PendingMembership {
    IpAddress group;
    std::optional<IpAddress> iface;
    std::optional<IpAddress> source;
    bool join;
    const char* syscall;  ///< Node's name for it, in errors
  };
  struct PendingClose {};
  using Pending = std::variant<PendingSend, PendingConnect, PendingMembership,
                               PendingClose>;

  // SocketEvents.
  void onDatagram(const std::uint8_t* data, std::size_t size,
                  const Arrival& arrival);
  void onReceiveError(SysError error);
  void onSystemError(SysError error, const char* syscall);
  /// Emits a platform error as 'error' on a later turn.
  void reportLater(SysError error, const char* syscall);
  void onSendDone(SendRequest* request, SysError error);
  void holdDatagram(const std::uint8_t* data, std::size_t size,
                    const Arrival& arrival);
  /// SocketEvents::onDatagramFromLast for a socket that is closed or has
  /// rare state: as onDatagram, with the Arrival the loop's cache gives.
  DGRAM_NOINLINE void onDatagramFromLast(const std::uint8_t* data,
                                         std::size_t size);
  friend class SocketEvents;  // forwards the platform's calls here

  // Lifetime (see the top of this file).
  /// The public object: a SocketImpl is always the Socket::Impl that
  /// createSocket made, which is that Socket (Socket lets this class name
  /// its Impl, so no virtual call and no vtable pointer are needed).
  Socket& owner() noexcept;
  /// attachOwner() for a socket with options kept in Rare.
  void listenToAbortSignal();
  /// Sees the socket end: for callbacks that may outlive it.
  std::weak_ptr<Socket> token() noexcept;
  bool busy() const noexcept {
    if (abandoned_) return false;
    return tasks_ > 0 || (!closed_ && bindState_ != BindState::unbound);
  }
  /// Takes the loop's reference if the socket is busy.
  void retain() {
    if (!self_ && busy()) takeLoopReference();
  }
  void takeLoopReference();
  /// takeLoopReference() inline (in bind, which every bound socket calls).
  DGRAM_ALWAYS_INLINE void takeLoopReferenceHere();
  /// Runs `fn` on a later turn; the socket lives until it has run.
  template <typename F>
  void later(F fn);
  /// Whether later() can carry `F` in a DeferredCall (no std::function):
  /// one pointer's worth of plain data.
  template <typename F>
  static constexpr bool fitsDeferredCall() {
    return sizeof(F) <= sizeof(void*) && alignof(F) <= alignof(void*) &&
           std::is_trivially_copyable_v<F> &&
           std::is_trivially_destructible_v<F>;
  }
  /// The DeferredCall that runs `fn` (which fitsDeferredCall) for this
  /// socket: the lambda's bytes travel in `data`.
  template <typename F>
  DeferredCall deferredCallOf(F fn) {
    static_assert(fitsDeferredCall<F>());
    DeferredCall call{&runLater<F>, this, nullptr};
    new (&call.data) F(std::move(fn));
    return call;
  }
  /// Defers `call`; the socket lives until it has run. (Inline for the
  /// socket's once-a-life steps, bindStep and closeStep, whose functions
  /// run what later() would run, in one frame.)
  void deferStepInline(const DeferredCall& call) {
    ++tasks_;
    retain();
    loop_.defer(call);
  }
  /// later()'s plain path, out of line: the per-datagram callers that
  /// may defer (a send's completion) stay short.
  DGRAM_NOINLINE void deferStep(const DeferredCall& call) {
    deferStepInline(call);
  }
  /// The DeferredCall's function for later(): `data` holds the lambda.
  template <typename F>
  static void runLater(void* context, void* data);
  /// Wraps a call from the loop: lets go of the loop's reference afterwards
  /// if nothing is left to do (which may destroy the socket, after `fn`).
  template <typename F>
  void enter(F&& fn);
  /// enter()'s end, as a scope: its destructor lets go of the loop's
  /// reference if nothing is left to do.
  struct Settle {
    SocketImpl& socket;
    DGRAM_ALWAYS_INLINE ~Settle() {
      if (socket.self_ && !socket.busy()) {
        std::shared_ptr<Socket> last = std::move(socket.self_);
      }
    }
  };
  /// After 'close': drops every listener and callback held.
  void releaseCallbacks();
  /// releaseCallbacks()'s body (inline in the 'close' step).
  DGRAM_ALWAYS_INLINE void releaseHeld();
  /// releaseHeld()'s part for a socket with rare state.
  DGRAM_NOINLINE void releaseRare();
  /// The constructor's part for a socket with options set: checks the
  /// buffer sizes and keeps the options in Rare.
  DGRAM_NOINLINE void keepOptions(const SocketOptions& options);

  // State checks shared by the methods.
  /// The rule for a socket whose loop is gone (abandoned): every method
  /// throws ERR_SOCKET_DGRAM_NOT_RUNNING before it touches anything.
  /// Those that start with healthCheck() have it there (an abandoned
  /// socket is closed); the others call this first; send() replaces its
  /// argument errors through refusal(), off its hot path.
  void requireLoop() const;
  Error refusal(Error error) const;
  void healthCheck() const {
    if (closed_) throwNotRunning();
  }
  [[noreturn]] static void throwNotRunning();
  /// healthCheck() for the error-returning forms: true when open.
  bool healthy(ErrorSink sink) const {
    return !closed_ || fail(sink, errSocketNotRunning());
  }
  /// Raises EBADF (`syscall`) when unbound, or reports it to `sink`.
  bool requireBound(const char* syscall, ErrorSink sink = nullptr) const;
  Family family() const noexcept { return static_cast<Family>(family_); }

  // bind.
  /// What a bind waits with until the socket opens: its callback (a once
  /// 'listening' listener, placed among the others by its id only when
  /// 'listening' is emitted) and its numeric target. It lives in ioSpace_,
  /// which the platform socket does not use before it is built (when the
  /// socket opens): a binding socket needs no allocation of its own.
  struct PendingBind {
    Listener callback;
    ListenerId callbackId = 0;
    Endpoint target;
  };
  static_assert(sizeof(PendingBind) <= kPlatformSocketSpace &&
                alignof(PendingBind) <= kPlatformSocketAlign);
  /// Builds the PendingBind (its target when known: `ip`, `port`).
  DGRAM_ALWAYS_INLINE void holdPendingBind(Listener&& callback,
                                           ListenerId callbackId,
                                           const IpAddress* ip,
                                           std::uint16_t port);
  /// The PendingBind in ioSpace_ (there must be one).
  PendingBind& heldBind() noexcept {
    return *std::launder(reinterpret_cast<PendingBind*>(ioSpace_));
  }
  PendingBind* pendingBind() noexcept {
    return hasPendingBind_ ? &heldBind() : nullptr;
  }
  /// Destroys the PendingBind, if any (its callback with it).
  void dropPendingBind() noexcept {
    if (hasPendingBind_) destroyPendingBind();
  }
  void destroyPendingBind() noexcept;
  /// Moves the PendingBind out of ioSpace_ (which is free afterwards).
  PendingBind takePendingBind() noexcept;
  /// Builds the platform socket if there is none: in ioSpace_ where it
  /// fits. Not while a PendingBind holds the space (bind takes it out
  /// before it opens the socket).
  PlatformSocket& platform();
  /// Keeps `made` as the platform socket (built in ioSpace_ or not).
  DGRAM_ALWAYS_INLINE PlatformSocket& keepPlatform(PlatformSocketPtr made);
  /// Builds the platform socket (there is none) opened with `options`
  /// (nullptr: none set), bound to `local` and receiving; nothing is left
  /// if that fails.
  DGRAM_ALWAYS_INLINE SysError buildBound(const Endpoint& local,
                                          const OpenOptions* options);
  /// buildBound's record of a platform socket built anywhere but at the
  /// start of ioSpace_ (further in it, or on the heap).
  DGRAM_NOINLINE void keepBuilt(PlatformSocket* made) noexcept;
  /// The platform socket; nullptr before the socket opens.
  PlatformSocket* io() const noexcept {
    auto* space = const_cast<unsigned char*>(ioSpace_);
    if (ioPlace_ == IoPlace::inSpace)
      return std::launder(reinterpret_cast<PlatformSocket*>(space + ioOffset_));
    if (ioPlace_ == IoPlace::onHeap)
      return *std::launder(reinterpret_cast<PlatformSocket**>(space));
    return nullptr;
  }
  /// The destructor's part for a socket that holds more than its place
  /// in the loop's list (out of line: most sockets end without).
  DGRAM_NOINLINE void destroyUnusual() noexcept;
  /// Destroys the platform socket (closing its descriptor, if any).
  void dropPlatform() noexcept;
  /// dropPlatform()'s body (inline in the destructor).
  DGRAM_ALWAYS_INLINE void destroyPlatform() noexcept;
  /// The one way out of 'unbound' (see bind in socket_impl.cpp).
  void startBinding();
  /// Undoes startBinding() for a call that throws before it scheduled
  /// anything (a custom lookup that throws).
  void abortBinding() noexcept;
  void bindImplicitly();
  /// bind()'s part for a host to look up (out of line: the usual bind, to
  /// no address or a numeric one, then keeps a smaller frame).
  DGRAM_NOINLINE void bindByName(int port, std::string_view address);
  /// bind()'s part once its target is known (`known`: a numeric address
  /// or an any-address).
  DGRAM_ALWAYS_INLINE Socket& bindKnown(int port, const IpAddress& known,
                                        Listener&& cb);
  /// bind() once its checks passed, for any address: one not in the host
  /// cache is parsed and cached here, a name is looked up (out of line:
  /// the usual bind calls nothing).
  DGRAM_NOINLINE Socket& bindAddress(int port, std::string_view address,
                                     Listener&& cb);
  /// The any-address of the socket's family (a constant).
  DGRAM_ALWAYS_INLINE const IpAddress* anyOfFamily() const noexcept;
  /// bind()'s refusals (closed, bound or binding, a bad port), as bind()
  /// reports them (out of line: the usual bind keeps a smaller frame).
  DGRAM_NOINLINE Socket& refuseBindCall(int port, ErrorSink sink);
  bool bindForMembership(ErrorSink sink);
  /// Opens the platform socket (building it if need be), binds it and,
  /// with `receive`, starts receiving; on failure it is dropped again.
  SysError openAndBind(const Endpoint& local, bool receive);
  void finishBind(const std::optional<Error>& error, IpAddress ip, int port);
  /// The DeferredCall function of the step of a bind whose target waits
  /// in the PendingBind (`context`: the socket): as later() would run it.
  /// The usual bind (a callback, no listener, no rare state) runs in its
  /// one frame; any other goes to bindToTarget.
  static void bindStep(void* context, void* unused);
  /// bindStep for any bind but the usual one (a refused bind settles in
  /// refuseBind).
  DGRAM_NOINLINE void bindToTarget();
  /// The 'error' of a bind to `ip`:`port` the system refused.
  DGRAM_NOINLINE Error bindError(SysError err, const IpAddress& ip,
                                 int port) const;
  /// bindStep's failure: the system refused the PendingBind's target
  /// (`err`); settles the loop's reference after failBind.
  DGRAM_NOINLINE void refuseBind(SysError err, Listener& callback);
  /// A bind failed (`failure` is its 'error'): the socket is unbound again,
  /// without the bind's callback, and what waited for it is cancelled.
  DGRAM_NOINLINE void failBind(const Error& failure, Listener& callback);
  /// Becomes 'listening'; `callback` (with its listener id) is a bind
  /// callback that waited in the PendingBind, not yet among the listeners.
  void startListening(Listener&& callback = Listener(),
                      ListenerId callbackId = 0);
  /// startListening's body.
  DGRAM_ALWAYS_INLINE void listen(Listener&& callback, ListenerId callbackId);
  // The parts of a bind's step and of listen() that bindStep's usual bind
  // shares (inline in each: one body, so the copies cannot drift apart).
  /// Takes the bind's callback out of the PendingBind, which ends there
  /// (its target stays readable until something is built in the space).
  DGRAM_ALWAYS_INLINE Listener takeHeldCallback(PendingBind& held);
  /// 'bound', with the loop's handle reference if ref'd.
  DGRAM_ALWAYS_INLINE void becomeBound();
  /// 'listening' with no listener on the list: calls the bind's
  /// `callback`, if any, alone, then the work that waited for 'listening'
  /// (emptying `callback` first; without such work the caller's frame,
  /// which ends on return, destroys it).
  DGRAM_ALWAYS_INLINE void listenAlone(Listener& callback);
  /// A 'listening' listener or the bind callback threw (`emitted`: after
  /// 'listening' was emitted): what 'listening' starts happens next turn.
  DGRAM_NOINLINE void listeningInterrupted(bool emitted);
  /// Runs the work that waited for 'listening' (none without Rare).
  void runPending() {
    if (rare_) runPendingWork();
  }
  void runPendingWork();
  /// Puts `work` from `from` on back at the front of the pending list
  /// (`queued`: it held sends or connects, which hold back close()).
  void keepPending(std::vector<Pending>& work, std::size_t from, bool queued);
  void cancelPending();

  // multicast membership (socket_options.cpp).
  void requestMembership(PendingMembership membership, ErrorSink sink);
  SysError applyMembership(const PendingMembership& membership);
  void applyQueuedMembership(const PendingMembership& membership);

  // connect.
  /// `queued`: it waited behind the bind (connect() has returned).
  void startConnect(int port, std::string address, ConnectCallback cb,
                    bool queued);
  /// Undoes startConnect for a custom lookup that threw.
  void withdrawConnect(bool queued);
  void finishConnect(const std::optional<Error>& error, const IpAddress& ip,
                     int port, const std::string& address);
  void cancelConnect(ConnectCallback cb);

  // send.
  OutgoingSend* acquireRequest();
  /// The pool is empty: a new request (the send state too, the first time).
  OutgoingSend* newRequest();
  /// A request for a send of `parts` to `port` (unless connected).
  /// `buffer` (a handed-over payload, viewed by the one part) becomes the
  /// request's copy; nullptr for the copying forms.
  OutgoingSend* makeSend(const ByteView* parts, std::size_t count, int port,
                         SendCallback& cb,
                         std::vector<std::uint8_t>* buffer = nullptr);
  /// The steady state's destination: a numeric address in the loop's
  /// caches, for a bound, unconnected socket with nothing waiting for a
  /// lookup; nullptr otherwise (socket_send.cpp only: inline there).
  const IpAddress* cachedDestination(std::string_view address, bool& canonical);
  /// The steady state of a send to a numeric address in the loop's caches,
  /// on a bound, unconnected socket with nothing waiting: false (having
  /// done nothing) for any other send.
  bool sendCached(const ByteView* parts, std::size_t count, int port,
                  std::string_view address, SendCallback& cb,
                  std::vector<std::uint8_t>* buffer = nullptr);
  /// Hands `request` to the platform for `ip`:`port` (`canonical`: the
  /// caller's text is the address's own, so the request keeps none).
  void sendRequestTo(OutgoingSend* request, const IpAddress& ip,
                     std::uint16_t port, bool canonical);
  /// send() with a source to check or before the socket is bound.
  void sendUnusual(const ByteView* parts, std::size_t count, int port,
                   std::string_view address, SendCallback& cb,
                   const SendFrom* from, std::vector<std::uint8_t>* buffer,
                   ErrorSink sink);
  void releaseRequest(OutgoingSend* request);
  /// Appends `request` to the completions the next turn reports
  /// (socket_send.cpp only: inline there).
  void queueCompletion(OutgoingSend* request);
  /// Completes a chain of requests the kernel took, `first` to `last`
  /// (SocketEvents::onSent).
  void completeSent(OutgoingSend* first, OutgoingSend* last);
  /// releaseRequest() for the usual request: sent, nothing to report.
  void recycleSent(OutgoingSend* request);
  /// recycleSent() for a request whose callback has been called.
  void recycleCalled(OutgoingSend* request);
  /// Moves `cb` into a released request (which holds none).
  void takeCallback(OutgoingSend* request, SendCallback& cb);
  /// Sends to `host` (the user's text, or the request's own copy for a
  /// send that waited for 'listening'); `queued`: it waited behind the
  /// bind (send() has returned).
  void startSend(OutgoingSend* request, std::string_view host, bool queued);
  /// Takes a send whose custom lookup threw back out of the order.
  void withdrawSend(OutgoingSend* request, bool queued);
  /// The host text for `request`'s error message.
  std::string addressText(const OutgoingSend& request) const;
  void sendResolved(OutgoingSend* request, const IpAddress& ip);
  void sendInOrder();
  bool hasCustomLookup() const noexcept { return rare_ && rare_->lookup; }
  void complete(OutgoingSend* request);
  void cancelSend(OutgoingSend* request);
  void scheduleCompletions();
  void flushCompletions();
  /// flushCompletions' callback threw: `rest` waits for the next turn.
  void keepCompletions(OutgoingSend* rest);

  // names.
  /// Resolves a non-empty host for this socket's family, then calls `then`
  /// on a later turn (never inside the calling method). Dropped if the
  /// socket closes first.
  void resolve(const std::string& host, ResolveCallback then);
  std::optional<IpAddress> parseNumeric(std::string_view host) const;
  /// parseNumeric, remembered for the next call with the same text (and
  /// that knows the text of the sender a listener was just given); sets
  /// `canonical` when `host` is what formatting the address gives.
  /// The address is the cache's (valid until the next call), nullptr when
  /// `host` is not numeric.
  const IpAddress* parseNumericCached(std::string_view host, bool& canonical);
  /// The host cache's address for a host that is not a sender's text (a
  /// bind's address): `hit` says whether `host` is the last host parsed;
  /// nullptr when it is not, or is not numeric.
  DGRAM_ALWAYS_INLINE const IpAddress* cachedHost(std::string_view host,
                                                  bool& hit);
  /// cachedHost() for a `host` that isShortText() (the bind's usual
  /// path: most IPv4 texts), compared inline: nullptr on a miss.
  DGRAM_ALWAYS_INLINE const IpAddress* cachedShortHost(std::string_view host);
  /// parseNumericCached's miss: parses `host` and caches the result.
  const IpAddress* parseAndCache(std::string_view host, bool& canonical);
  /// The part of parseNumericCached that reads the caches: false when
  /// `host` is in none of them.
  bool cachedNumeric(std::string_view host, const IpAddress*& ip,
                     bool& canonical);

  // events.
  void emitError(const Error& error);
  /// Emits (or resumes, after a listener threw) a plain event. If a
  /// listener throws, the rest are called on the next turn.
  void emitPlain(Event event, bool resume = false);
  void dispatchDatagram(const std::uint8_t* data, std::size_t size,
                        const Arrival& arrival);
  /// dispatchDatagram's rare cases: a truncated datagram (an 'error';
  /// returns false), a new sender, metadata. Fills the loop's RemoteInfo
  /// but its port, size and TOS.
  DGRAM_NOINLINE bool describeUnusual(const Arrival& arrival);
  void deliverHeld();
  void applyBufferSizes() {
    if (rare_) applyBufferSizeOptions();
  }
  void applyBufferSizeOptions();
  /// Holds a handle reference on the loop exactly while the socket is
  /// open, bound and ref'd (inline: twice in every socket's life).
  void updateHandleRef() {
    bool want = !closed_ && refd_ && bindState_ == BindState::bound;
    if (want == holdsHandleRef_) return;
    holdsHandleRef_ = want;
    if (want)
      loop_.addHandleRef();
    else
      loop_.removeHandleRef();
  }
  /// Closes now (nothing if closed already).
  void closeNow();
  /// closeNow() for an open socket (close()'s usual path, inline there).
  DGRAM_ALWAYS_INLINE void closeOpen();
  /// The deferred step of close(), a DeferredCall function (`context`:
  /// the socket): 'close', then the listeners and callbacks go.
  static void closeStep(void* context, void* unused);
  /// closeStep() for a socket with listeners, rare state or an unfinished
  /// bind (out of line: the usual step keeps no frame).
  DGRAM_NOINLINE static void closeStepWithWork(SocketImpl& socket);
  /// closeStep() for a socket with 'close' listeners: emits 'close'.
  DGRAM_NOINLINE void finishClose();
  /// closeNow's part for the rare state: the abort signal's listener,
  /// lookups, sends waiting for them,
  /// work waiting for 'listening', a connect in progress, held datagrams.
  void cancelRareWork();
  void removeAbortListener() noexcept {
    if (rare_) dropAbortListener();
  }
  void dropAbortListener() noexcept;
  void finishRelease();
  void destroyRequest(OutgoingSend* request);

  // Footprint (issue 11): what every socket needs is inline, in one
  // allocation with the public Socket and the shared_ptr's control block
  // (createSocket uses allocate_shared, from the sockets' pool:
  // socket_memory.hpp); what few sockets use is in Rare,
  // allocated on first use. tests/alloc_steady_state.cpp pins both.
  //
  // self_ and listeners_ are each alone in an anonymous union, so that
  // their destructors do not run on their own: the usual socket ends with
  // both empty, and its destructor tests that with the rest of what it
  // tests instead of each member testing its own (destroyUnusual()
  // destroys the listeners for any other socket). (rare_ and sends_ stay
  // plain: clang targeting Windows leaves a unique_ptr's destructor
  // unresolved when the constructor's unwinding names it in a union.)
  /// The loop's reference, while busy(). Never destroyed: it is empty
  /// whenever the socket is (it holds the socket while set, and nothing
  /// sets it once the last reference went: see takeLoopReferenceHere).
  union {
    std::shared_ptr<Socket> self_{};
  };
  // (The loop, `loop_`, is SocketEvents'.)
  /// The platform socket's home (see platform_socket_space.hpp), or the
  /// PendingBind's before the socket opens, or, for a platform socket too
  /// large for it, that socket's heap pointer (see ioPlace_).
  alignas(kPlatformSocketAlign) unsigned char ioSpace_[kPlatformSocketSpace];

  union {
    EventListeners listeners_{};  ///< of every event, in one list
  };

  // Ordered by size, so that no padding falls between them.
  std::uint32_t tasks_ = 0;  ///< calls deferred by later(), not yet run
  std::uint32_t loopSlot_ = 0;
  // The public enums are int-sized; a byte each holds them here.
  std::uint8_t type_;    ///< a Type
  std::uint8_t family_;  ///< a Family: the type's, or an adopted fd's
  BindState bindState_ = BindState::unbound;
  ConnectState connectState_ = ConnectState::disconnected;
  /// Where the platform socket is: built when the socket opens
  /// (platform()), dropped again if opening or binding fails. No pointer
  /// is kept for one in ioSpace_, only where its PlatformSocket part
  /// starts there (ioOffset_).
  enum class IoPlace : std::uint8_t { none, inSpace, onHeap };
  IoPlace ioPlace_ = IoPlace::none;
  std::uint8_t ioOffset_ = 0;
  // One bit per flag (set in the constructor: C++17 bit-fields take no
  // default member initializers).
  bool released_ : 1;  ///< 'close' ran: listeners are not kept
  bool closed_ : 1;
  bool abandoned_ : 1;
  bool refd_ : 1;
  bool holdsHandleRef_ : 1;
  bool hasPendingQueue_ : 1;
  bool hasPendingBind_ : 1;  ///< a PendingBind is in ioSpace_
  /// Unused: the flags fill their byte, so that the constructor sets it
  /// with one store (a bit left out would be kept: read, masked, written).
  bool spareFlag_ : 1;

  /// State few sockets ever use, allocated by rare() on first use.
  struct Rare {
    LookupFunction lookup;  ///< Node's `lookup` option
    AbortSignal signal;
    std::uint64_t abortListenerId = 0;
    int recvBufferSize = 0;  ///< createSocket's, applied once bound
    int sendBufferSize = 0;
    /// createSocket's options for open(): all off (the defaults) unless
    /// kept here.
    OpenOptions open;
    ConnectCallback connectCallback;  ///< of the connect in progress
    ListenerId connectListenerId = 0;
    std::vector<Pending> pending;  ///< waiting for 'listening'
    /// Sends that wait for a lookup, and any issued after them: they go
    /// out in the order they were issued.
    Fifo<OutgoingSend*> ordered;
    std::vector<LookupId> lookups;  ///< this socket's lookups in flight
    /// Datagrams read in a batch but not delivered because a 'message'
    /// listener threw: delivered first on the next turn.
    struct HeldDatagram {
      std::vector<std::uint8_t> data;
      Arrival arrival;
    };
    Fifo<HeldDatagram> held;
    /// Out of line (socket_impl.cpp): the socket's destructor, which
    /// finds none in most sockets, keeps a small frame.
    DGRAM_NOINLINE ~Rare();
  };
  Rare& rare();
  std::unique_ptr<Rare> rare_;

  /// The send path's pool and completion list, allocated by the first
  /// send (sendState()): a socket that only receives never pays for it,
  /// and one that sends allocates it once, not per datagram.
  struct SendState {
    std::vector<std::unique_ptr<OutgoingSend>> requests;  ///< owns them all
    /// Requests to reuse, and finished ones whose callbacks wait for the
    /// next turn: lists through SendRequest::next, which never allocate.
    OutgoingSend* free = nullptr;
    OutgoingSend* completedHead = nullptr;
    OutgoingSend* completedTail = nullptr;
    std::uint32_t freeCount = 0;  ///< length of the free list
    /// Payload bytes the free list keeps in copies larger than a small
    /// one (bounded: see releaseRequest).
    std::size_t keptLargePayload = 0;
    bool completionScheduled = false;
    /// Out of line, as ~Rare.
    DGRAM_NOINLINE ~SendState();
  };
  SendState& sendState();
  std::unique_ptr<SendState> sends_;
};

template <typename F>
void SocketImpl::later(F fn) {
  if constexpr (fitsDeferredCall<F>()) {
    // The usual step (a lambda that captures `this`): no std::function,
    // the lambda's bytes travel in the call (as std::function keeps such
    // a lambda in place, without allocating).
    deferStep(deferredCallOf(std::move(fn)));
  } else {
    ++tasks_;
    retain();
    // Captures stay small: `this` plus what `fn` holds.
    loop_.defer([this, fn = std::move(fn)]() mutable {
      enter([&] {
        --tasks_;
        fn();
      });
    });
  }
}

template <typename F>
void SocketImpl::runLater(void* context, void* data) {
  auto* socket = static_cast<SocketImpl*>(context);
  F& fn = *std::launder(reinterpret_cast<F*>(&data));
  socket->enter([&] {
    --socket->tasks_;
    fn();
  });
}

template <typename F>
void SocketImpl::enter(F&& fn) {
  // Nothing but the loop's reference can end the socket while `fn` runs
  // (the user's may go, `self_` stays while busy()), so it is not copied
  // for the call: letting go of it afterwards, if nothing is left to do,
  // is the last thing done with the socket.
  Settle settle{*this};
  fn();
}

}  // namespace dgram::detail

namespace dgram {

/// The public Socket and its state machine in one object, so that one
/// allocate_shared allocates both and the control block. Socket's members
/// reach the state machine by a static_cast (Socket::impl()).
class Socket::Impl final : public Socket, public detail::SocketImpl {
 public:
  Impl(const SocketOptions& options, Loop& loop) : SocketImpl(options, loop) {}

  // Inside the library, impl().bind(...) means the state machine's bind,
  // not the public overloads of the same names.
  using SocketImpl::address;
  using SocketImpl::bind;
  using SocketImpl::close;
  using SocketImpl::connect;
  using SocketImpl::disconnect;
  using SocketImpl::kernelFeatures;
  using SocketImpl::loop;
  using SocketImpl::ref;
  using SocketImpl::remoteAddress;
  using SocketImpl::send;
  using SocketImpl::sendBuffer;
  using SocketImpl::sendTo;
  using SocketImpl::setBroadcast;
  using SocketImpl::setMulticastInterface;
  using SocketImpl::setMulticastLoopback;
  using SocketImpl::setMulticastTTL;
  using SocketImpl::setTOS;
  using SocketImpl::setTTL;
  using SocketImpl::type;
  using SocketImpl::unref;
};

}  // namespace dgram

namespace dgram::detail {

inline Socket& SocketImpl::owner() noexcept {
  return static_cast<Socket::Impl&>(*this);
}

// Inline in createSocket, its only caller (through Socket::Impl).
inline SocketImpl::SocketImpl(const SocketOptions& options, Loop& loop)
    : SocketEvents(coreOf(loop)),
      type_(static_cast<std::uint8_t>(options.type)),
      family_(static_cast<std::uint8_t>(
          options.type == Type::udp4 ? Family::IPv4 : Family::IPv6)),
      released_(false),
      closed_(false),
      abandoned_(false),
      refd_(true),
      holdsHandleRef_(false),
      hasPendingQueue_(false),
      hasPendingBind_(false),
      spareFlag_(false) {
  // Only what is set is kept: most sockets have none of these. (The flags
  // are or'ed, not tested one by one: most sockets test them all.)
  bool flags = options.reuseAddr | options.reusePort | options.ipv6Only |
               options.gso | options.gro | options.recvPktInfo |
               options.recvTos;
  if ((options.recvBufferSize | options.sendBufferSize) != 0 || flags ||
      options.lookup || options.signal)
    keepOptions(options);
  loop_.attach(this);
}

// Inline where the socket is destroyed (the shared_ptr's dispose): most
// sockets end released (their close step ran: no unfinished bind, no
// handle reference; a POSIX platform socket went at close()), with
// nothing but their place in the loop's list to give back: no listener,
// no rare state and no send state, so the listeners' destructor (which
// does not run on its own: see self_) would have nothing to do.
inline SocketImpl::~SocketImpl() {
  if (released_ && !abandoned_ && ioPlace_ == IoPlace::none && !rare_ &&
      !sends_ && listeners_.none())
    loop_.detach(this);
  else
    destroyUnusual();
  // Both paths leave rare_ and sends_ empty: said here, so that their own
  // destructors, which run next, test nothing.
  DGRAM_ASSUME(!rare_ && !sends_);
}

// LoopCore's socket list, here where SocketImpl is known: inline in the
// socket's constructor and destructor, its only callers.
inline void LoopCore::attach(SocketImpl* socket) {
  socket->setLoopSlot(static_cast<std::uint32_t>(sockets_.size()));
  sockets_.push_back(socket);
}

inline void LoopCore::detach(SocketImpl* socket) {
  // O(1): the socket knows its slot, and the last socket takes it (the
  // order is of no use: the destructor abandons them all). Closing 10,000
  // sockets used to spend most of its user time finding and erasing.
  // Every socket is in the list from the end of its constructor and
  // leaves it once, by abandon() (after which its destructor does not
  // come here) or by its destructor: its slot is its own.
  std::uint32_t slot = socket->loopSlot();
  SocketImpl* last = sockets_.back();
  sockets_[slot] = last;
  last->setLoopSlot(slot);
  sockets_.pop_back();
}

}  // namespace dgram::detail
