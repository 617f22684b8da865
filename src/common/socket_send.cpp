// The send path: what runs once per datagram sent, so nothing here
// allocates in the steady state (requests are pooled, the completion queue
// keeps its capacity, deferred calls capture one pointer). The receive
// path is in socket_receive.cpp.
// Layer: common state machine.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "common/errors.hpp"
#include "common/host_cache.hpp"
#include "common/loop_core.hpp"
#include "common/raise.hpp"
#include "common/socket_impl.hpp"

namespace dgram::detail {
namespace {

// What a released request may keep for the next send: the steady state
// reuses it without allocating, and a burst of large queued sends does not
// leave its copies allocated afterwards (memory returns to its baseline).
// A copy of up to kKeptPayload bytes is always kept; larger ones while the
// free list holds at most kKeptLargePayload bytes of them, enough for a
// steady stream of datagrams up to 64 KiB (each release is followed by the
// next send's acquire) without growing a socket by more than that.
constexpr std::size_t kKeptPayload = 2048;
constexpr std::size_t kKeptLargePayload = 128 * 1024;
constexpr std::size_t kKeptParts = 16;
constexpr std::size_t kKeptRequests = 64;

}  // namespace

void SendRequest::copyPayload() {
  storage.resize(size);
  std::size_t offset = 0;
  const ByteView* each = parts();
  for (std::size_t i = 0, count = partCount(); i < count; ++i) {
    if (each[i].size())
      std::memcpy(storage.data() + offset, each[i].data(), each[i].size());
    offset += each[i].size();
  }
  pieces.clear();
  payload = ByteView(storage.data(), size);
  owned = true;
}

namespace {

OutgoingSend* nextOf(const OutgoingSend* request) noexcept {
  return static_cast<OutgoingSend*>(request->next);
}

// SendFrom's address for a socket of `family` (empty: the any-address,
// for an interface alone). On a udp6 socket an IPv4 address means its
// IPv4-mapped form, the way its IPv4 traffic is addressed.
std::optional<IpAddress> sourceAddress(std::string_view text, Family family) {
  if (text.empty()) return anyAddress(family);
  if (auto ip = parseIp(text, family, zoneToIndex)) return ip;
  if (family == Family::IPv6) {
    if (auto ipv4 = parseIp(text, Family::IPv4, zoneToIndex))
      return mapToIPv6(*ipv4);
  }
  return std::nullopt;
}

}  // namespace

SocketImpl::SendState& SocketImpl::sendState() {
  if (!sends_) sends_ = std::make_unique<SendState>();
  return *sends_;
}

inline OutgoingSend* SocketImpl::acquireRequest() {
  SendState* state = sends_.get();
  OutgoingSend* request = state ? state->free : nullptr;
  if (!request) return newRequest();
  state->free = nextOf(request);
  --state->freeCount;
  if (request->storage.capacity() > kKeptPayload)
    state->keptLargePayload -= request->storage.capacity();
  request->next = nullptr;
  loop_.addRequest();
  return request;
}

OutgoingSend* SocketImpl::newRequest() {
  SendState& state = sendState();
  state.requests.push_back(std::make_unique<OutgoingSend>());
  OutgoingSend* request = state.requests.back().get();
  request->poolIndex = state.requests.size() - 1;
  loop_.addRequest();
  return request;
}

inline OutgoingSend* SocketImpl::makeSend(const ByteView* parts,
                                          std::size_t count, int port,
                                          SendCallback& cb,
                                          std::vector<std::uint8_t>* buffer) {
  OutgoingSend* request = acquireRequest();
  if (count == 1) {
    request->payload = *parts;
    request->size = parts->size();
    if (buffer) {
      // Handed over (`parts` views it): the request keeps it as its copy,
      // and the caller gets the request's earlier one, emptied.
      request->storage.swap(*buffer);
      buffer->clear();
      request->payload = ByteView(request->storage.data(), request->size);
      request->owned = true;
    }
  } else if (count == 0) {
    request->payload = ByteView();  // an empty datagram
    request->size = 0;
  } else {
    request->pieces.assign(parts, parts + count);
    request->size = 0;
    for (std::size_t i = 0; i < count; ++i)
      request->size += parts[i].size();
  }
  if (cb) takeCallback(request, cb);
  request->toPeer = connectState_ == ConnectState::connected;
  request->port = request->toPeer ? 0 : port;
  return request;
}

inline void SocketImpl::recycleSent(OutgoingSend* request) {
  // releaseRequest() for a request that went out with nothing to report
  // (no callback left, no error), one datagram in one kept piece, whose
  // copy the free list keeps: only what such a send sets is reset. Every
  // caller has seen that it has neither an error nor a result (the
  // kernel took it), and a request that went out waits for no lookup
  // (sendInOrder clears `resolved` before sending): those three are as
  // releaseRequest leaves them.
  // A request joinSteady() queued is known to be such a one already.
  SendState& state = *sends_;  // made with the request
  if ((!request->joined &&
       (request->hasSource || request->pieces.capacity() != 0 ||
        request->storage.capacity() > kKeptPayload)) ||
      state.freeCount >= kKeptRequests) {
    releaseRequest(request);
    return;
  }
  request->joined = false;
  request->owned = false;
  request->hasDestination = false;
  request->addressIsDestination = false;
  if (!request->address.empty()) request->address.clear();
  loop_.removeRequest();
  request->next = state.free;
  state.free = request;
  ++state.freeCount;
}

inline void SocketImpl::takeCallback(OutgoingSend* request, SendCallback& cb) {
  // A released request has none, so the callback is moved in by
  // construction (a move-assignment or a swap would build a temporary
  // or exchange both): it stays there until its completion calls it.
  // The empty one is built over without its destructor, which would do
  // nothing (and be a call: the usual send makes none but the copy).
  new (&request->callback) SendCallback(std::move(cb));
}

inline void SocketImpl::recycleCalled(OutgoingSend* request) {
  // Destroyed here rather than by a later reuse: its captures (often the
  // socket's own shared_ptr) go when it has run, as Node lets them go.
  request->callback = nullptr;
  recycleSent(request);
}

void SocketImpl::releaseRequest(OutgoingSend* request) {
  request->callback = nullptr;
  request->joined = false;
  request->error.reset();
  request->result = {};
  request->pieces.clear();
  request->owned = false;
  request->hasDestination = false;
  request->hasSource = false;
  request->resolved = false;
  request->addressIsDestination = false;
  request->address.clear();
  loop_.removeRequest();
  SendState& state = *sends_;  // made with the request
  if (state.freeCount >= kKeptRequests) {
    destroyRequest(request);
    return;
  }
  std::size_t copy = request->storage.capacity();
  if (copy > kKeptPayload) {
    if (state.keptLargePayload + copy <= kKeptLargePayload)
      state.keptLargePayload += copy;
    else
      std::vector<std::uint8_t>().swap(request->storage);
  }
  if (request->pieces.capacity() > kKeptParts)
    std::vector<ByteView>().swap(request->pieces);
  request->next = state.free;
  state.free = request;
  ++state.freeCount;
}

void SocketImpl::destroyRequest(OutgoingSend* request) {
  // O(1): the last request takes its slot.
  std::vector<std::unique_ptr<OutgoingSend>>& requests = sends_->requests;
  std::size_t index = request->poolIndex;
  std::swap(requests[index], requests.back());
  requests[index]->poolIndex = index;
  requests.pop_back();
}

inline bool SocketImpl::cachedNumeric(std::string_view host,
                                      const IpAddress*& ip, bool& canonical) {
  LoopCore::DatagramCaches& cache = loop_.datagramCaches();
  // A reply from a 'message' listener (`send(msg, rinfo.port,
  // rinfo.address)`) names the sender by the cache's own text, which was
  // formatted from `cache.sender`: no need to read it. (A zone would have
  // to be looked up again, as parsing does: not taken here.)
  const IpString& senderText = cache.remote.address;
  if (host.data() == senderText.c_str() && host.size() == senderText.size() &&
      cache.sender.family == family() && cache.sender.scopeId == 0) {
    canonical = true;
    ip = &cache.sender;
    return true;
  }
  // Most programs send to the same few addresses: the last one parsed is
  // remembered (a string compare costs far less than parsing again).
  if (sameText(cache.host, host) && cache.hostFamily == family()) {
    canonical = cache.hostCanonical;
    ip = cache.hostIp ? &*cache.hostIp : nullptr;
    return true;
  }
  return false;
}

inline const IpAddress* SocketImpl::cachedDestination(std::string_view address,
                                                      bool& canonical) {
  if (connectState_ != ConnectState::disconnected ||
      bindState_ != BindState::bound ||
      (rare_ && (!rare_->ordered.empty() || rare_->lookup)))
    return nullptr;
  const IpAddress* ip = nullptr;
  return cachedNumeric(address, ip, canonical) ? ip : nullptr;
}

inline bool SocketImpl::sendCached(const ByteView* parts, std::size_t count,
                                   int port, std::string_view address,
                                   SendCallback& cb,
                                   std::vector<std::uint8_t>* buffer) {
  bool canonical = false;
  const IpAddress* ip = cachedDestination(address, canonical);
  if (!ip) return false;
  OutgoingSend* request = makeSend(parts, count, port, cb, buffer);
  if (!canonical) request->address.assign(address.data(), address.size());
  sendRequestTo(request, *ip, static_cast<std::uint16_t>(port), canonical);
  return true;
}

inline void SocketImpl::sendRequestTo(OutgoingSend* request,
                                      const IpAddress& ip, std::uint16_t port,
                                      bool canonical) {
  request->destination.ip = ip;
  request->destination.port = port;
  request->hasDestination = true;
  request->addressIsDestination = canonical;
  // The usual send of a busy turn joins the queue the platform keeps open
  // (no source is chosen here): no virtual call.
  PlatformSocket* platform = io();
  if (platform->sendQueue().joinIfOpen(*request)) return;
  SysError error;
  if (platform->send(*request, error)) {
    request->result = error;
    complete(request);
  }
}

inline const IpAddress* SocketImpl::steadyDestination(
    int port, std::string_view address) {
  if (port < 1 || port > 65535 || closed_) return nullptr;
  bool canonical = false;
  const IpAddress* ip = cachedDestination(address, canonical);
  // A request keeps the caller's text where it is not the canonical one
  // (for the errors that name it): not this path's.
  return canonical ? ip : nullptr;
}

DGRAM_NOINLINE void SocketImpl::sendWithoutCallback(ByteView msg, int port,
                                                    std::string_view address) {
  sendTo(msg, port, address, SendCallback());
}

void SocketImpl::sendLater(const ByteView& payload, const IpAddress& ip,
                           std::uint16_t port) {
  SendCallback none;
  sendRequestTo(makeSend(&payload, 1, port, none), ip, port, true);
}

inline void SocketImpl::sendTo(const ByteView& msg, int port,
                               std::string_view address, SendCallback&& cb) {
  // None of send()'s checks can fail here (not connected, a valid port,
  // open), so the steady state goes first.
  if (const IpAddress* ip = steadyDestination(port, address)) {
    sendSteady(msg, *ip, static_cast<std::uint16_t>(port), cb);
    return;
  }
  if (port >= 1 && port <= 65535 && !closed_ &&
      sendCached(&msg, 1, port, address, cb))
    return;
  send(&msg, 1, true, port, address, std::move(cb));
}

inline void SocketImpl::sendSteady(const ByteView& msg, const IpAddress& ip,
                                   std::uint16_t port, SendCallback& cb) {
  // makeSend() and sendRequestTo() for what steadyDestination() found: one
  // piece, an unconnected socket, a destination whose text is its own.
  OutgoingSend* request = acquireRequest();
  request->payload = msg;
  request->size = msg.size();
  takeCallback(request, cb);
  request->toPeer = false;
  request->port = port;
  sendRequestTo(request, ip, port, true);
}

DGRAM_ALWAYS_INLINE bool SocketImpl::joinSteady(const ByteView& msg,
                                                const IpAddress& ip,
                                                std::uint16_t port,
                                                SendCallback& cb) {
  // acquireRequest(), sendSteady() and SendQueue::push() for the send of a
  // busy turn, with their choices made: its only call is the copy, made
  // last, so that the usual send needs no stack frame of its own.
  SendState* state = sends_.get();
  OutgoingSend* request = state ? state->free : nullptr;
  const std::size_t size = msg.size();
  if (!request || request->storage.size() != size || size == 0 ||
      request->storage.capacity() > kKeptPayload)
    return false;
  SendQueue& queue = io()->sendQueue();
  if (!queue.isOpen()) return false;
  state->free = nextOf(request);
  --state->freeCount;
  loop_.addRequest();
  std::uint8_t* copy = request->storage.data();
  request->payload = ByteView(copy, size);
  request->size = size;
  request->owned = true;
  takeCallback(request, cb);
  request->toPeer = false;
  request->port = port;
  request->destination.ip = ip;
  request->destination.port = port;
  request->hasDestination = true;
  request->addressIsDestination = true;
  request->joined = true;
  queue.joinOpen(*request);
  std::memcpy(copy, msg.data(), size);
  return true;
}

DGRAM_NOINLINE void SocketImpl::sendToOther(ByteView msg, int port,
                                            std::string_view address,
                                            SendCallback& cb) {
  sendTo(msg, port, address, std::move(cb));
}

void SocketImpl::send(const ByteView* parts, std::size_t count, bool hasPort,
                      int port, std::string_view address, SendCallback&& cb,
                      const SendFrom* from, std::vector<std::uint8_t>* buffer,
                      ErrorSink sink) {
  // The checks and their order are Node's: connection state, port, health.
  // (A socket whose loop is gone refuses even these: see refusal.)
  if (connectState_ == ConnectState::connected) {
    if (hasPort || !address.empty())
      return void(fail(sink, refusal(errSocketIsConnected())));
  } else if (!hasPort || port < 1 || port > 65535) {
    return void(fail(sink, refusal(errSocketBadPort(port, hasPort, false))));
  }
  if (!healthy(sink)) return;
  if (from || bindState_ != BindState::bound) {
    sendUnusual(parts, count, port, address, cb, from, buffer, sink);
    return;
  }
  // The steady state, in one piece: a numeric address used just before
  // (or the sender a listener was given), nothing waiting ahead.
  if (sendCached(parts, count, port, address, cb, buffer)) return;
  startSend(makeSend(parts, count, port, cb, buffer), address, false);
}

void SocketImpl::sendBuffer(std::vector<std::uint8_t>& buffer, bool hasPort,
                            int port, std::string_view address,
                            SendCallback&& cb) {
  ByteView view(buffer.data(), buffer.size());
  // As sendTo: the steady state first, when none of the checks can fail.
  if (hasPort && port >= 1 && port <= 65535 && !closed_ &&
      sendCached(&view, 1, port, address, cb, &buffer))
    return;
  send(&view, 1, hasPort, port, address, std::move(cb), nullptr, &buffer);
}

void SocketImpl::sendUnusual(const ByteView* parts, std::size_t count, int port,
                             std::string_view address, SendCallback& cb,
                             const SendFrom* from,
                             std::vector<std::uint8_t>* buffer,
                             ErrorSink sink) {
  // Beyond Node, so checked last, before anything changes.
  std::optional<IpAddress> source;
  bool hasSource = from && (!from->address.empty() || from->interfaceIndex);
  if (hasSource) {
    source = sourceAddress(from->address, family());
    if (!source)
      return void(
          fail(sink, errInvalidArgValue("from.address", from->address)));
  }
  if (bindState_ == BindState::unbound) bindImplicitly();

  OutgoingSend* request = makeSend(parts, count, port, cb, buffer);
  if (hasSource) {
    request->hasSource = true;
    request->source = *source;
    // An interface named, else the zone of a link-local source, else none.
    request->sourceInterface =
        from->interfaceIndex ? from->interfaceIndex : source->scopeId;
  }
  if (bindState_ != BindState::bound) {
    // Sent after 'listening'; the caller may reuse its buffer right away.
    request->address.assign(address.data(), address.size());
    request->own();
    rare().pending.emplace_back(PendingSend{request});
    hasPendingQueue_ = true;
    return;
  }
  startSend(request, address, false);
}

const IpAddress* SocketImpl::parseNumericCached(std::string_view host,
                                                bool& canonical) {
  const IpAddress* known = nullptr;
  if (cachedNumeric(host, known, canonical)) return known;
  return parseAndCache(host, canonical);
}

// Out of line: a hit in the cache (the usual call) saves no registers for
// the parse.
DGRAM_NOINLINE const IpAddress* SocketImpl::parseAndCache(std::string_view host,
                                                          bool& canonical) {
  LoopCore::DatagramCaches& cache = loop_.datagramCaches();
  std::optional<IpAddress> ip = parseNumeric(host);
  canonical = ip && ip->scopeId == 0 && toIpString(*ip, indexToZone) == host;
  cache.host = IpString();  // not cached (too long) unless set below
  if (host.size() < IpString::kCapacity) cache.host = host;
  cache.hostFamily = family();
  cache.hostIp = ip;
  cache.hostCanonical = canonical;
  return cache.hostIp ? &*cache.hostIp : nullptr;
}

std::string SocketImpl::addressText(const OutgoingSend& request) const {
  if (request.addressIsDestination)
    return toIpString(request.destination.ip, indexToZone).str();
  return request.address;
}

void SocketImpl::startSend(OutgoingSend* request, std::string_view host,
                           bool queued) {
  if (request->toPeer) {
    request->hasDestination = false;
    sendResolved(request, IpAddress{});
    return;
  }
  const IpAddress* ip = nullptr;
  IpAddress loopback;
  bool canonical = false;
  if (host.empty()) {
    loopback = loopbackAddress(family());
    ip = &loopback;
  } else if (!hasCustomLookup()) {
    ip = parseNumericCached(host, canonical);
  }
  // The text is kept for the error message, unless the address says it.
  request->addressIsDestination = canonical;
  if (canonical)
    request->destination.ip = *ip;
  else if (host.data() != request->address.data())
    request->address.assign(host.data(), host.size());
  if (ip && (!rare_ || rare_->ordered.empty())) {
    sendResolved(request, *ip);  // the steady-state path
    return;
  }
  // Behind a lookup (its own or an earlier send's): keep the order.
  request->own();
  rare().ordered.push_back(request);
  if (ip) {
    request->resolved = true;
    request->resolvedIp = *ip;
    return;
  }
  DGRAM_TRY {
    resolve(request->address, [this, request](const std::optional<Error>& error,
                                              const IpAddress& ip) {
      request->resolved = true;
      request->resolvedIp = ip;
      if (error) request->error = error;
      sendInOrder();
    });
  }
  DGRAM_CATCH(...) {
    withdrawSend(request, queued);
    DGRAM_RETHROW;
  }
}

void SocketImpl::withdrawSend(OutgoingSend* request, bool queued) {
  // A custom lookup threw. Called from send(), which throws, the send
  // leaves no trace: its completion (ECANCELED) has no callback to call,
  // it only frees the request. Queued behind the bind (send() returned),
  // its callback gets ECANCELED, once.
  if (!queued) request->callback = nullptr;
  if (rare_->ordered.remove(request)) {
    cancelSend(request);
    sendInOrder();  // the sends behind it may go now, in order
  }
  // Else a close inside the lookup cancelled it already.
}

void SocketImpl::sendInOrder() {
  Fifo<OutgoingSend*>& ordered = rare().ordered;
  while (!ordered.empty() && ordered.front()->resolved && !closed_) {
    OutgoingSend* request = ordered.front();
    ordered.pop_front();
    request->resolved = false;
    if (request->error) {
      complete(request);
    } else {
      sendResolved(request, request->resolvedIp);
    }
  }
}

void SocketImpl::sendResolved(OutgoingSend* request, const IpAddress& ip) {
  if (closed_) {
    cancelSend(request);
    return;
  }
  if (!request->toPeer) {
    if (ip.family != family()) {
      request->result = sysErrorFromName("EINVAL");
      complete(request);
      return;
    }
    if (connectState_ == ConnectState::connected) {
      // Connected since it was issued: the system would send it to the
      // peer or refuse it; Node (libuv) refuses it.
      request->result = sysErrorFromName("EISCONN");
      complete(request);
      return;
    }
    request->destination =
        Endpoint{ip, static_cast<std::uint16_t>(request->port)};
    request->hasDestination = true;
  }
  SysError error;
  if (io()->send(*request, error)) {
    request->result = error;
    complete(request);
  }
}

void SocketImpl::cancelSend(OutgoingSend* request) {
  request->result = sysErrorFromName("ECANCELED");
  complete(request);
}

void SocketImpl::onSendDone(SendRequest* request, SysError error) {
  auto* outgoing = static_cast<OutgoingSend*>(request);
  if (abandoned_) {
    releaseRequest(outgoing);
    return;
  }
  outgoing->result = error;
  complete(outgoing);
}

void SocketImpl::completeSent(OutgoingSend* first, OutgoingSend* last) {
  // A batch the kernel took, in one step: what onSendDone does for each
  // datagram without an error. Runs no user code: the whole chain joins
  // the completed ones, whose flush calls the callbacks on a later turn
  // and recycles the requests without one (nothing to report), so the
  // batch is walked once, there. (A queued request's result is still
  // the empty one it was acquired with: only a send that finished before
  // it was queued, or one the platform reports through onSendDone, has
  // another.)
  if (abandoned_) {
    while (first) {
      OutgoingSend* next = nextOf(first);
      releaseRequest(first);
      first = next;
    }
    return;
  }
  SendState& state = *sends_;  // made with the requests
  if (state.completedTail)
    state.completedTail->next = first;
  else
    state.completedHead = first;
  state.completedTail = last;
  scheduleCompletions();
}

void SocketImpl::complete(OutgoingSend* request) {
  // A send without a callback that went out has nothing left to report.
  if (!request->callback && !request->error && !request->result) {
    releaseRequest(request);
    return;
  }
  queueCompletion(request);
}

inline void SocketImpl::queueCompletion(OutgoingSend* request) {
  SendState& state = *sends_;  // made with the request
  request->next = nullptr;
  if (state.completedTail)
    state.completedTail->next = request;
  else
    state.completedHead = request;
  state.completedTail = request;
  if (!state.completionScheduled) {
    state.completionScheduled = true;
    later([this] { flushCompletions(); });
  }
}

void SocketImpl::scheduleCompletions() {
  SendState& state = *sends_;
  if (state.completionScheduled || !state.completedHead) return;
  state.completionScheduled = true;
  later([this] { flushCompletions(); });
}

void SocketImpl::flushCompletions() {
  SendState& state = *sends_;
  state.completionScheduled = false;
  // Completions that callbacks cause from here on wait for the next turn.
  OutgoingSend* request = state.completedHead;
  state.completedHead = state.completedTail = nullptr;
  // The usual completion's error argument, built once for the pass.
  const std::optional<Error> sent;
  while (request) {
    OutgoingSend* rest = nextOf(request);
    if (!request->error && !request->result) {
      if (!request->callback) {
        // It went out (in a batch) and nobody asks.
        recycleSent(request);
        request = rest;
        continue;
      }
      // The usual completion: it went out, and a callback wants to know.
      // The callback is called where it is, not moved out first; the
      // request returns to the pool after the call (sends from the
      // callback take other requests), which also destroys it. The
      // socket lives through the call (enter()), and so does its pool.
      DGRAM_TRY {
        request->callback(sent, request->size);
      }
      DGRAM_CATCH(...) {
        recycleCalled(request);
        keepCompletions(rest);
        DGRAM_RETHROW;
      }
      recycleCalled(request);
      request = rest;
      continue;
    }
    std::optional<Error> error = std::move(request->error);
    bool emitIfUncaught = error.has_value();  // lookup errors are emitted
    if (!error && request->result) {
      error = exceptionWithHostPort(request->result, "send",
                                    addressText(*request), request->port);
    }
    SendCallback callback = std::move(request->callback);
    std::size_t bytes = error ? 0 : request->size;
    releaseRequest(request);
    DGRAM_TRY {
      if (callback)
        callback(error, bytes);
      else if (emitIfUncaught)
        emitError(*error);
    }
    DGRAM_CATCH(...) {
      keepCompletions(rest);
      DGRAM_RETHROW;
    }
    request = rest;
  }
}

void SocketImpl::keepCompletions(OutgoingSend* rest) {
  // A callback threw: the completions not yet delivered wait for the next
  // turn, ahead of any since.
  SendState& state = *sends_;
  if (rest) {
    OutgoingSend* last = rest;
    while (nextOf(last))
      last = nextOf(last);
    last->next = state.completedHead;
    if (!state.completedTail) state.completedTail = last;
    state.completedHead = rest;
  }
  scheduleCompletions();
}

std::size_t SocketImpl::sendQueueSize() const {
  requireLoop();
  return closed_ || !io() ? 0 : io()->queuedBytes();
}

std::size_t SocketImpl::sendQueueCount() const {
  requireLoop();
  return closed_ || !io() ? 0 : io()->queuedCount();
}

KernelFeatures SocketImpl::kernelFeatures() const {
  requireLoop();
  return closed_ || !io() ? KernelFeatures{} : io()->features();
}

// --- the platform's calls ---------------------------------------------------
// SocketEvents has one implementation, SocketImpl: its calls are forwarded
// without a virtual call (and without a vtable pointer in every socket).

void SocketEvents::onSent(SendRequest* first, SendRequest* last) {
  static_cast<SocketImpl&>(*this).completeSent(
      static_cast<OutgoingSend*>(first), static_cast<OutgoingSend*>(last));
}

void SocketEvents::sendLater(ByteView payload, const IpAddress& ip,
                             std::uint16_t port) {
  static_cast<SocketImpl&>(*this).sendLater(payload, ip, port);
}

void SocketEvents::onSendDone(SendRequest* request, SysError error) {
  auto& socket = static_cast<SocketImpl&>(*this);
  auto* outgoing = static_cast<OutgoingSend*>(request);
  if (!error && !outgoing->error) {
    if (!outgoing->callback) {
      // It went out and nobody asks: nothing to report.
      socket.recycleSent(outgoing);
      return;
    }
    if (!socket.abandoned_) {
      // It went out and a callback wants to know, on a later turn.
      outgoing->result = {};
      socket.queueCompletion(outgoing);
      return;
    }
  }
  socket.onSendDone(request, error);
}

}  // namespace dgram::detail

namespace dgram {

// Socket::send's usual forms (the others are in socket.cpp): here, so that
// the steady state they start is part of them rather than one call more.
void Socket::send(ByteView msg, int port, Host address, SendCallback cb) {
  if (!cb) return send(msg, port, address);
  // The usual send of a busy turn joins the queue; the others go on out
  // of line (so that this path keeps no registers for calls it does not
  // make: its only call is the copy, its last step).
  Impl& impl = static_cast<Impl&>(*this);
  if (const detail::IpAddress* ip = impl.steadyDestination(port, address)) {
    if (impl.joinSteady(msg, *ip, static_cast<std::uint16_t>(port), cb)) return;
  }
  impl.sendToOther(msg, port, address, cb);
}

void Socket::send(ByteView msg, int port, Host address) {
  // Both calls are the function's last: no registers to keep across them.
  Impl& impl = static_cast<Impl&>(*this);
  if (const detail::IpAddress* ip = impl.steadyDestination(port, address))
    return impl.sendSteady(msg, *ip, static_cast<std::uint16_t>(port));
  impl.sendWithoutCallback(msg, port, address);
}

void Socket::send(ByteView msg, int port, SendCallback cb) {
  static_cast<Impl&>(*this).sendTo(msg, port, {}, std::move(cb));
}

}  // namespace dgram
