// dgram::Socket: Node's dgram.Socket, method for method.
// Layer: public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "dgram/abort.hpp"
#include "dgram/address.hpp"
#include "dgram/buffer.hpp"
#include "dgram/bytes.hpp"
#include "dgram/callbacks.hpp"
#include "dgram/error.hpp"
#include "dgram/export.hpp"
#include "dgram/loop.hpp"

DGRAM_DLL_WARNINGS_PUSH

namespace dgram {

namespace detail {
class SocketImpl;  // the library's state machine (not part of the API)
}  // namespace detail

// Event tags: `socket.on(dgram::message, fn)` reads like Node's
// `socket.on('message', fn)`.
/// Tag type of `dgram::message`.
struct MessageEvent {};
/// Tag type of `dgram::listening`.
struct ListeningEvent {};
/// Tag type of `dgram::connect`.
struct ConnectEvent {};
/// Tag type of `dgram::close`.
struct CloseEvent {};
/// Tag type of `dgram::error`.
struct ErrorEvent {};
/// 'message': a datagram arrived (`MessageListener`).
inline constexpr MessageEvent message{};
/// 'listening': the socket is bound and receiving (`Listener`).
inline constexpr ListeningEvent listening{};
/// 'connect': `connect()` succeeded (`Listener`).
inline constexpr ConnectEvent connect{};
/// 'close': the socket closed; no event follows (`Listener`).
inline constexpr CloseEvent close{};
/// 'error': an asynchronous failure (`ErrorListener`); with no listener,
/// `Loop::run()` throws it (without exceptions: passes it to the
/// ErrorHandler, see dgram/exceptions.hpp).
inline constexpr ErrorEvent error{};

/// A host argument of bind, connect and send: anything string-like
/// ("127.0.0.1", a std::string, a string_view), but never a number, so
/// that `send(msg, 0, 0)` reads as offset and length, as in Node.
class Host {
 public:
  /// No host: the default address of the call.
  Host() = default;
  /// Any string-like value (viewed, not copied: keep it alive during the
  /// call).
  template <typename T,
            typename = std::enable_if_t<
                std::is_convertible_v<const T&, std::string_view> &&
                !std::is_arithmetic_v<T> && !std::is_null_pointer_v<T>>>
  Host(const T& text)  // NOLINT: implicit, like a JS string argument
      : text_(std::string_view(text)) {}

  /// The host text (empty = none).
  std::string_view view() const noexcept { return text_; }
  /// The host text (empty = none).
  operator std::string_view() const noexcept { return text_; }  // NOLINT

 private:
  std::string_view text_;
};

/// Identifies a listener for `off`.
using ListenerId = std::uint64_t;

/// What a custom lookup reports: an error, or an address of `family`.
using LookupCallback = std::function<void(
    const std::optional<Error>& err, std::string_view address, Family family)>;
/// A custom name lookup, as Node's `lookup` option (`dns.lookup` shape).
/// It may call `done` later, or never if the socket closed meanwhile.
using LookupFunction = std::function<void(std::string_view hostname,
                                          Family family, LookupCallback done)>;

/// `dgram.createSocket(options)`.
struct SocketOptions {
  Type type = Type::udp4;  ///< udp4 or udp6
  bool reuseAddr =
      false;  ///< SO_REUSEADDR: bind succeeds if the port is in use
  /// SO_REUSEPORT where the system has it (the kernel spreads datagrams
  /// between the sockets); bind emits ENOTSUP elsewhere.
  bool reusePort = false;
  bool ipv6Only = false;   ///< udp6 only: IPV6_V6ONLY, no IPv4-mapped traffic
  int recvBufferSize = 0;  ///< 0 = leave the OS default
  int sendBufferSize = 0;  ///< 0 = leave the OS default
  LookupFunction lookup;   ///< empty = the built-in resolver
  AbortSignal signal;      ///< empty = none
  Loop* loop = nullptr;    ///< nullptr = Loop::defaultLoop()

  // Kernel offloads: beyond Node, opt-in; Socket::kernelFeatures() tells which
  // are active. Linux and Windows: elsewhere (and with kernels, drivers or
  // wine that lack them) turning one on is accepted and changes nothing.

  /// GSO (UDP_SEGMENT): consecutive sends of one loop turn to the same
  /// destination and of the same size (the last may be shorter) leave as
  /// one system call that the kernel cuts into those datagrams, up to 64
  /// datagrams and 64 KB at a time. Other sends split the run; order and
  /// per-send callbacks are as without it. If the kernel refuses a
  /// segmented send (a device without checksum offload says EIO), GSO is
  /// turned off for the socket and the same datagrams go out one by one.
  /// On Windows: USO (a UDP_SEND_MSG_SIZE control message, WSAEINVAL the
  /// refusal), probed when the socket opens; then, as on Linux, a turn's
  /// sends leave at its end.
  bool gso = false;
  /// GRO (UDP_GRO): the kernel may hand over several datagrams from one
  /// sender in one buffer; each is still delivered to 'message' as its
  /// own datagram with the same RemoteInfo. On Windows: URO
  /// (UDP_RECV_MAX_COALESCED_SIZE, split at UDP_COALESCED_INFO); keep it
  /// off where a driver may coalesce without saying so.
  bool gro = false;

  // Receive metadata: beyond Node, opt-in (each costs a control message
  // per datagram). Linux, other POSIX systems that have
  // IP_PKTINFO / IPV6_RECVPKTINFO and IP_RECVTOS / IPV6_RECVTCLASS, and
  // Windows (WSARecvMsg; IP_RECVTOS on the builds that have it). Where
  // missing, asking is accepted and Socket::kernelFeatures() reports it
  // inactive.

  /// IP_PKTINFO / IPV6_RECVPKTINFO: RemoteInfo::localAddress and
  /// interfaceIndex say where each datagram arrived.
  bool recvPktInfo = false;
  /// IP_RECVTOS / IPV6_RECVTCLASS: RemoteInfo::tos carries each datagram's
  /// TOS / traffic class byte, ECN bits included.
  bool recvTos = false;
};

/// Which kernel features a socket uses now: those asked for in
/// SocketOptions, once the socket is open (bound), where the platform has
/// them and (GSO) the kernel has not refused them.
struct KernelFeatures {
  bool gso = false;          ///< sends are segmented by the kernel
  bool gro = false;          ///< received datagrams may arrive coalesced
  bool recvPktInfo = false;  ///< RemoteInfo says where datagrams arrived
  bool recvTos = false;      ///< RemoteInfo carries the TOS byte
};

/// Where a datagram leaves from: beyond Node, for `send(msg, port,
/// address, from, cb)` (IP_PKTINFO / IPV6_PKTINFO). A socket bound to the
/// any-address on a host with several addresses answers from the one it
/// was asked on: `SendFrom(rinfo)`, with SocketOptions::recvPktInfo.
struct SendFrom {
  /// The local IP address to send from, as text (no host names; on a udp6
  /// socket an IPv4 address means its IPv4-mapped form). Empty = the
  /// system's choice.
  std::string_view address;
  /// The interface to leave through (an index); 0 = the route's.
  std::uint32_t interfaceIndex = 0;

  /// The system's choice of source: a plain send.
  SendFrom() = default;
  /// From `source` (viewed, not copied: keep it alive while this is
  /// used), through `throughInterface`.
  explicit SendFrom(std::string_view source,
                    std::uint32_t throughInterface = 0) noexcept
      : address(source), interfaceIndex(throughInterface) {}
  /// From the address and interface `arrival` came in on; without its
  /// metadata (recvPktInfo off or unsupported), the system's choice. The
  /// address is copied: this may be kept and used after the listener
  /// that got `arrival` returned (the loop reuses its RemoteInfo).
  explicit SendFrom(const RemoteInfo& arrival) noexcept
      : interfaceIndex(arrival.interfaceIndex), arrival_(arrival.localAddress) {
    address = arrival_.view();
  }
  /// A copy; one made from a RemoteInfo copies its address again.
  SendFrom(const SendFrom& other) noexcept
      : address(other.address),
        interfaceIndex(other.interfaceIndex),
        arrival_(other.arrival_) {
    repoint(other);
  }
  /// As the copy constructor.
  SendFrom& operator=(const SendFrom& other) noexcept {
    address = other.address;
    interfaceIndex = other.interfaceIndex;
    arrival_ = other.arrival_;
    repoint(other);
    return *this;
  }
  ~SendFrom() = default;  ///< Nothing to release.

 private:
  // When `other.address` views its own copy of an arrival's address,
  // this one views its own.
  void repoint(const SendFrom& other) noexcept {
    if (!other.address.empty() &&
        other.address.data() == other.arrival_.c_str())
      address = arrival_.view();
  }
  IpString arrival_;  ///< SendFrom(RemoteInfo)'s copy of the address
};

/// `socket.bind(options)`.
struct BindOptions {
  int port = 0;         ///< 0 = a port the system picks; 0..65535
  std::string address;  ///< empty = all interfaces
  /// Node uses it to decide whether cluster workers share one handle.
  /// There is no cluster here: every socket has its own handle, so it
  /// changes nothing (accepted for source compatibility). To share a port
  /// between sockets or threads, use SocketOptions::reusePort.
  bool exclusive = false;
  /// An existing UDP socket (fd on POSIX, SOCKET on Windows) to adopt;
  /// -1 = none. `port` and `address` are ignored when set.
  std::intptr_t fd = -1;
};

/// A UDP socket with Node's dgram.Socket API. Create it with
/// `createSocket`.
///
/// Ownership: the caller's `shared_ptr`s plus one reference held by the
/// loop while the socket has something to do (bound or binding and open,
/// or pending sends, lookups, callbacks, 'close'). A bound socket keeps
/// working when the caller drops its handle; one never bound (or whose
/// bind failed) with nothing pending is destroyed with the caller's last
/// handle and its descriptor released. At 'close', after the 'close'
/// listeners ran, every listener and callback is released (captures,
/// such as the socket's own `shared_ptr`, are freed); listeners added
/// after that are not kept, since nothing could call them.
///
/// Without exceptions: see the error-returning forms below and
/// dgram/exceptions.hpp.
///
/// Exceptions: one thrown by a listener or callback leaves `Loop::run()` /
/// `runOnce()`; the socket stays consistent (the rest of a received batch
/// and the listeners skipped for 'listening'/'connect'/'close' run on the
/// next run, every send callback runs exactly once) and the loop can be
/// run again.
class DGRAM_API Socket : public std::enable_shared_from_this<Socket> {
 public:
  /// Destroying the last handle of an open socket is not an error: the
  /// loop keeps it until it closes.
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // --- events -----------------------------------------------------------
  /// `socket.on(event, fn)`: adds a listener, called in registration order
  /// with the other listeners of the event; returns its id for `off`.
  ///@{
  ListenerId on(MessageEvent, MessageListener fn);
  ListenerId on(ListeningEvent, Listener fn);
  ListenerId on(ConnectEvent, Listener fn);
  ListenerId on(CloseEvent, Listener fn);
  ListenerId on(ErrorEvent, ErrorListener fn);
  ///@}
  /// `socket.once(event, fn)`: like `on`, removed before its first call.
  ///@{
  ListenerId once(MessageEvent, MessageListener fn);
  ListenerId once(ListeningEvent, Listener fn);
  ListenerId once(ConnectEvent, Listener fn);
  ListenerId once(CloseEvent, Listener fn);
  ListenerId once(ErrorEvent, ErrorListener fn);
  ///@}
  /// Events are tags (`dgram::message`), not strings: `on("message", fn)`
  /// and `once("message", fn)` do not compile, and say so in one line.
  ///@{
  template <typename Name, typename F,
            typename = std::enable_if_t<
                std::is_convertible_v<const Name&, std::string_view>>>
  ListenerId on(const Name&, F&&) {
    static_assert(detail::kNever<Name>,
                  "dgram: events are tags, not strings: on(dgram::message, "
                  "fn), not on(\"message\", fn)");
    return 0;
  }
  template <typename Name, typename F,
            typename = std::enable_if_t<
                std::is_convertible_v<const Name&, std::string_view>>>
  ListenerId once(const Name&, F&&) {
    static_assert(detail::kNever<Name>,
                  "dgram: events are tags, not strings: once(dgram::message, "
                  "fn), not once(\"message\", fn)");
    return 0;
  }
  ///@}
  /// Removes a listener; returns whether it was registered.
  bool off(ListenerId id);

  // --- bind ---------------------------------------------------------------
  /// `socket.bind([port][, address][, cb])`: binds (port 0 or none = any
  /// free port; no address = all interfaces, a host name is looked up), then
  /// emits 'listening' and calls `cb` once. Throws `ERR_SOCKET_BAD_PORT`,
  /// `ERR_SOCKET_ALREADY_BOUND`, `ERR_SOCKET_DGRAM_NOT_RUNNING`; a failed
  /// bind or lookup (`EADDRINUSE`, `ENOTFOUND`...) is emitted as 'error'.
  ///@{
  Socket& bind();
  Socket& bind(int port);
  Socket& bind(int port, Host address);
  Socket& bind(int port, Host address, Listener cb);
  Socket& bind(int port, Listener cb);
  Socket& bind(Listener cb);
  ///@}
  /// `socket.bind(options[, cb])`: as above, or adopts `options.fd`
  /// (throws `ERR_INVALID_FD_TYPE` if it is not a UDP socket).
  Socket& bind(const BindOptions& options, Listener cb = {});

  // --- connect ------------------------------------------------------------
  /// `socket.connect(port[, address][, cb])`: associates the socket with
  /// one peer (binding it first if needed), then emits 'connect' and calls
  /// `cb` with no error. Throws `ERR_SOCKET_BAD_PORT`,
  /// `ERR_SOCKET_DGRAM_IS_CONNECTED`; lookup and system errors go to `cb`,
  /// or are emitted as 'error' without one; `ECANCELED` if closed first.
  ///@{
  void connect(int port, Host address = {}, ConnectCallback cb = {});
  void connect(int port, ConnectCallback cb);
  ///@}
  /// `socket.disconnect()`: dissolves the association. Throws
  /// `ERR_SOCKET_DGRAM_NOT_CONNECTED` when not connected.
  void disconnect();

  // --- send (unconnected) ---------------------------------------------------
  /// `socket.send(msg, port[, address][, cb])`: sends one datagram (binding
  /// first if needed; no address = localhost). `msg` is anything a
  /// ByteView views: a string, a vector, a Buffer, or a received message
  /// (`send(msg, rinfo.port, rinfo.address)` echoes it without copying the
  /// Bytes). Its bytes are copied: reuse them once this returns. `cb` is
  /// `(err, bytes)`, `(err)` or `()` (SendCallback). Throws
  /// `ERR_SOCKET_BAD_PORT`, `ERR_SOCKET_DGRAM_IS_CONNECTED`,
  /// `ERR_SOCKET_DGRAM_NOT_RUNNING`; send errors (`EMSGSIZE`...) and
  /// `ECANCELED` (closed first) go to `cb`, lookup errors to `cb` or
  /// 'error'.
  ///
  /// When it leaves: called outside the loop, at once; called from the
  /// loop (a listener, a callback, a timer, a posted job), the socket's
  /// first send of the turn leaves at once too when nothing waits ahead of
  /// it, and the ones after it at the end of that loop turn, together (one
  /// `sendmmsg` on Linux; every 64 sends a batch leaves without waiting;
  /// a datagram over 2 KiB leaves at once whenever nothing waits ahead of
  /// it; with `gso` every send of the turn waits, to be segmented). Sends
  /// leave in call order either way, and `cb` runs on a later turn.
  ///@{
  void send(ByteView msg, int port, Host address, SendCallback cb);
  /// (Without `cb`, its own overload: no empty callback is built and
  /// destroyed around every call of an echo's steady state.)
  void send(ByteView msg, int port, Host address = {});
  ///@}
  /// Beyond Node: as `send(msg, port, address, cb)`, from the source that
  /// `from` names (see SendFrom). Throws `ERR_INVALID_ARG_VALUE` when
  /// `from.address` is not an IP address of the socket's family (an IPv6
  /// one on a udp4 socket); a source the host does not have fails in `cb`
  /// (`ENETUNREACH` on Linux), as does any source where the platform
  /// cannot choose one (`ENOTSUP`). Linux and Windows (WSASendMsg) choose
  /// it; wine accepts it and ignores it. `SendFrom()` is a plain send.
  void send(ByteView msg, int port, Host address, const SendFrom& from,
            SendCallback cb = {});
  /// `socket.send(msg, port, cb)`.
  void send(ByteView msg, int port, SendCallback cb);
  /// Beyond Node: `send(msg, port[, address][, cb])` that takes `buffer`
  /// (a `std::vector<std::uint8_t>` rvalue) over instead of copying it:
  /// the copy is a cost for large datagrams. On return `buffer` is empty,
  /// but may hold the capacity of a buffer handed over earlier and sent
  /// since, so a sender that refills it and sends again allocates
  /// nothing. A vector that is not an rvalue goes to the copying form.
  /// Throws as the copying form, and then leaves `buffer` as it was.
  /// (Templates, so that a braced list of strings never reads as a
  /// vector's iterator pair.)
  template <typename V, typename = std::enable_if_t<
                            std::is_same_v<V, std::vector<std::uint8_t>>>>
  void send(V&& buffer, int port, Host address = {}, SendCallback cb = {}) {
    takeAndSend(buffer, true, port, address, std::move(cb));
  }
  /// Beyond Node: `send(buffer, port, cb)`, taking `buffer` over.
  template <typename V, typename = std::enable_if_t<
                            std::is_same_v<V, std::vector<std::uint8_t>>>>
  void send(V&& buffer, int port, SendCallback cb) {
    takeAndSend(buffer, true, port, Host{}, std::move(cb));
  }
  /// `socket.send(msg, offset, length, port[, address][, cb])`: sends
  /// `length` bytes from `offset`; throws `ERR_BUFFER_OUT_OF_BOUNDS` past
  /// the end, otherwise as `send(msg, port, ...)`.
  ///@{
  void send(ByteView msg, std::size_t offset, std::size_t length, int port,
            Host address = {}, SendCallback cb = {});
  void send(ByteView msg, std::size_t offset, std::size_t length, int port,
            SendCallback cb);
  ///@}
  /// `socket.send([buf1, buf2...], port[, address][, cb])`: the buffers
  /// joined into one datagram; otherwise as `send(msg, port, ...)`. The
  /// pieces of a braced list are viewed, not copied (a received message
  /// among them included).
  ///@{
  void send(std::initializer_list<ByteView> list, int port, Host address = {},
            SendCallback cb = {});
  void send(std::initializer_list<ByteView> list, int port, SendCallback cb);
  void send(const std::vector<Bytes>& list, int port, Host address = {},
            SendCallback cb = {});
  void send(const std::vector<Bytes>& list, int port, SendCallback cb);
  ///@}

  // --- send (connected) -----------------------------------------------------
  /// The connected forms: to the connected peer. Without a connection they
  /// throw `ERR_SOCKET_BAD_PORT` (no port), as Node does; errors otherwise
  /// as the unconnected forms.
  ///@{
  void send(ByteView msg, SendCallback cb = {});
  void send(ByteView msg, std::size_t offset, std::size_t length,
            SendCallback cb = {});
  void send(std::initializer_list<ByteView> list, SendCallback cb = {});
  void send(const std::vector<Bytes>& list, SendCallback cb = {});
  /// Beyond Node: the connected `send(msg[, cb])`, taking `buffer` over
  /// as the unconnected form above does.
  template <typename V, typename = std::enable_if_t<
                            std::is_same_v<V, std::vector<std::uint8_t>>>>
  void send(V&& buffer, SendCallback cb = {}) {
    takeAndSend(buffer, false, 0, Host{}, std::move(cb));
  }
  ///@}

  // --- close --------------------------------------------------------------
  /// `socket.close([cb])`: closes (after the sends queued behind a pending
  /// bind), cancels what waits (`ECANCELED`), emits 'close' and calls `cb`.
  /// Throws `ERR_SOCKET_DGRAM_NOT_RUNNING` if already closed.
  Socket& close(Listener cb);
  /// `socket.close()`: as `close(cb)` without a callback (no empty
  /// Listener built and destroyed by every caller).
  Socket& close();

  // --- addresses ------------------------------------------------------------
  /// `socket.address()`: the local address. Throws `EBADF` (syscall
  /// getsockname) when unbound, `ERR_SOCKET_DGRAM_NOT_RUNNING` when closed.
  AddressInfo address() const;
  /// `socket.remoteAddress()`: the connected peer. Throws
  /// `ERR_SOCKET_DGRAM_NOT_CONNECTED` when not connected.
  AddressInfo remoteAddress() const;

  // --- multicast and broadcast ----------------------------------------------
  /// `socket.addMembership(group[, iface])`: joins a multicast group (binds
  /// first if needed). Throws `ERR_MISSING_ARGS` (no group), `EINVAL`
  /// (not an address), or the system's error (syscall addMembership).
  void addMembership(std::string_view multicastAddress,
                     std::string_view multicastInterface = {});
  /// `socket.dropMembership(group[, iface])`: leaves a group; throws as
  /// `addMembership` (`EADDRNOTAVAIL` if not a member).
  void dropMembership(std::string_view multicastAddress,
                      std::string_view multicastInterface = {});
  /// `socket.addSourceSpecificMembership(source, group[, iface])`: joins a
  /// source-specific group. Throws `EINVAL` or the system's error.
  void addSourceSpecificMembership(std::string_view sourceAddress,
                                   std::string_view groupAddress,
                                   std::string_view multicastInterface = {});
  /// `socket.dropSourceSpecificMembership(source, group[, iface])`: leaves
  /// it; throws as `addSourceSpecificMembership`.
  void dropSourceSpecificMembership(std::string_view sourceAddress,
                                    std::string_view groupAddress,
                                    std::string_view multicastInterface = {});
  /// `socket.setBroadcast(flag)`: SO_BROADCAST. Throws `EBADF` when unbound.
  void setBroadcast(bool flag);
  /// `socket.setMulticastInterface(iface)`: the outgoing multicast
  /// interface (an IPv4 address; IPv6: `::%eth0` or `::%3`). Throws
  /// `EBADF` when unbound, `EINVAL` unparsable, `EADDRNOTAVAIL` unknown.
  void setMulticastInterface(std::string_view multicastInterface);
  /// `socket.setMulticastLoopback(flag)`: returns `flag`. Throws `EBADF`
  /// when unbound. Where it applies differs, as in Node: on Linux and the
  /// BSDs the sending socket decides whether its own multicast datagrams
  /// come back to this host; on Windows (`IP_MULTICAST_LOOP` on the
  /// receiving side) the receiving socket decides whether it hears the
  /// datagrams this host sent.
  bool setMulticastLoopback(bool flag);
  /// `socket.setMulticastTTL(ttl)`, 0..255: returns `ttl`. Throws `EINVAL`
  /// out of range, `EBADF` when unbound.
  int setMulticastTTL(int ttl);
  /// `socket.setTTL(ttl)`, 1..255: returns `ttl`. Throws `EINVAL` out of
  /// range, `EBADF` when unbound.
  int setTTL(int ttl);
  /// Beyond Node: the TOS byte (IPv4, IP_TOS) or traffic class (IPv6,
  /// IPV6_TCLASS, and IP_TOS for the IPv4 traffic of a dual-stack socket)
  /// of the datagrams it sends, 0..255: DSCP in the six high bits, ECN in
  /// the two low ones. Returns `tos`. Throws `EINVAL` out of range, `EBADF`
  /// when unbound, or the system's error (syscall setTOS): `ENOTSUP` on a
  /// udp6 socket where the system has no `IPV6_TCLASS` socket option
  /// (older Windows builds, wine). Windows accepts `IP_TOS` but, without
  /// a QoS policy, may leave the byte off the wire.
  int setTOS(int tos);

  // --- buffers and queue
  // ------------------------------------------------------
  /// `socket.getRecvBufferSize()`: SO_RCVBUF in bytes. Throws
  /// `ERR_SOCKET_BUFFER_SIZE` (`EBADF` inside when unbound).
  int getRecvBufferSize() const;
  /// `socket.setRecvBufferSize(size)`. Throws `ERR_SOCKET_BAD_BUFFER_SIZE`
  /// for size <= 0, `ERR_SOCKET_BUFFER_SIZE` when unbound or refused.
  void setRecvBufferSize(int size);
  /// `socket.getSendBufferSize()`: SO_SNDBUF; throws as
  /// `getRecvBufferSize`.
  int getSendBufferSize() const;
  /// `socket.setSendBufferSize(size)`; throws as `setRecvBufferSize`.
  void setSendBufferSize(int size);
  /// `socket.getSendQueueSize()`: bytes accepted by `send` and not yet
  /// handed to the kernel, including sends waiting for the end of the
  /// current loop turn (0 once closed).
  std::size_t getSendQueueSize() const;
  /// `socket.getSendQueueCount()`: datagrams waiting likewise.
  std::size_t getSendQueueCount() const;

  /// The kernel features in use (see KernelFeatures). Beyond Node.
  KernelFeatures kernelFeatures() const;

  // --- error-returning forms (for builds without exceptions) ---------------
  // Each does what the form without `error` does, but an error that one
  // throws is stored in `error` instead (which is reset on success), and
  // leaves the socket as the throw would have. Errors reported later
  // (callbacks, 'error') are reported as by the plain form. In a build
  // without exceptions, what the other forms would throw goes to the
  // ErrorHandler (dgram/exceptions.hpp); these forms never call it.

  /// `bind(port, address, cb)`, the error returned.
  Socket& bind(int port, Host address, Listener cb,
               std::optional<Error>& error);
  /// `bind(options, cb)`, the error returned (`ERR_INVALID_FD_TYPE`, or
  /// `open`'s system error, for `options.fd`).
  Socket& bind(const BindOptions& options, Listener cb,
               std::optional<Error>& error);
  /// `connect(port, address, cb)`, the error returned.
  void connect(int port, Host address, ConnectCallback cb,
               std::optional<Error>& error);
  /// `disconnect()`, the error returned.
  void disconnect(std::optional<Error>& error);
  /// `send(msg, port, address, cb)`, the error returned
  /// (`ERR_SOCKET_BAD_PORT`...). Other shapes: slice or join into one
  /// ByteView (or Buffer) first.
  void send(ByteView msg, int port, Host address, SendCallback cb,
            std::optional<Error>& error);
  /// The connected `send(msg, cb)`, the error returned.
  void send(ByteView msg, SendCallback cb, std::optional<Error>& error);
  /// `close(cb)`, the error returned (`ERR_SOCKET_DGRAM_NOT_RUNNING`
  /// when already closed).
  Socket& close(Listener cb, std::optional<Error>& error);
  /// `address()`, the error returned (and an empty AddressInfo).
  AddressInfo address(std::optional<Error>& error) const;
  /// `remoteAddress()`, the error returned (and an empty AddressInfo).
  AddressInfo remoteAddress(std::optional<Error>& error) const;
  /// `addMembership(group, iface)` (empty iface = the system's choice),
  /// the error returned (the system's refusal, syscall addMembership).
  void addMembership(std::string_view multicastAddress,
                     std::string_view multicastInterface,
                     std::optional<Error>& error);
  /// `dropMembership(group, iface)`, the error returned.
  void dropMembership(std::string_view multicastAddress,
                      std::string_view multicastInterface,
                      std::optional<Error>& error);
  /// `addSourceSpecificMembership(source, group, iface)`, the error
  /// returned.
  void addSourceSpecificMembership(std::string_view sourceAddress,
                                   std::string_view groupAddress,
                                   std::string_view multicastInterface,
                                   std::optional<Error>& error);
  /// `dropSourceSpecificMembership(source, group, iface)`, the error
  /// returned.
  void dropSourceSpecificMembership(std::string_view sourceAddress,
                                    std::string_view groupAddress,
                                    std::string_view multicastInterface,
                                    std::optional<Error>& error);
  /// `setBroadcast(flag)`, the error returned.
  void setBroadcast(bool flag, std::optional<Error>& error);
  /// `setMulticastInterface(iface)`, the error returned.
  void setMulticastInterface(std::string_view multicastInterface,
                             std::optional<Error>& error);
  /// `setMulticastLoopback(flag)`, the error returned; returns `flag`.
  bool setMulticastLoopback(bool flag, std::optional<Error>& error);
  /// `setMulticastTTL(ttl)`, the error returned; returns `ttl`.
  int setMulticastTTL(int ttl, std::optional<Error>& error);
  /// `setTTL(ttl)`, the error returned; returns `ttl`.
  int setTTL(int ttl, std::optional<Error>& error);
  /// `setTOS(tos)`, the error returned; returns `tos`.
  int setTOS(int tos, std::optional<Error>& error);
  /// `getRecvBufferSize()`, the error returned (and 0).
  int getRecvBufferSize(std::optional<Error>& error) const;
  /// `setRecvBufferSize(size)`, the error returned.
  void setRecvBufferSize(int size, std::optional<Error>& error);
  /// `getSendBufferSize()`, the error returned (and 0).
  int getSendBufferSize(std::optional<Error>& error) const;
  /// `setSendBufferSize(size)`, the error returned.
  void setSendBufferSize(int size, std::optional<Error>& error);

  // --- liveness
  // ---------------------------------------------------------------
  /// `socket.ref()`: the socket keeps `Loop::run()` running again (the
  /// default).
  Socket& ref();
  /// `socket.unref()`: `Loop::run()` may return while this socket is open.
  Socket& unref();

  /// The loop this socket runs on.
  Loop& loop() const;
  /// udp4 or udp6.
  Type type() const;

 private:
  // Node's socket state machine, defined inside the library: the object
  // createSocket makes is an Impl, which derives from Socket, so that the
  // socket, its state and the shared_ptr's control block are one
  // allocation. A Socket holds no data of its own.
  class Impl;
  // The state machine reaches its public object through Impl.
  friend class detail::SocketImpl;
  Socket() = default;
  friend DGRAM_API std::shared_ptr<Socket> createSocket(const SocketOptions&,
                                                        MessageListener);
  friend DGRAM_API std::shared_ptr<Socket> createSocket(const SocketOptions&);
  Impl& impl() noexcept;
  const Impl& impl() const noexcept;
  // The send forms that take a vector over (templates, so that a braced
  // list of strings never reads as a vector's iterator pair).
  void takeAndSend(std::vector<std::uint8_t>& buffer, bool hasPort, int port,
                   Host address, SendCallback cb);
};

/// `dgram.createSocket('udp4' | 'udp6'[, onMessage])` on the default loop;
/// any other string throws `ERR_SOCKET_BAD_TYPE`. `onMessage` is added as a
/// 'message' listener.
DGRAM_API std::shared_ptr<Socket> createSocket(std::string_view type,
                                               MessageListener onMessage = {});
/// `dgram.createSocket(type[, onMessage])` on the default loop.
DGRAM_API std::shared_ptr<Socket> createSocket(Type type,
                                               MessageListener onMessage = {});
/// `dgram.createSocket(options[, onMessage])`. Throws
/// `ERR_SOCKET_BAD_BUFFER_SIZE` for a negative buffer size; a socket made
/// with an already-aborted `signal` is closed at once.
DGRAM_API std::shared_ptr<Socket> createSocket(const SocketOptions& options,
                                               MessageListener onMessage);
/// `dgram.createSocket(options)`: as above without a 'message' listener
/// (no empty MessageListener built and destroyed by every caller).
DGRAM_API std::shared_ptr<Socket> createSocket(const SocketOptions& options);
/// `createSocket(options, onMessage)`, the error returned: nullptr and
/// `error` set (`ERR_SOCKET_BAD_BUFFER_SIZE`) where that one throws.
DGRAM_API std::shared_ptr<Socket> createSocket(const SocketOptions& options,
                                               MessageListener onMessage,
                                               std::optional<Error>& error);

/// RAII ownership, the C++ form of `socket[Symbol.asyncDispose]()`: the
/// destructor closes the socket if it is still open.
class DGRAM_API ScopedSocket {
 public:
  /// Owns no socket.
  ScopedSocket() = default;
  /// Takes a socket to close when this goes out of scope.
  explicit ScopedSocket(std::shared_ptr<Socket> socket)
      : socket_(std::move(socket)) {}
  /// Moves ownership; `other` owns nothing afterwards.
  ScopedSocket(ScopedSocket&&) noexcept = default;
  /// Closes the socket owned so far (if open), then takes `other`'s.
  ScopedSocket& operator=(ScopedSocket&& other) noexcept;
  /// Closes the socket if it is still open.
  ~ScopedSocket();

  /// The socket (nullptr if none).
  Socket* operator->() const noexcept { return socket_.get(); }
  /// The socket (one must be owned).
  Socket& operator*() const noexcept { return *socket_; }
  /// The owned socket's handle.
  const std::shared_ptr<Socket>& get() const noexcept { return socket_; }
  /// Closes now if still open (what the destructor does).
  void reset();

 private:
  std::shared_ptr<Socket> socket_;
};

}  // namespace dgram

DGRAM_DLL_WARNINGS_POP
