// SocketImpl: lifecycle, bind, connect, close and events. The send path is
// in socket_send.cpp, the receive path in socket_receive.cpp, addresses and
// options in socket_options.cpp.
// Layer: common state machine.
#include "common/socket_impl.hpp"

#include <algorithm>
#include <new>
#include <utility>
#include <variant>

#include "common/errors.hpp"
#include "common/host_cache.hpp"
#include "common/host_text.hpp"
#include "common/loop_core.hpp"
#include "common/raise.hpp"

namespace dgram::detail {
namespace {

// One lambda per alternative, for std::visit over Pending.
template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace

SocketImpl::Rare::~Rare() = default;
SocketImpl::SendState::~SendState() = default;

void SocketImpl::keepOptions(const SocketOptions& options) {
  if (options.recvBufferSize < 0 || options.sendBufferSize < 0)
    detail::throwError(errSocketBadBufferSize());
  Rare& state = rare();
  state.lookup = options.lookup;
  state.signal = options.signal;
  state.recvBufferSize = options.recvBufferSize;
  state.sendBufferSize = options.sendBufferSize;
  state.open = OpenOptions{
      options.reuseAddr, options.reusePort,   options.ipv6Only, options.gso,
      options.gro,       options.recvPktInfo, options.recvTos};
}

void SocketImpl::destroyPlatform() noexcept {
  PlatformSocket* socket = io();
  IoPlace place = ioPlace_;
  ioPlace_ = IoPlace::none;
  if (place == IoPlace::inSpace)
    socket->~PlatformSocket();
  else if (place == IoPlace::onHeap)
    delete socket;
}

void SocketImpl::destroyUnusual() noexcept {
  // Only a socket with nothing to do ends here (or one the loop abandoned,
  // which touches nothing of the loop here): its descriptor, if any, is
  // released with the platform socket, and the loop's count of handles
  // is never left holding it.
  dropPendingBind();
  removeAbortListener();
  if (!abandoned_) {
    loop_.detach(this);
    destroyPlatform();
    if (holdsHandleRef_) loop_.removeHandleRef();
  }
  // The listeners' destructor, which does not run on its own (see self_),
  // in its place: after sends_' and rare_'s, released here for that
  // (self_ is empty).
  sends_.reset();
  rare_.reset();
  listeners_.~EventListeners();
}

void SocketImpl::holdPendingBind(Listener&& callback, ListenerId callbackId,
                                 const IpAddress* ip, std::uint16_t port) {
  // Only an unbound socket binds, and it has no platform socket (a failed
  // open or bind drops it): the space is free.
  new (ioSpace_) PendingBind{std::move(callback), callbackId,
                             ip ? Endpoint{*ip, port} : Endpoint{}};
  hasPendingBind_ = true;
}

SocketImpl::PendingBind SocketImpl::takePendingBind() noexcept {
  if (!hasPendingBind_) return {};
  PendingBind taken = std::move(heldBind());
  destroyPendingBind();
  return taken;
}

void SocketImpl::destroyPendingBind() noexcept {
  hasPendingBind_ = false;
  heldBind().~PendingBind();
}

PlatformSocket& SocketImpl::platform() {
  if (PlatformSocket* existing = io()) return *existing;
  return keepPlatform(loop_.backend().createSocket(
      loop_, *this, PlatformSocketSpace{ioSpace_, sizeof ioSpace_}));
}

PlatformSocket& SocketImpl::keepPlatform(PlatformSocketPtr made) {
  bool inSpace = made.inPlace();
  PlatformSocket* socket = made.release();
  if (inSpace) {
    ioOffset_ = static_cast<std::uint8_t>(
        reinterpret_cast<unsigned char*>(socket) - ioSpace_);
    ioPlace_ = IoPlace::inSpace;
  } else {
    new (ioSpace_) PlatformSocket*(socket);
    ioPlace_ = IoPlace::onHeap;
  }
  return *socket;
}

SysError SocketImpl::buildBound(const Endpoint& local,
                                const OpenOptions* options) {
  // The usual bind: one call to the backend builds, opens, binds and
  // starts receiving.
  static_assert(sizeof ioSpace_ == kPlatformSocketSpace);
  SysError err;
  PlatformSocket* made =
      loop_.backend().createBound(*this, ioSpace_, options, local, err);
  if (!made) return err;
  // Where it was built, its address says. At the start of the space (a
  // POSIX socket: the usual case), its place is two constant bytes;
  // anywhere else, keepBuilt's (out of line).
  if (kBuildForSize || DGRAM_UNLIKELY(static_cast<void*>(made) != ioSpace_)) {
    keepBuilt(made);
    return {};
  }
  ioOffset_ = 0;
  ioPlace_ = IoPlace::inSpace;
  return {};
}

void SocketImpl::keepBuilt(PlatformSocket* made) noexcept {
  // An unsigned difference: one compare for both ends of the space.
  auto offset = reinterpret_cast<std::uintptr_t>(made) -
                reinterpret_cast<std::uintptr_t>(ioSpace_);
  ioOffset_ = static_cast<std::uint8_t>(offset);
  ioPlace_ = IoPlace::inSpace;
  if (offset >= sizeof ioSpace_) {
    new (ioSpace_) PlatformSocket*(made);
    ioPlace_ = IoPlace::onHeap;
  }
}

void SocketImpl::dropPlatform() noexcept {
  destroyPlatform();
}

SocketImpl::Rare& SocketImpl::rare() {
  if (!rare_) rare_ = std::make_unique<Rare>();
  return *rare_;
}

std::weak_ptr<Socket> SocketImpl::token() noexcept {
  // The Socket's own weak reference (enable_shared_from_this): it expires
  // when the last shared_ptr goes, before the socket is destroyed.
  return owner().weak_from_this();
}

void SocketImpl::listenToAbortSignal() {
  if (!rare_->signal) return;
  const AbortSignal& signal = rare_->signal;
  if (signal.aborted()) {
    close({});
    return;
  }
  std::weak_ptr<Socket> alive = token();
  rare_->abortListenerId = signal.addListener([this, alive] {
    if (!alive.expired() && !closed_) close({});
  });
}

void SocketImpl::dropAbortListener() noexcept {
  if (!rare_->abortListenerId) return;
  rare_->signal.removeListener(rare_->abortListenerId);
  rare_->abortListenerId = 0;
}

void SocketImpl::abandon() noexcept {
  // The loop is going away: nothing may be emitted or deferred any more,
  // and nothing of the loop may be touched once this returns (the socket
  // may outlive it; every method then throws, see requireLoop). Releasing
  // what the user gave runs their captures' destructors, which may drop
  // this socket's last handle or other sockets of the loop: the socket
  // lives until the end of this function, and the loop's state is final
  // before any of that code runs.
  std::shared_ptr<Socket> hold = token().lock();
  loop_.detach(this);
  abandoned_ = true;
  closed_ = true;
  removeAbortListener();
  if (rare_) {
    for (LookupId id : rare_->lookups)
      loop_.resolver().cancel(id);
    rare_->lookups.clear();
  }
  // Queued sends are given back unreported (onSendDone), the descriptor
  // is closed.
  dropPlatform();
  if (holdsHandleRef_) {
    holdsHandleRef_ = false;
    loop_.removeHandleRef();
  }
  // As at 'close': every listener and callback goes. Work that waited for
  // the loop is dropped unrun (the loop dropped its deferred calls).
  releaseCallbacks();
  if (rare_) {
    rare_->pending.clear();
    rare_->ordered.clear();
  }
  if (sends_) {
    for (auto& request : sends_->requests)
      request->callback = nullptr;
  }
  self_.reset();
  // `hold` goes last, and the socket with it if nobody else holds it.
}

void SocketImpl::requireLoop() const {
  if (abandoned_) detail::throwError(errSocketNotRunning());
}

Error SocketImpl::refusal(Error error) const {
  return abandoned_ ? errSocketNotRunning() : std::move(error);
}

// --- lifetime ---------------------------------------------------------------

void SocketImpl::takeLoopReference() {
  takeLoopReferenceHere();
}

void SocketImpl::releaseCallbacks() {
  releaseHeld();
}

void SocketImpl::releaseHeld() {
  // Captures (often the socket's own shared_ptr, as in the echo idiom) are
  // freed here; anything added from now on could never be called.
  released_ = true;
  dropPendingBind();  // a bind that never finished: its callback
  listeners_.clear();
  if (rare_) releaseRare();
}

void SocketImpl::releaseRare() {
  rare_->connectCallback = nullptr;
  rare_->lookup = nullptr;
  rare_->held.clear();
}

// --- listeners ------------------------------------------------------------

ListenerId SocketImpl::addMessage(MessageListener fn, bool once) {
  requireLoop();
  ListenerId id = loop_.nextListenerId();
  if (released_) return id;  // after 'close' nothing would call it
  listeners_.add(Event::message, id, std::move(fn), once);
  return id;
}

ListenerId SocketImpl::addPlain(Event event, Listener fn, bool once) {
  requireLoop();
  ListenerId id = loop_.nextListenerId();
  if (released_) return id;
  listeners_.add(event, id, std::move(fn), once);
  return id;
}

ListenerId SocketImpl::addError(ErrorListener fn, bool once) {
  requireLoop();
  ListenerId id = loop_.nextListenerId();
  if (released_) return id;
  listeners_.add(Event::error, id, std::move(fn), once);
  return id;
}

bool SocketImpl::removeListener(ListenerId id) {
  requireLoop();
  return listeners_.remove(id);
}

void SocketImpl::emitPlain(Event event, bool resume) {
  DGRAM_TRY {
    if (resume)
      listeners_.resume(event);
    else
      listeners_.emit(event);
  }
  DGRAM_CATCH(...) {
    // Callbacks are listeners here (bind, connect, close): the ones the
    // exception skipped still run, once, on the next turn.
    if (listeners_.interrupted(event))
      later([this, event] { emitPlain(event, true); });
    DGRAM_RETHROW;
  }
}

void SocketImpl::emitError(const Error& error) {
  if (listeners_.empty(Event::error)) {
    loop_.raiseUnhandled(error);
    return;
  }
  listeners_.emit(Event::error, error);
}

// --- state checks -----------------------------------------------------------

void SocketImpl::throwNotRunning() {
  detail::throwError(errSocketNotRunning());
}

bool SocketImpl::requireBound(const char* syscall, ErrorSink sink) const {
  if (!io() || !io()->isOpen())
    return fail(sink, errnoException(sysErrorFromName("EBADF"), syscall));
  return true;
}

void SocketImpl::ref() {
  requireLoop();
  if (closed_) return;
  refd_ = true;
  updateHandleRef();
}

void SocketImpl::unref() {
  requireLoop();
  if (closed_) return;
  refd_ = false;
  updateHandleRef();
}

// --- names ------------------------------------------------------------------

std::optional<IpAddress> SocketImpl::parseNumeric(std::string_view host) const {
  return numericHost(host, family(), zoneToIndex);
}

void SocketImpl::resolve(const std::string& host, ResolveCallback then) {
  std::weak_ptr<Socket> alive = token();
  ResolveCallback guarded = [this, then = std::move(then)](
                                const std::optional<Error>& error,
                                const IpAddress& ip) {
    if (!closed_) then(error, ip);
  };
  if (!isHostText(host)) {
    // A byte no host name can hold (NUL, control, space): no resolver sees
    // it, so nothing can be truncated into another name.
    Error error = lookupError("ENOTFOUND", host);
    later([guarded, error] { guarded(error, IpAddress{}); });
    return;
  }
  if (!hasCustomLookup()) {
    // Node's dns.lookup, read as host_text.hpp says: an address, the other
    // family's literal (its syscall fails: "send EINVAL ::1:9000"), an
    // error without a lookup, or a name for the resolver.
    LookupRequest request;
    HostReading reading = readHost(host, family(), zoneToIndex, &request.query);
    if (reading.kind == HostKind::address ||
        reading.kind == HostKind::otherFamily) {
      later([guarded, ip = reading.ip] { guarded(std::nullopt, ip); });
      return;
    }
    if (reading.kind == HostKind::refused) {
      Error error = lookupError(reading.code, host);
      later([guarded, error] { guarded(error, IpAddress{}); });
      return;
    }
    request.hostname = host;
    request.family = family();
    request.hostsOnly = reading.kind == HostKind::hostsOnly;
    // Remember the lookup so close() can cancel it; forget it when done.
    auto slot = std::make_shared<LookupId>(0);
    ResolveCallback tracked = [this, alive, slot, guarded](
                                  const std::optional<Error>& error,
                                  const IpAddress& ip) {
      if (alive.expired()) return;
      enter([&] {
        std::vector<LookupId>& lookups = rare().lookups;
        auto it = std::find(lookups.begin(), lookups.end(), *slot);
        if (it != lookups.end()) lookups.erase(it);
        guarded(error, ip);
      });
    };
    *slot = loop_.resolver().resolve(std::move(request), std::move(tracked));
    rare().lookups.push_back(*slot);
    return;
  }
  // A custom lookup (Node's `lookup` option) may answer at once or later;
  // either way the socket continues on a later turn. One that throws
  // fails the call that asked (the exception goes on to its caller): an
  // answer it gave before throwing, or gives later, is ignored.
  auto withdrawn = std::make_shared<bool>(false);
  LookupCallback done = [this, alive, guarded, withdrawn](
                            const std::optional<Error>& error,
                            std::string_view address, Family family) {
    // May be called at any time, even after the socket ended.
    if (*withdrawn || alive.expired() || closed_) return;
    std::optional<Error> failure = error;
    IpAddress ip;
    if (!failure) {
      if (auto parsed = parseIp(address, family, zoneToIndex)) {
        ip = *parsed;
      } else {
        failure = errnoException(sysErrorFromName("EINVAL"), "getaddrinfo");
      }
    }
    later([guarded, failure, ip, withdrawn] {
      if (!*withdrawn) guarded(failure, ip);
    });
  };
  // A copy: the lookup may release the socket's callbacks (close) while
  // it runs.
  LookupFunction lookup = rare_->lookup;
  DGRAM_TRY {
    lookup(host, family(), std::move(done));
  }
  DGRAM_CATCH(...) {
    *withdrawn = true;
    DGRAM_RETHROW;
  }
}

// --- bind -------------------------------------------------------------------

// The one way to become bound, whatever asks for it (bind, bind({fd}), a
// membership on an unbound socket, and connect and a first send through
// bindImplicitly): startBinding() makes the socket 'binding', which makes
// it busy, so the loop holds it from then until it closes (see the top of
// socket_impl.hpp); 'listening' comes on a later turn, through later() or
// a lookup's answer, where startListening() makes it 'bound'. A call that
// throws after startBinding() undoes it with abortBinding().

void SocketImpl::startBinding() {
  bindState_ = BindState::binding;
  retain();
}

void SocketImpl::abortBinding() noexcept {
  takePendingBind();
  bindState_ = BindState::unbound;
  // The reference startBinding() took, unless deferred work still needs
  // it. The caller holds the socket (it was not busy before, so the loop
  // did not hold it): letting go cannot destroy it here.
  if (self_ && !busy()) self_.reset();
}

inline void SocketImpl::takeLoopReferenceHere() {
  // As token().lock(), without the weak reference's copy (two atomic
  // operations): none while the last user reference is going (the
  // socket is being destroyed). self_ is empty (every caller tests it):
  // the reference is built in its place, with no assignment's test of an
  // earlier one to let go (an empty shared_ptr's end has nothing to do).
#if DGRAM_EXCEPTIONS
  try {
    new (&self_) std::shared_ptr<Socket>(owner().shared_from_this());
  } catch (const std::bad_weak_ptr&) {
    // The refused reference was being built in place (libstdc++ writes its
    // control block first): self_ is made empty again.
    new (&self_) std::shared_ptr<Socket>();
  }
#else
  // Without exceptions shared_from_this() would end the process here: the
  // weak reference's copy it saves is worth less than that.
  new (&self_) std::shared_ptr<Socket>(owner().weak_from_this().lock());
#endif
}

inline const IpAddress* SocketImpl::cachedHost(std::string_view host,
                                               bool& hit) {
  // The host cache alone: a bind's address is not a sender's text (which
  // parseNumericCached tries first, for replies).
  LoopCore::DatagramCaches& cache = loop_.datagramCaches();
  hit = sameText(cache.host, host) && cache.hostFamily == family();
  return hit && cache.hostIp ? &*cache.hostIp : nullptr;
}

inline const IpAddress* SocketImpl::cachedShortHost(std::string_view host) {
  LoopCore::DatagramCaches& cache = loop_.datagramCaches();
  return sameShortText(cache.host, host) && cache.hostFamily == family() &&
                 cache.hostIp
             ? &*cache.hostIp
             : nullptr;
}

Socket& SocketImpl::bind(int port, std::string_view address, Listener&& cb,
                         ErrorSink sink) {
  // (The public Socket for Socket::bind to return: its call is the last
  // thing it does.) The refusals are out of line: the usual bind keeps a
  // smaller frame.
  if (closed_ || bindState_ != BindState::unbound ||
      static_cast<unsigned>(port) > 65535)
    return refuseBindCall(port, sink);
  // The usual bind, to no address or to one the loop's host cache holds
  // (programs bind many sockets to one address) whose text is short enough
  // for an inline compare, calls nothing but tail calls; any other (not
  // in the cache, a longer or shorter text, a name, a custom lookup) is
  // bindAddress's, out of line, which compares it again in full. (A build
  // for size has bindAddress alone: see kBuildForSize.)
  if (!kBuildForSize) {
    const IpAddress* known = address.empty() ? anyOfFamily()
                             : hasCustomLookup() || !isShortText(address.size())
                                 ? nullptr
                                 : cachedShortHost(address);
    if (known) return bindKnown(port, *known, std::move(cb));
  }
  return bindAddress(port, address, std::move(cb));
}

Socket& SocketImpl::bindAddress(int port, std::string_view address,
                                Listener&& cb) {
  // No address or a numeric one (the common case) needs no lookup: the
  // target waits in the PendingBind, so the deferred call captures one
  // pointer and allocates nothing. Names and custom lookups go through
  // resolve().
  const IpAddress* known = nullptr;
  if (address.empty()) {
    known = anyOfFamily();
  } else if (!hasCustomLookup()) {
    bool hit = false;
    known = cachedHost(address, hit);
    bool canonical = false;
    if (!hit) known = parseAndCache(address, canonical);
  }
  if (known) return bindKnown(port, *known, std::move(cb));
  // A name to look up: the PendingBind holds the callback alone (and its
  // listener id, as bindKnown's).
  ListenerId callbackId = cb ? loop_.nextListenerId() : 0;
  holdPendingBind(std::move(cb), callbackId, nullptr,
                  static_cast<std::uint16_t>(port));
  bindByName(port, address);
  return owner();
}

const IpAddress* SocketImpl::anyOfFamily() const noexcept {
  // Constants: no address is built on the stack.
  static constexpr IpAddress kAnyIPv4{Family::IPv4};
  static constexpr IpAddress kAnyIPv6{Family::IPv6};
  return family() == Family::IPv4 ? &kAnyIPv4 : &kAnyIPv6;
}

Socket& SocketImpl::bindKnown(int port, const IpAddress& known, Listener&& cb) {
  // The callback takes its listener id now: 'listening' calls it after
  // the listeners added before this bind and before those added after.
  ListenerId callbackId = cb ? loop_.nextListenerId() : 0;
  holdPendingBind(std::move(cb), callbackId, &known,
                  static_cast<std::uint16_t>(port));
  // startBinding() and later() for a socket that is open (healthy()
  // said so), hence busy once binding: the loop's reference is taken
  // unless held already, the step is counted and queued.
  bindState_ = BindState::binding;
  if (!self_) takeLoopReferenceHere();
  ++tasks_;
  loop_.defer(DeferredCall{&bindStep, this, nullptr});
  return owner();
}

Socket& SocketImpl::refuseBindCall(int port, ErrorSink sink) {
  if (!healthy(sink)) return owner();
  if (bindState_ != BindState::unbound)
    return fail(sink, errSocketAlreadyBound()), owner();
  fail(sink, errSocketBadPort(port, true, true));
  return owner();
}

void SocketImpl::bindByName(int port, std::string_view address) {
  startBinding();
  std::string host(address);
  DGRAM_TRY {
    resolve(host,
            [this, port](const std::optional<Error>& error,
                         const IpAddress& ip) { finishBind(error, ip, port); });
  }
  DGRAM_CATCH(...) {
    abortBinding();  // a custom lookup threw: as if bind() never ran
    DGRAM_RETHROW;
  }
}

void SocketImpl::bindImplicitly() {
  bind(0, {}, Listener());
}

SysError SocketImpl::openAndBind(const Endpoint& local, bool receive) {
  if (local.ip.family != family()) return sysErrorFromName("EINVAL");
  static constexpr OpenOptions kDefaults{};
  const OpenOptions& options = rare_ ? rare_->open : kDefaults;
  // A platform socket that failed to open or bind is dropped (closing its
  // descriptor): the space is free for the next bind's PendingBind.
  if (receive && !io())
    return buildBound(local, rare_ ? &rare_->open : nullptr);
  if (!io() || !io()->isOpen()) {
    if (SysError err = platform().open(family(), options)) {
      dropPlatform();
      return err;
    }
  }
  if (SysError err = io()->bind(local)) {
    dropPlatform();
    return err;
  }
  if (receive) io()->startReceiving();
  return {};
}

void SocketImpl::finishBind(const std::optional<Error>& lookupFailure,
                            IpAddress ip, int port) {
  // The space goes to the platform socket (`ip` is a copy, it may have
  // come from there).
  PendingBind pending = takePendingBind();
  std::optional<Error> failure = lookupFailure;
  if (!failure) {
    if (SysError err =
            openAndBind(Endpoint{ip, static_cast<std::uint16_t>(port)}, true))
      failure = bindError(err, ip, port);
  }
  if (failure) return failBind(*failure, pending.callback);
  startListening(std::move(pending.callback), pending.callbackId);
}

void SocketImpl::bindStep(void* context, void*) {
  auto& socket = *static_cast<SocketImpl*>(context);
  --socket.tasks_;
  if (socket.closed_) {
    // Closed before its bind ran: the loop's reference may go now.
    Settle settle{socket};
    return;
  }
  // The usual bind: no 'listening' listener (only, maybe, the bind's
  // callback to call), no rare state (no options, no work waiting for
  // 'listening'). Anything else is bindToTarget's, as is a target of the
  // other family (bind() holds none: its targets are parsed for the
  // socket's family; finishBind would refuse it).
  // (A build for size has bindToTarget alone: see kBuildForSize.)
  PendingBind& held = socket.heldBind();
  if (kBuildForSize || socket.rare_ ||
      held.target.ip.family != socket.family() ||
      !(socket.listeners_.none() || socket.listeners_.empty(Event::listening)))
    return socket.bindToTarget();
  // finishBind and listen() for that bind, in this one frame. Only the
  // callback is taken out (see takeHeldCallback).
  Listener callback = socket.takeHeldCallback(held);
  if (SysError err = socket.buildBound(held.target, nullptr))
    return socket.refuseBind(err, callback);
  // Bound, the socket is busy until it closes (and a close defers a step
  // of its own): the loop keeps its reference, nothing to settle here. A
  // failed bind settles in refuseBind. No 'listening' listener, no
  // buffer sizes to apply (no rare state): listen() without its list.
  socket.becomeBound();
  socket.listenAlone(callback);
}

void SocketImpl::bindToTarget() {
  // finishBind for a target known when bind() was called, which waits in
  // the PendingBind: nothing looked up. An unbound socket has no platform
  // socket, so the backend builds it, bound, in the PendingBind's space.
  // Only the callback is taken out (see takeHeldCallback).
  PendingBind& held = heldBind();
  ListenerId callbackId = held.callbackId;
  Listener callback = takeHeldCallback(held);
  const Endpoint& target = held.target;
  SysError err = target.ip.family != family()
                     ? sysErrorFromName("EINVAL")
                     : buildBound(target, rare_ ? &rare_->open : nullptr);
  if (err) return refuseBind(err, callback);
  listen(std::move(callback), callbackId);
}

void SocketImpl::refuseBind(SysError err, Listener& callback) {
  // Unbound again: the loop's reference may go afterwards (bindStep's
  // settling, done here). The PendingBind is still there (see
  // bindToTarget), its callback taken.
  Settle settle{*this};
  Endpoint target = heldBind().target;
  destroyPendingBind();
  failBind(bindError(err, target.ip, target.port), callback);
}

Error SocketImpl::bindError(SysError err, const IpAddress& ip, int port) const {
  return exceptionWithHostPort(err, "bind", toIpString(ip, indexToZone).str(),
                               port);
}

void SocketImpl::failBind(const Error& failure, Listener& callback) {
  bindState_ = BindState::unbound;
  callback = nullptr;  // an error removes the bind callback
  DGRAM_TRY {
    emitError(failure);
  }
  DGRAM_CATCH(...) {
    cancelPending();  // their callbacks still run, once
    DGRAM_RETHROW;
  }
  cancelPending();
}

void SocketImpl::bindFd(std::intptr_t fd, Listener cb, ErrorSink sink) {
  if (!healthy(sink)) return;
  if (bindState_ != BindState::unbound)
    return void(fail(sink, errSocketAlreadyBound()));
  Family adopted = family();
  const char* otherType = nullptr;
  SysError err = platform().adopt(fd, adopted, otherType);
  if (err || otherType) {
    dropPlatform();  // adopted nothing: the space stays free for a bind
    if (err) return void(fail(sink, errnoException(err, "open")));
    return void(fail(sink, errInvalidFdType(otherType)));
  }
  family_ = static_cast<std::uint8_t>(adopted);
  startBinding();
  // The platform socket has the space: the callback is a listener now.
  if (cb) addPlain(Event::listening, std::move(cb), true);
  later([this] {
    if (closed_) return;
    io()->startReceiving();
    startListening();
  });
}

void SocketImpl::startListening(Listener&& callback, ListenerId callbackId) {
  listen(std::move(callback), callbackId);
}

Listener SocketImpl::takeHeldCallback(PendingBind& held) {
  // The backend reads the target where it waits, before it builds
  // anything there (which ends the PendingBind, whose callback is empty
  // by then: nothing to destroy), and leaves the space as it was if it
  // fails.
  // Swapped out, not moved: a swap leaves the PendingBind's callback
  // empty whatever the library (libc++ copies a small std::function's
  // target on a move, so a moved-from one may still hold it, often the
  // socket's own shared_ptr, which would then never be released), and it
  // copies the callback without first testing whether there is one.
  Listener callback;
  callback.swap(held.callback);
  hasPendingBind_ = false;
  return callback;
}

void SocketImpl::becomeBound() {
  // (The platform socket receives already: openAndBind, bindFd.)
  bindState_ = BindState::bound;
  // updateHandleRef() for a socket that becomes bound: it is open (every
  // caller checked) and holds no handle reference (none is held while it
  // binds), so it takes one if ref'd.
  if (!refd_) return;
  holdsHandleRef_ = true;
  loop_.addHandleRef();
}

void SocketImpl::listenAlone(Listener& callback) {
  // The bind callback, if any, is called as the list would call it,
  // without joining the list (a once listener; one that throws leaves
  // nothing to resume). It is the caller's (the PendingBind it took), so
  // it stays while it runs whatever it does to the socket; it goes once
  // it has run. (Without a callback, 'listening' has no listener to call.)
  if (callback) {
    DGRAM_TRY {
      callback();
    }
    DGRAM_CATCH(...) {
      listeningInterrupted(true);
      DGRAM_RETHROW;
    }
  }
  // It goes before the work that waited for 'listening' runs. Without
  // such work (no rare state), with its caller's frame, which ends on
  // return (every caller returns at once: nothing runs in between), and
  // is not emptied first for a destructor to test once more.
  if (rare_) {
    callback = nullptr;
    runPendingWork();
  }
}

void SocketImpl::listen(Listener&& callback, ListenerId callbackId) {
  becomeBound();
  DGRAM_TRY {
    applyBufferSizes();
  }
  DGRAM_CATCH(...) {
    // The bind callback waits with the listeners for the next turn.
    if (callback)
      listeners_.insert(Event::listening, callbackId, std::move(callback),
                        true);
    listeningInterrupted(false);
    DGRAM_RETHROW;
  }
  if (closed_) return;
  // The usual case, no 'listening' listener: the bind callback alone,
  // as bindStep calls it.
  if (listeners_.empty(Event::listening)) return listenAlone(callback);
  DGRAM_TRY {
    if (callback)
      listeners_.insert(Event::listening, callbackId, std::move(callback),
                        true);
    emitPlain(Event::listening);
  }
  DGRAM_CATCH(...) {
    listeningInterrupted(true);
    DGRAM_RETHROW;
  }
  runPending();
}

void SocketImpl::listeningInterrupted(bool emitted) {
  // A listener threw: what 'listening' starts still happens, next turn
  // (after the listening listeners the exception skipped).
  later([this, emitted] {
    if (closed_ || bindState_ != BindState::bound) return;
    if (!emitted) emitPlain(Event::listening);
    runPending();
  });
}

void SocketImpl::applyBufferSizeOptions() {
  // Sizes from createSocket's options apply once there is a socket.
  for (auto [kind, size] :
       {std::pair{BufferKind::receive, rare_->recvBufferSize},
        std::pair{BufferKind::send, rare_->sendBufferSize}}) {
    if (size <= 0) continue;
    if (SysError err = io()->bufferSize(kind, size))
      emitError(errSocketBufferSize(err, kind == BufferKind::receive));
  }
}

void SocketImpl::runPendingWork() {
  std::vector<Pending> work = std::move(rare_->pending);
  rare_->pending.clear();
  bool queued = hasPendingQueue_;
  hasPendingQueue_ = false;
  for (std::size_t i = 0; i < work.size(); ++i) {
    Pending& item = work[i];
    if (closed_ || bindState_ != BindState::bound) {
      // Closed by an earlier item (or a listener): cancel the rest.
      keepPending(work, i, queued);
      cancelPending();
      return;
    }
    DGRAM_TRY {
      std::visit(Overloaded{
                     [&](PendingSend& send) {
                       startSend(send.request, send.request->address, true);
                     },
                     [&](PendingConnect& connect) {
                       startConnect(connect.port, std::move(connect.address),
                                    std::move(connect.callback), true);
                     },
                     [&](PendingMembership& membership) {
                       applyQueuedMembership(membership);
                     },
                     [&](PendingClose&) { closeNow(); },
                 },
                 item);
    }
    DGRAM_CATCH(...) {
      // A custom lookup threw (its exception leaves the loop): the items
      // after it run on the next turn, ahead of any queued since.
      keepPending(work, i + 1, queued);
      later([this] {
        if (!closed_ && bindState_ == BindState::bound) runPending();
      });
      DGRAM_RETHROW;
    }
  }
}

void SocketImpl::keepPending(std::vector<Pending>& work, std::size_t from,
                             bool queued) {
  if (from >= work.size()) return;
  std::vector<Pending>& pending = rare().pending;
  pending.insert(pending.begin(), std::make_move_iterator(work.begin() + from),
                 std::make_move_iterator(work.end()));
  if (queued) hasPendingQueue_ = true;
}

void SocketImpl::cancelPending() {
  if (!rare_) return;
  std::vector<Pending> work = std::move(rare_->pending);
  rare_->pending.clear();
  hasPendingQueue_ = false;
  bool closeRequested = false;
  for (Pending& item : work) {
    std::visit(Overloaded{
                   [&](PendingSend& send) { cancelSend(send.request); },
                   [&](PendingConnect& connect) {
                     connectState_ = ConnectState::disconnected;
                     if (connect.callback)
                       cancelConnect(std::move(connect.callback));
                   },
                   // Nothing to report: the bind's own 'error' says it.
                   [&](PendingMembership&) {},
                   [&](PendingClose&) { closeRequested = true; },
               },
               item);
  }
  // A close that waited behind a failed bind still closes.
  if (closeRequested && !closed_) closeNow();
}

// --- connect ----------------------------------------------------------------

void SocketImpl::connect(int port, std::string_view address, ConnectCallback cb,
                         ErrorSink sink) {
  if (!healthy(sink)) return;
  if (port < 1 || port > 65535)
    return void(fail(sink, errSocketBadPort(port, true, false)));
  if (connectState_ != ConnectState::disconnected)
    return void(fail(sink, errSocketIsConnected()));
  connectState_ = ConnectState::connecting;
  if (bindState_ == BindState::unbound) bindImplicitly();
  if (bindState_ != BindState::bound) {
    rare().pending.emplace_back(
        PendingConnect{port, std::string(address), std::move(cb)});
    hasPendingQueue_ = true;
    return;
  }
  startConnect(port, std::string(address), std::move(cb), false);
}

void SocketImpl::startConnect(int port, std::string address, ConnectCallback cb,
                              bool queued) {
  if (cb) {
    rare().connectCallback = cb;
    rare_->connectListenerId = addPlain(
        Event::connect, [cb] { cb(std::nullopt); }, true);
  }
  auto then = [this, port, address](const std::optional<Error>& error,
                                    const IpAddress& ip) {
    finishConnect(error, ip, port, address);
  };
  if (address.empty()) {
    IpAddress loopback = loopbackAddress(family());
    later([this, then, loopback] {
      if (!closed_) then(std::nullopt, loopback);
    });
    return;
  }
  DGRAM_TRY {
    resolve(address, then);
  }
  DGRAM_CATCH(...) {
    // A custom lookup threw: the socket is disconnected again. Called
    // from connect(), which throws, the callback is never called; queued
    // behind the bind (connect() returned), it gets ECANCELED, once.
    withdrawConnect(queued);
    DGRAM_RETHROW;
  }
}

void SocketImpl::withdrawConnect(bool queued) {
  connectState_ = ConnectState::disconnected;
  Rare& state = rare();
  if (state.connectListenerId) listeners_.remove(state.connectListenerId);
  state.connectListenerId = 0;
  ConnectCallback cb = std::move(state.connectCallback);
  state.connectCallback = nullptr;
  if (queued && cb) cancelConnect(std::move(cb));
}

void SocketImpl::finishConnect(const std::optional<Error>& lookupFailure,
                               const IpAddress& ip, int port,
                               const std::string& address) {
  std::optional<Error> failure = lookupFailure;
  if (!failure) {
    SysError err =
        ip.family != family()
            ? sysErrorFromName("EINVAL")
            : io()->connect(Endpoint{ip, static_cast<std::uint16_t>(port)});
    if (err) failure = exceptionWithHostPort(err, "connect", address, port);
  }
  Rare& state = rare();
  ConnectCallback cb = std::move(state.connectCallback);
  state.connectCallback = nullptr;
  ListenerId listenerId = state.connectListenerId;
  state.connectListenerId = 0;
  if (failure) {
    connectState_ = ConnectState::disconnected;
    if (listenerId) listeners_.remove(listenerId);
    if (cb)
      cb(failure);
    else
      emitError(*failure);
    return;
  }
  connectState_ = ConnectState::connected;
  emitPlain(Event::connect);
}

void SocketImpl::cancelConnect(ConnectCallback cb) {
  Error error = errnoException(sysErrorFromName("ECANCELED"), "connect");
  loop_.defer([cb = std::move(cb), error] { cb(error); });
}

void SocketImpl::disconnect(ErrorSink sink) {
  if (!healthy(sink)) return;
  if (connectState_ != ConnectState::connected)
    return void(fail(sink, errSocketNotConnected()));
  if (SysError err = io()->disconnect())
    return void(fail(sink, errnoException(err, "connect")));
  connectState_ = ConnectState::disconnected;
}

// --- close ------------------------------------------------------------------

void SocketImpl::close(Listener cb, ErrorSink sink) {
  if (!healthy(sink)) return;
  if (cb) addPlain(Event::close, std::move(cb), false);
  if (hasPendingQueue_) {
    // Node closes only after the sends queued behind the bind went out.
    rare().pending.emplace_back(PendingClose{});
    return;
  }
  closeNow();
}

Socket& SocketImpl::close() {
  healthCheck();
  if (hasPendingQueue_)
    rare().pending.emplace_back(PendingClose{});
  else
    closeOpen();
  return owner();
}

void SocketImpl::closeNow() {
  if (!closed_) closeOpen();
}

void SocketImpl::closeOpen() {
  closed_ = true;
  // Closing stops receiving too (no separate interest change first);
  // queued sends complete with ECANCELED. A platform socket in ioSpace_
  // that leaves its destructor nothing to do (a POSIX one) is not
  // destroyed: its storage goes with the socket's, and the socket's
  // destructor makes no virtual call. (Its calls in progress, if a
  // listener closed the socket, still find it: nothing reuses ioSpace_
  // once closed.)
  if (ioPlace_ == IoPlace::inSpace) {
    if (io()->close()) ioPlace_ = IoPlace::none;
  } else if (PlatformSocket* socket = io()) {
    socket->close();
  }
  // The abort signal's listener, lookups, waiting work: after the
  // platform's close, which runs no user code and hears no signal.
  if (rare_) cancelRareWork();
  // updateHandleRef() for a closed socket: it holds none.
  if (holdsHandleRef_) {
    holdsHandleRef_ = false;
    loop_.removeHandleRef();
  }
  // later(finishClose), in the step's own function.
  deferStepInline(DeferredCall{&closeStep, this, nullptr});
}

void SocketImpl::cancelRareWork() {
  dropAbortListener();
  // Lookups in flight stop keeping the loop alive; the sends waiting for
  // them (and those queued behind them) are cancelled.
  for (LookupId id : rare_->lookups)
    loop_.resolver().cancel(id);
  rare_->lookups.clear();
  Fifo<OutgoingSend*> ordered = std::move(rare_->ordered);
  rare_->ordered.clear();
  for (OutgoingSend* request : ordered)
    cancelSend(request);
  cancelPending();
  if (rare_->connectCallback) {
    if (rare_->connectListenerId) listeners_.remove(rare_->connectListenerId);
    rare_->connectListenerId = 0;
    ConnectCallback cb = std::move(rare_->connectCallback);
    rare_->connectCallback = nullptr;
    cancelConnect(std::move(cb));
  }
  rare_->held.clear();
}

void SocketImpl::closeStep(void* context, void*) {
  auto& socket = *static_cast<SocketImpl*>(context);
  // Listeners or rare state: one test of the two words, or-ed.
  if ((socket.listeners_.anyWord() |
       reinterpret_cast<std::uintptr_t>(socket.rare_.get())) != 0 ||
      socket.hasPendingBind_)
    return closeStepWithWork(socket);
  // The usual socket by now (its bind callback went once called): no
  // listener, no rare state, no bind that never finished, so nothing to
  // emit or release. Settle's test, for a closed socket (the loop runs no
  // step of an abandoned one): busy while work it deferred waits.
  socket.released_ = true;
  if (--socket.tasks_ == 0) {
    std::shared_ptr<Socket> last = std::move(socket.self_);
  }
}

void SocketImpl::closeStepWithWork(SocketImpl& socket) {
  Settle settle{socket};
  --socket.tasks_;
  // Most sockets have no 'close' listener: nothing to emit.
  if (!socket.listeners_.empty(Event::close)) return socket.finishClose();
  socket.releaseHeld();
  // Nothing left to do: the loop's reference goes as this call returns
  // (`settle`), and the socket with it if the user dropped theirs.
}

void SocketImpl::finishClose() {
  DGRAM_TRY {
    emitPlain(Event::close);
  }
  DGRAM_CATCH(...) {
    // The skipped 'close' listeners run next turn, then all are released.
    later([this] { finishRelease(); });
    DGRAM_RETHROW;
  }
  releaseHeld();
}

void SocketImpl::finishRelease() {
  if (listeners_.interrupted(Event::close)) {
    later([this] { finishRelease(); });  // behind the resumed listeners
    return;
  }
  releaseCallbacks();
}

}  // namespace dgram::detail
