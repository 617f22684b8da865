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
#include <vector>

#include "dgram/abort.hpp"
#include "dgram/address.hpp"
#include "dgram/bytes.hpp"
#include "dgram/error.hpp"
#include "dgram/loop.hpp"

namespace dgram {

// Event tags: `socket.on(dgram::message, fn)` reads like Node's
// `socket.on('message', fn)`.
struct MessageEvent {};
struct ListeningEvent {};
struct ConnectEvent {};
struct CloseEvent {};
struct ErrorEvent {};
inline constexpr MessageEvent message{};
inline constexpr ListeningEvent listening{};
inline constexpr ConnectEvent connect{};
inline constexpr CloseEvent close{};
inline constexpr ErrorEvent error{};

/// A host argument of bind, connect and send: anything string-like
/// ("127.0.0.1", a std::string, a string_view), but never a number, so
/// that `send(msg, 0, 0)` reads as offset and length, as in Node.
class Host {
 public:
  Host() = default;
  template <typename T,
            typename = std::enable_if_t<
                std::is_convertible_v<const T&, std::string_view> &&
                !std::is_arithmetic_v<T> && !std::is_null_pointer_v<T>>>
  Host(const T& text)  // NOLINT: implicit, like a JS string argument
      : text_(std::string_view(text)) {}

  std::string_view view() const noexcept { return text_; }
  operator std::string_view() const noexcept { return text_; }  // NOLINT

 private:
  std::string_view text_;
};

/// 'message' listener: the payload (valid during the call) and its sender.
using MessageListener = std::function<void(Bytes msg, const RemoteInfo&)>;
/// 'listening', 'connect' and 'close' listeners.
using Listener = std::function<void()>;
/// 'error' listener.
using ErrorListener = std::function<void(const Error&)>;
/// Identifies a listener for `off`.
using ListenerId = std::uint64_t;

/// Send callback: no error and the bytes sent, or the error.
using SendCallback =
    std::function<void(const std::optional<Error>& err, std::size_t bytes)>;
/// Connect callback: no error on success.
using ConnectCallback = std::function<void(const std::optional<Error>& err)>;

/// What a custom lookup reports: an error, or an address of `family`.
using LookupCallback = std::function<void(
    const std::optional<Error>& err, std::string_view address, Family family)>;
/// A custom name lookup, as Node's `lookup` option (`dns.lookup` shape).
/// It may call `done` later, or never if the socket closed meanwhile.
using LookupFunction = std::function<void(std::string_view hostname,
                                          Family family, LookupCallback done)>;

/// `dgram.createSocket(options)`.
struct SocketOptions {
  Type type = Type::udp4;
  bool reuseAddr = false;
  bool reusePort = false;
  bool ipv6Only = false;
  int recvBufferSize = 0;  ///< 0 = leave the OS default
  int sendBufferSize = 0;  ///< 0 = leave the OS default
  LookupFunction lookup;   ///< empty = the built-in resolver
  AbortSignal signal;      ///< empty = none
  Loop* loop = nullptr;    ///< nullptr = Loop::defaultLoop()
};

/// `socket.bind(options)`.
struct BindOptions {
  int port = 0;
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
/// `createSocket`. It stays alive while open, even when the caller drops
/// its `shared_ptr`; the loop lets go of it after 'close'.
class Socket : public std::enable_shared_from_this<Socket> {
 public:
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // --- events -----------------------------------------------------------
  ListenerId on(MessageEvent, MessageListener fn);
  ListenerId on(ListeningEvent, Listener fn);
  ListenerId on(ConnectEvent, Listener fn);
  ListenerId on(CloseEvent, Listener fn);
  ListenerId on(ErrorEvent, ErrorListener fn);
  ListenerId once(MessageEvent, MessageListener fn);
  ListenerId once(ListeningEvent, Listener fn);
  ListenerId once(ConnectEvent, Listener fn);
  ListenerId once(CloseEvent, Listener fn);
  ListenerId once(ErrorEvent, ErrorListener fn);
  /// Removes a listener; returns whether it was registered.
  bool off(ListenerId id);

  // --- bind ---------------------------------------------------------------
  Socket& bind();
  Socket& bind(int port);
  Socket& bind(int port, Host address);
  Socket& bind(int port, Host address, Listener cb);
  Socket& bind(int port, Listener cb);
  Socket& bind(Listener cb);
  Socket& bind(const BindOptions& options, Listener cb = {});

  // --- connect ------------------------------------------------------------
  void connect(int port, Host address = {}, ConnectCallback cb = {});
  void connect(int port, ConnectCallback cb);
  void disconnect();

  // --- send (unconnected) ---------------------------------------------------
  void send(Bytes msg, int port, Host address = {}, SendCallback cb = {});
  /// (A template, so that a literal 0 in `send(msg, 2, 0)` is a length,
  /// never an empty callback.)
  template <typename F, typename = std::enable_if_t<std::is_invocable_v<
                            F&, const std::optional<Error>&, std::size_t>>>
  void send(Bytes msg, int port, F&& cb) {
    send(msg, port, Host{}, SendCallback(std::forward<F>(cb)));
  }
  void send(Bytes msg, std::size_t offset, std::size_t length, int port,
            Host address = {}, SendCallback cb = {});
  void send(Bytes msg, std::size_t offset, std::size_t length, int port,
            SendCallback cb);
  void send(std::initializer_list<Bytes> list, int port, Host address = {},
            SendCallback cb = {});
  void send(std::initializer_list<Bytes> list, int port, SendCallback cb);
  void send(const std::vector<Bytes>& list, int port, Host address = {},
            SendCallback cb = {});
  void send(const std::vector<Bytes>& list, int port, SendCallback cb);

  // --- send (connected) -----------------------------------------------------
  void send(Bytes msg, SendCallback cb = {});
  void send(Bytes msg, std::size_t offset, std::size_t length,
            SendCallback cb = {});
  void send(std::initializer_list<Bytes> list, SendCallback cb = {});
  void send(const std::vector<Bytes>& list, SendCallback cb = {});

  // --- close --------------------------------------------------------------
  Socket& close(Listener cb = {});

  // --- addresses ------------------------------------------------------------
  AddressInfo address() const;
  AddressInfo remoteAddress() const;

  // --- multicast and broadcast ----------------------------------------------
  void addMembership(std::string_view multicastAddress,
                     std::string_view multicastInterface = {});
  void dropMembership(std::string_view multicastAddress,
                      std::string_view multicastInterface = {});
  void addSourceSpecificMembership(std::string_view sourceAddress,
                                   std::string_view groupAddress,
                                   std::string_view multicastInterface = {});
  void dropSourceSpecificMembership(std::string_view sourceAddress,
                                    std::string_view groupAddress,
                                    std::string_view multicastInterface = {});
  void setBroadcast(bool flag);
  void setMulticastInterface(std::string_view multicastInterface);
  bool setMulticastLoopback(bool flag);
  int setMulticastTTL(int ttl);
  int setTTL(int ttl);

  // --- buffers and queue
  // ------------------------------------------------------
  int getRecvBufferSize() const;
  void setRecvBufferSize(int size);
  int getSendBufferSize() const;
  void setSendBufferSize(int size);
  std::size_t getSendQueueSize() const;
  std::size_t getSendQueueCount() const;

  // --- liveness
  // ---------------------------------------------------------------
  Socket& ref();
  Socket& unref();

  /// The loop this socket runs on.
  Loop& loop() const;
  /// udp4 or udp6.
  Type type() const;

 private:
  // Node's socket state machine, defined inside the library; only
  // createSocket makes one.
  class Impl;
  explicit Socket(std::unique_ptr<Impl> impl);
  friend std::shared_ptr<Socket> createSocket(const SocketOptions&,
                                              MessageListener);
  std::unique_ptr<Impl> impl_;
};

/// `dgram.createSocket('udp4' | 'udp6')`; any other string throws
/// `ERR_SOCKET_BAD_TYPE`.
std::shared_ptr<Socket> createSocket(std::string_view type,
                                     MessageListener onMessage = {});
std::shared_ptr<Socket> createSocket(Type type, MessageListener onMessage = {});
std::shared_ptr<Socket> createSocket(const SocketOptions& options,
                                     MessageListener onMessage = {});

/// RAII ownership, the C++ form of `socket[Symbol.asyncDispose]()`: the
/// destructor closes the socket if it is still open.
class ScopedSocket {
 public:
  ScopedSocket() = default;
  explicit ScopedSocket(std::shared_ptr<Socket> socket)
      : socket_(std::move(socket)) {}
  ScopedSocket(ScopedSocket&&) noexcept = default;
  ScopedSocket& operator=(ScopedSocket&& other) noexcept;
  ~ScopedSocket();

  Socket* operator->() const noexcept { return socket_.get(); }
  Socket& operator*() const noexcept { return *socket_; }
  const std::shared_ptr<Socket>& get() const noexcept { return socket_; }
  /// Closes now if still open (what the destructor does).
  void reset();

 private:
  std::shared_ptr<Socket> socket_;
};

}  // namespace dgram
