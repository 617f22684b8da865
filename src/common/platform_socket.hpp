// The seam between a Socket's state machine (common) and the operating
// system's UDP socket (src/posix, src/win32). Common code asks for
// operations ("open", "bind", "start receiving", "send this", "close"), never
// for readiness, so a completion backend (IOCP) fits under the same Socket.
// Arguments are already validated; results come back as SysError.
// Layer: common state machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.hpp"
#include "common/sys_error.hpp"
#include "dgram/bytes.hpp"
#include "dgram/socket.hpp"

namespace dgram::detail {

class LoopCore;

/// One datagram on its way to the kernel. Owned by the Socket (pooled, so
/// the steady state allocates nothing); the platform holds it from
/// `send()` until it reports completion.
struct SendRequest {
  /// The payload of a send in one piece (the usual one, and every owned
  /// copy), kept in the request itself: no vector to fill and clear per
  /// send. Points at the caller's memory during `send()`; `own()` copies
  /// it when it must outlive the call.
  ByteView payload;
  /// The pieces of a send of several (a list of buffers), until `own()`
  /// joins them; empty otherwise, and then `payload` is the datagram.
  std::vector<ByteView> pieces;
  std::vector<std::uint8_t> storage;
  bool owned = false;
  Endpoint destination;
  bool hasDestination = false;  ///< false for a connected socket
  /// A chosen source (Socket's SendFrom): `source` (the any-address for
  /// none) leaving through `sourceInterface` (0 = the route's).
  bool hasSource = false;
  IpAddress source;
  std::uint32_t sourceInterface = 0;
  std::size_t size = 0;  ///< total payload bytes
  /// The next request in whichever one list holds this one (the
  /// platform's send queue, the Socket's free or completed list): lists
  /// of requests never allocate.
  SendRequest* next = nullptr;

  /// The payload's pieces: `partCount()` views from `parts()`.
  const ByteView* parts() const noexcept {
    return pieces.empty() ? &payload : pieces.data();
  }
  std::size_t partCount() const noexcept {
    return pieces.empty() ? 1 : pieces.size();
  }

  /// Copies the payload into `storage` (once) and repoints `payload` at
  /// it (one piece from then on).
  void own() {
    if (owned) return;
    if (pieces.empty() && storage.size() == size) {
      // The steady state: one buffer, and a pooled request whose copy
      // already has its size.
      if (size) std::memcpy(storage.data(), payload.data(), size);
      payload = ByteView(storage.data(), size);
      owned = true;
      return;
    }
    copyPayload();
  }

 private:
  void copyPayload();
};

/// One received datagram as the kernel described it, besides its bytes.
struct Arrival {
  Endpoint from;
  /// Where it arrived, when the socket asked (recvPktInfo) and the kernel
  /// said: the address it was sent to and the interface it came in on.
  IpAddress local;
  std::uint32_t interfaceIndex = 0;
  bool hasLocal = false;
  bool truncated = false;  ///< larger than the buffer it was read into
  std::int16_t tos = -1;   ///< TOS / traffic class (recvTos); -1 = none
  /// The platform's short name for the sender (its address and port) of a
  /// datagram that is whole and has no metadata, or 0 (none given): see
  /// SocketEvents::onDatagramFromLast.
  std::uint64_t senderKey = 0;
};

/// The size of the slots a DatagramRun's datagrams are read into, as a
/// shift: the largest UDP payload plus one byte fits (a datagram that
/// fills its slot was cut). Fixed, so that the run's walk adds and
/// compares a constant rather than a value it keeps in a register.
constexpr unsigned kRunSlotShift = 16;

/// The datagrams a batch read into equal slots, as the kernel described
/// them, for SocketEvents::onDatagramsFromLast: datagram i's bytes are at
/// `data + (i << kRunSlotShift)`, its size is the `unsigned` at `sizes + i *
/// stride`, and its sender's key (Arrival::senderKey) is the 8 bytes
/// `keyOffset` bytes from its size. A size of a whole slot or more says
/// the datagram was cut. (The stride lets the platform point into its own
/// headers: nothing is copied out of them. Sizes and keys share it, and a
/// key is found from its size, so that the run's walk keeps one pointer
/// and one stride. Slots come in powers of two, so that a position in the
/// run converts to an index by a shift.)
struct DatagramRun {
  const std::uint8_t* data;
  const std::uint8_t* sizes;
  std::ptrdiff_t keyOffset;
  std::size_t stride;
  int count;
};

/// What the platform reports back to the Socket. Called on the loop
/// thread, from the backend's dispatch; the Socket may close itself from
/// any of them. The Socket's state machine (common/socket_impl.hpp) is the
/// only implementation: the calls are plain ones that it answers (no
/// vtable pointer in every socket).
class SocketEvents {
 public:
  /// A datagram arrived. `data` is valid during the call only.
  void onDatagram(const std::uint8_t* data, std::size_t size,
                  const Arrival& arrival);
  /// onDatagram for a datagram that is whole, has no metadata, and comes
  /// from the sender of the datagram the loop's sockets described last:
  /// the platform found its key (Arrival::senderKey) equal to the loop's
  /// (LoopCore::DatagramCaches::senderKey). Nothing of the description
  /// but the size changes, so none is built.
  void onDatagramFromLast(const std::uint8_t* data, std::size_t size);
  /// onDatagramFromLast for the datagrams of `run` from `from` on, in
  /// order, in one call, while each is whole and from the sender the loop
  /// described last, and the socket is the usual one (open, no rare
  /// state). Returns the index of the first datagram not delivered
  /// (`run.count` when all were); the platform delivers that one the
  /// general way (onDatagram) and may call again for the next. If a
  /// listener throws, `thrown` is the index of its datagram (the platform
  /// then holds the rest: holdDatagram).
  int onDatagramsFromLast(const DatagramRun& run, int from, int& thrown);
  /// A datagram read in the same batch as one whose delivery threw (a
  /// 'message' listener's exception): the Socket keeps a copy and
  /// delivers it on a later turn, before anything read after it. The
  /// platform calls this for the rest of the batch, then lets the
  /// exception go on.
  void holdDatagram(const std::uint8_t* data, std::size_t size,
                    const Arrival& arrival);
  /// Receiving failed (e.g. ECONNREFUSED after an ICMP error).
  void onReceiveError(SysError error);
  /// Another system call the socket depends on failed, e.g. registering
  /// it with the poller (then it would never hear of a datagram):
  /// reported as an 'error' naming `syscall`.
  /// Both run no user code and never throw (safe from the turn-end work
  /// and from inside any platform call): the 'error' is emitted on a
  /// later turn.
  void onSystemError(SysError error, const char* syscall);
  /// A send that the platform had queued finished (or failed).
  void onSendDone(SendRequest* request, SysError error);
  /// Queued sends the kernel took, oldest first, `first` to `last`
  /// linked through `next` (nullptr after the last): onSendDone without
  /// an error for each, in one call for a whole batch.
  void onSent(SendRequest* first, SendRequest* last);
  /// A sendAtOnce() datagram that waits: the Socket makes it a request
  /// and hands it to PlatformSocket::send.
  void sendLater(ByteView payload, const IpAddress& ip, std::uint16_t port);
  /// The loop the socket belongs to (so that a platform socket need not
  /// keep its own reference).
  LoopCore& loopCore() const noexcept { return loop_; }

 protected:
  explicit SocketEvents(LoopCore& loop) noexcept : loop_(loop) {}
  ~SocketEvents() = default;

  /// Kept here rather than in the Socket, so that the platform reaches it
  /// without a call: the Socket's loop.
  LoopCore& loop_;
};

/// The ordered queue of sends a platform socket has not handed to the
/// kernel yet, shared by src/posix and src/win32: they differ in how they
/// drain it (batches at the end of a loop turn or at writability, vs one
/// overlapped send at a time), not in what it guarantees: sends complete in
/// call order, and a close completes every one still queued with ECANCELED
/// before it returns. It makes no system call and names no system type:
/// it is this seam's own bookkeeping, kept in the PlatformSocket (below) so
/// that the Socket reaches it without a virtual call (joinIfOpen).
///
/// It is an intrusive list (through SendRequest::next), so queueing never
/// allocates, and an empty queue costs four words.
class SendQueue {
 public:
  SendQueue() noexcept = default;
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;

  bool empty() const noexcept { return head_ == nullptr; }
  /// Payload bytes and sends queued (Node's sendQueueSize / Count).
  std::size_t bytes() const noexcept { return bytes_; }
  std::size_t count() const noexcept { return count_; }
  /// The oldest send, the next to go out; the ones after it follow
  /// `next` (nullptr after the newest).
  SendRequest& front() const noexcept { return *head_; }

  /// Queues `request` behind the others. Its payload is copied once here:
  /// the caller may reuse its buffer as soon as send() returns.
  void push(SendRequest& request) {
    request.own();
    request.next = nullptr;
    if (tail_)
      tail_->next = &request;
    else
      head_ = &request;
    tail_ = &request;
    ++count_;
    bytes_ += request.size;
  }

  /// Whether joinIfOpen takes a request now.
  bool isOpen() const noexcept { return open_ != 0; }
  /// push() done by the Socket itself, without PlatformSocket::send (a
  /// virtual call, and the platform's checks): true while the platform
  /// keeps places open, that is while a send would do nothing but join
  /// the queue (see open()); false, having done nothing, otherwise. Only
  /// for a request without a chosen source (the platform's send checks
  /// that one).
  bool joinIfOpen(SendRequest& request) {
    if (open_ == 0) return false;
    joinOpen(request);
    return true;
  }
  /// joinIfOpen() where isOpen() was just seen true.
  void joinOpen(SendRequest& request) {
    push(request);
    --open_;
  }
  /// Opens `places` for joinIfOpen (0 closes them): the platform's promise
  /// that the next `places` sends, pushed as they are, are all its send()
  /// would do with them (its flush is scheduled, or it waits for the
  /// kernel, and they fit in the batch it sends). A send leaving the queue
  /// closes them, so they are open only while it is not empty, and the
  /// platform decides again.
  void open(std::uint32_t places) noexcept { open_ = places; }

  /// Removes the oldest send and reports it to `events` as done with
  /// `error`. The report may close the socket, which finds the queue
  /// already without it.
  void complete(SocketEvents& events, SysError error) {
    SendRequest* request = head_;
    head_ = request->next;
    if (!head_) tail_ = nullptr;
    request->next = nullptr;
    open_ = 0;
    --count_;
    bytes_ -= request->size;
    events.onSendDone(request, error);
  }

  /// Removes the `taken` oldest sends, which the kernel took, and reports
  /// them to `events` as sent, in one call for the whole run (a sendmmsg
  /// batch), oldest first through `next`.
  void completeSent(SocketEvents& events, std::size_t taken) {
    SendRequest* first = head_;
    if (taken == count_) {
      // The usual batch: the whole queue, nothing to walk (the newest
      // request's `next` is nullptr already).
      SendRequest* last = tail_;
      head_ = tail_ = nullptr;
      count_ = open_ = 0;
      bytes_ = 0;
      events.onSent(first, last);
      return;
    }
    SendRequest* last = first;
    std::size_t bytes = last->size;
    for (std::size_t i = 1; i < taken; ++i) {
      last = last->next;
      bytes += last->size;
    }
    head_ = last->next;
    if (!head_) tail_ = nullptr;
    last->next = nullptr;
    open_ = 0;
    count_ -= static_cast<std::uint32_t>(taken);
    bytes_ -= bytes;
    events.onSent(first, last);
  }

  /// Completes every queued send with `error`, oldest first (ECANCELED
  /// when the socket closes).
  void failAll(SocketEvents& events, SysError error) {
    while (!empty())
      complete(events, error);
  }

 private:
  SendRequest* head_ = nullptr;
  SendRequest* tail_ = nullptr;
  std::size_t bytes_ = 0;
  // Half a word each, so that the open places cost no word of their own
  // (a socket's every word counts: bench `sockets` mode). Four billion
  // queued sends would need far more memory than any process has.
  std::uint32_t count_ = 0;
  std::uint32_t open_ = 0;  ///< see open()
};

enum class BufferKind { receive, send };

/// Options applied when the socket is created.
struct OpenOptions {
  bool reuseAddr = false;
  bool reusePort = false;
  bool ipv6Only = false;
  bool gso = false;          ///< segment runs of equal sends, where available
  bool gro = false;          ///< accept coalesced receives, where available
  bool recvPktInfo = false;  ///< report where datagrams arrive
  bool recvTos = false;      ///< report their TOS / traffic class
};

class PlatformSocket {
 public:
  virtual ~PlatformSocket() = default;

  /// Sends not yet handed to the kernel (see SendQueue). The Socket pushes
  /// onto it itself while the platform keeps places open
  /// (SendQueue::joinIfOpen); everything else is the platform's.
  SendQueue& sendQueue() noexcept { return queue_; }

  /// Creates the system socket for `family`.
  virtual SysError open(Family family, const OpenOptions& options) = 0;
  /// Adopts an existing system socket and reports its family. If it is
  /// not a UDP socket, nothing is adopted and `otherType` names what it is
  /// as Node's guessHandleType does ("TCP", "PIPE", "FILE", "UNKNOWN").
  virtual SysError adopt(std::intptr_t handle, Family& family,
                         const char*& otherType) = 0;
  virtual SysError bind(const Endpoint& local) = 0;
  virtual SysError connect(const Endpoint& remote) = 0;
  virtual SysError disconnect() = 0;
  virtual SysError localAddress(Endpoint& out) const = 0;
  virtual SysError remoteAddress(Endpoint& out) const = 0;

  /// Starts reading datagrams; reading stops only at close() (Node has
  /// no way to pause a socket's 'message' events).
  virtual void startReceiving() = 0;

  /// Hands a datagram to the kernel. Returns true if it finished now
  /// (`error` says how); false if the platform queued it (after calling
  /// `request.own()`) and will report through `onSendDone`.
  virtual bool send(SendRequest& request, SysError& error) = 0;
  /// A datagram without a callback, to a destination the Socket has
  /// checked: the steady state of a reply from a 'message' listener. The
  /// platform sends it now, without a request, when it would send it at
  /// once anyway (nothing queued or waiting ahead of it, no batch to
  /// join); otherwise, or when the kernel says "not now" (it then waits,
  /// so a kernel that said EAGAIN is not asked twice), it hands it back
  /// through SocketEvents::sendLater. A final error is dropped: nobody
  /// asked to hear of it (Node drops it too).
  virtual void sendAtOnce(ByteView payload, const IpAddress& ip,
                          std::uint16_t port) = 0;
  /// Bytes and requests queued here, not yet taken by the kernel.
  virtual std::size_t queuedBytes() const noexcept = 0;
  virtual std::size_t queuedCount() const noexcept = 0;
  /// The kernel features in use (none where the platform has none).
  virtual KernelFeatures features() const noexcept { return {}; }

  /// Closes the system socket, which stops receiving too. Queued sends
  /// complete with ECANCELED through `onSendDone` before this returns.
  /// Returns true when that leaves the destructor nothing to do (no
  /// descriptor, nothing scheduled, no member that owns anything): the
  /// owner may then let the storage go with its own, without the virtual
  /// call (C++ lets an object's lifetime end so when nothing depends on
  /// its destructor). Calls the platform socket is making stay valid: the
  /// storage outlives them.
  virtual bool close() = 0;
  virtual bool isOpen() const noexcept = 0;

  // Socket options.
  virtual SysError setBroadcast(bool on) = 0;
  virtual SysError setTTL(int ttl) = 0;
  virtual SysError setTOS(int tos) = 0;
  virtual SysError setMulticastTTL(int ttl) = 0;
  virtual SysError setMulticastLoopback(bool on) = 0;
  virtual SysError setMulticastInterface(const IpAddress& address) = 0;
  virtual SysError membership(const IpAddress& group,
                              const IpAddress* interfaceAddress, bool join) = 0;
  virtual SysError sourceMembership(const IpAddress& source,
                                    const IpAddress& group,
                                    const IpAddress* interfaceAddress,
                                    bool join) = 0;
  /// Sets the buffer size when `size` > 0, then reads it back into `size`.
  virtual SysError bufferSize(BufferKind kind, int& size) = 0;

 protected:
  /// Sends the kernel did not take at once, in call order; each platform
  /// fills and drains it its own way.
  SendQueue queue_;
};

/// The alignment of the space a Socket lends its platform socket: one
/// holds pointers and 64-bit integers (timer and listener ids), nothing
/// over-aligned (so the space is not padded to max_align_t for nothing).
/// On 64-bit systems both are 8; on 32-bit ones (i686 Windows, 32-bit ARM)
/// a 64-bit integer needs 8 where a pointer needs 4.
inline constexpr std::size_t kPlatformSocketAlign =
    alignof(void*) > alignof(std::uint64_t) ? alignof(void*)
                                            : alignof(std::uint64_t);

/// Owns a platform socket that its backend built either in memory the
/// Socket lends it (no allocation of its own: see makePlatformSocket) or,
/// when its type does not fit there, on the heap.
class PlatformSocketPtr {
 public:
  PlatformSocketPtr() = default;
  PlatformSocketPtr(PlatformSocket* socket, bool inPlace) noexcept
      : bits_(reinterpret_cast<std::uintptr_t>(socket) |
              (inPlace ? kInPlace : 0)) {}
  PlatformSocketPtr(PlatformSocketPtr&& other) noexcept : bits_(other.bits_) {
    other.bits_ = 0;
  }
  PlatformSocketPtr& operator=(PlatformSocketPtr&& other) noexcept {
    if (this != &other) {
      reset();
      bits_ = other.bits_;
      other.bits_ = 0;
    }
    return *this;
  }
  ~PlatformSocketPtr() { reset(); }

  PlatformSocket* get() const noexcept {
    return reinterpret_cast<PlatformSocket*>(bits_ & ~kInPlace);
  }
  PlatformSocket* operator->() const noexcept { return get(); }
  PlatformSocket& operator*() const noexcept { return *get(); }
  explicit operator bool() const noexcept { return bits_ != 0; }
  /// Whether it lives in the lent memory (no allocation of its own).
  bool inPlace() const noexcept { return (bits_ & kInPlace) != 0; }

  /// Gives up ownership: the caller destroys it (by its destructor when
  /// it was in place, by delete when not).
  PlatformSocket* release() noexcept {
    PlatformSocket* socket = get();
    bits_ = 0;
    return socket;
  }

  void reset() noexcept {
    PlatformSocket* socket = get();
    bool inPlace = this->inPlace();
    bits_ = 0;
    if (!socket) return;
    if (inPlace)
      socket->~PlatformSocket();
    else
      delete socket;
  }

 private:
  // Where it lives is kept in the pointer's low bit (a PlatformSocket is
  // at least pointer-aligned): one word per socket, not two.
  static constexpr std::uintptr_t kInPlace = 1;
  static_assert(alignof(PlatformSocket) > 1);
  std::uintptr_t bits_ = 0;
};

/// Memory a Socket lends to its platform socket (suitably aligned for any
/// type), so that creating a socket costs one allocation, not two.
struct PlatformSocketSpace {
  void* data;
  std::size_t size;
};

/// Whether a platform socket of type T fits in `bytes` of lent memory.
template <typename T>
constexpr bool fitsPlatformSocketSpace(std::size_t bytes) noexcept {
  return sizeof(T) <= bytes && alignof(T) <= kPlatformSocketAlign;
}

/// Builds a T in `space` when it fits, else on the heap.
template <typename T, typename... Args>
PlatformSocketPtr makePlatformSocket(PlatformSocketSpace space,
                                     Args&&... args) {
  if (space.data && sizeof(T) <= space.size &&
      alignof(T) <= kPlatformSocketAlign)
    return {new (space.data) T(std::forward<Args>(args)...), true};
  return {new T(std::forward<Args>(args)...), false};
}

/// Reads a system socket address (sockaddr_in / sockaddr_in6, e.g. from
/// c-ares); returns false for other families.
bool endpointFromSockaddr(const void* sockaddr, Endpoint& out);

/// Reads the first address of a system host entry (`hostent`, e.g. from
/// c-ares' hosts-file reader); returns false if it has none of AF_INET or
/// AF_INET6.
bool addressFromHostent(const void* hostent, IpAddress& out);

/// Interface names for zones: "eth0" -> index (0 if unknown) and back.
std::uint32_t zoneToIndex(std::string_view zone);
std::size_t indexToZone(std::uint32_t index, char* out, std::size_t cap);

}  // namespace dgram::detail
