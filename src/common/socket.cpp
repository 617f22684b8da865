// dgram::Socket and createSocket: the public overloads, each reduced to one
// SocketImpl call. Buffer slicing (offset/length) is checked here, first,
// as Node's sliceBuffer does.
// Layer: public API.
#include "dgram/socket.hpp"

#include "common/compiler.hpp"
#include "common/errors.hpp"
#include "common/raise.hpp"
#include "common/socket_impl.hpp"
#include "common/socket_memory.hpp"

namespace dgram {
namespace {

using detail::SocketImpl;

ByteView slice(ByteView msg, std::size_t offset, std::size_t length) {
  if (offset > msg.size())
    detail::throwError(detail::errBufferOutOfBounds("offset"));
  if (length > msg.size() - offset)
    detail::throwError(detail::errBufferOutOfBounds("length"));
  return ByteView(msg.data() + offset, length);
}

// The pieces of a vector of Bytes as the views send() takes (a Bytes is
// larger than a ByteView, so the vector is not an array of them). Lists of
// up to kInline pieces, the common case, allocate nothing.
class Views {
 public:
  explicit Views(const std::vector<Bytes>& list) {
    ByteView* out = inline_;
    if (list.size() > kInline) {
      heap_.resize(list.size());
      out = heap_.data();
    }
    for (std::size_t i = 0; i < list.size(); ++i)
      out[i] = list[i];
    data_ = out;
  }
  const ByteView* data() const noexcept { return data_; }

 private:
  static constexpr std::size_t kInline = 16;
  ByteView inline_[kInline];
  std::vector<ByteView> heap_;
  const ByteView* data_ = nullptr;
};

}  // namespace

Socket::~Socket() = default;

// Inline, here where every caller is: position-independent code would
// otherwise call an exported function through its symbol (in case another
// library replaced it), a call per public method for a static_cast.
DGRAM_ALWAYS_INLINE Socket::Impl& Socket::impl() noexcept {
  return static_cast<Impl&>(*this);
}
DGRAM_ALWAYS_INLINE const Socket::Impl& Socket::impl() const noexcept {
  return static_cast<const Impl&>(*this);
}

// --- events
// -------------------------------------------------------------------

ListenerId Socket::on(MessageEvent, MessageListener fn) {
  return impl().addMessage(std::move(fn), false);
}
ListenerId Socket::on(ListeningEvent, Listener fn) {
  return impl().addPlain(SocketImpl::Event::listening, std::move(fn), false);
}
ListenerId Socket::on(ConnectEvent, Listener fn) {
  return impl().addPlain(SocketImpl::Event::connect, std::move(fn), false);
}
ListenerId Socket::on(CloseEvent, Listener fn) {
  return impl().addPlain(SocketImpl::Event::close, std::move(fn), false);
}
ListenerId Socket::on(ErrorEvent, ErrorListener fn) {
  return impl().addError(std::move(fn), false);
}
ListenerId Socket::once(MessageEvent, MessageListener fn) {
  return impl().addMessage(std::move(fn), true);
}
ListenerId Socket::once(ListeningEvent, Listener fn) {
  return impl().addPlain(SocketImpl::Event::listening, std::move(fn), true);
}
ListenerId Socket::once(ConnectEvent, Listener fn) {
  return impl().addPlain(SocketImpl::Event::connect, std::move(fn), true);
}
ListenerId Socket::once(CloseEvent, Listener fn) {
  return impl().addPlain(SocketImpl::Event::close, std::move(fn), true);
}
ListenerId Socket::once(ErrorEvent, ErrorListener fn) {
  return impl().addError(std::move(fn), true);
}
bool Socket::off(ListenerId id) {
  return impl().removeListener(id);
}

// --- bind
// -----------------------------------------------------------------------

Socket& Socket::bind() {
  return bind(0, Host{}, Listener{});
}
Socket& Socket::bind(int port) {
  return bind(port, Host{}, Listener{});
}
Socket& Socket::bind(int port, Host address) {
  return bind(port, address, Listener{});
}
Socket& Socket::bind(int port, Host address, Listener cb) {
  return impl().bind(port, address, std::move(cb));
}
Socket& Socket::bind(int port, Listener cb) {
  return bind(port, Host{}, std::move(cb));
}
Socket& Socket::bind(Listener cb) {
  return bind(0, Host{}, std::move(cb));
}
Socket& Socket::bind(const BindOptions& options, Listener cb) {
  if (options.fd >= 0)
    impl().bindFd(options.fd, std::move(cb));
  else
    impl().bind(options.port, options.address, std::move(cb));
  return *this;
}

// --- connect
// --------------------------------------------------------------------

void Socket::connect(int port, Host address, ConnectCallback cb) {
  impl().connect(port, address, std::move(cb));
}
void Socket::connect(int port, ConnectCallback cb) {
  impl().connect(port, {}, std::move(cb));
}
void Socket::disconnect() {
  impl().disconnect();
}

// --- send
// -----------------------------------------------------------------------

// send(msg, port[, address][, cb]), the usual forms: in socket_send.cpp,
// with the steady state they run (one call less per datagram).
void Socket::send(ByteView msg, int port, Host address, const SendFrom& from,
                  SendCallback cb) {
  impl().send(&msg, 1, true, port, address, std::move(cb), &from);
}
void Socket::takeAndSend(std::vector<std::uint8_t>& buffer, bool hasPort,
                         int port, Host address, SendCallback cb) {
  impl().sendBuffer(buffer, hasPort, port, address, std::move(cb));
}
void Socket::send(ByteView msg, std::size_t offset, std::size_t length,
                  int port, Host address, SendCallback cb) {
  ByteView part = slice(msg, offset, length);
  impl().send(&part, 1, true, port, address, std::move(cb));
}
void Socket::send(ByteView msg, std::size_t offset, std::size_t length,
                  int port, SendCallback cb) {
  ByteView part = slice(msg, offset, length);
  impl().send(&part, 1, true, port, {}, std::move(cb));
}
void Socket::send(std::initializer_list<ByteView> list, int port, Host address,
                  SendCallback cb) {
  impl().send(list.begin(), list.size(), true, port, address, std::move(cb));
}
void Socket::send(std::initializer_list<ByteView> list, int port,
                  SendCallback cb) {
  impl().send(list.begin(), list.size(), true, port, {}, std::move(cb));
}
void Socket::send(const std::vector<Bytes>& list, int port, Host address,
                  SendCallback cb) {
  Views views(list);
  impl().send(views.data(), list.size(), true, port, address, std::move(cb));
}
void Socket::send(const std::vector<Bytes>& list, int port, SendCallback cb) {
  Views views(list);
  impl().send(views.data(), list.size(), true, port, {}, std::move(cb));
}
void Socket::send(ByteView msg, SendCallback cb) {
  impl().send(&msg, 1, false, 0, {}, std::move(cb));
}
void Socket::send(ByteView msg, std::size_t offset, std::size_t length,
                  SendCallback cb) {
  ByteView part = slice(msg, offset, length);
  impl().send(&part, 1, false, 0, {}, std::move(cb));
}
void Socket::send(std::initializer_list<ByteView> list, SendCallback cb) {
  impl().send(list.begin(), list.size(), false, 0, {}, std::move(cb));
}
void Socket::send(const std::vector<Bytes>& list, SendCallback cb) {
  Views views(list);
  impl().send(views.data(), list.size(), false, 0, {}, std::move(cb));
}

// --- the rest
// ---------------------------------------------------------------------

Socket& Socket::close(Listener cb) {
  impl().close(std::move(cb));
  return *this;
}
Socket& Socket::close() {
  return impl().close();  // the socket itself: a jump, no frame here
}
AddressInfo Socket::address() const {
  return impl().address();
}
AddressInfo Socket::remoteAddress() const {
  return impl().remoteAddress();
}

void Socket::addMembership(std::string_view group, std::string_view iface) {
  impl().membership(group, iface, true);
}
void Socket::dropMembership(std::string_view group, std::string_view iface) {
  impl().membership(group, iface, false);
}
void Socket::addSourceSpecificMembership(std::string_view source,
                                         std::string_view group,
                                         std::string_view iface) {
  impl().sourceMembership(source, group, iface, true);
}
void Socket::dropSourceSpecificMembership(std::string_view source,
                                          std::string_view group,
                                          std::string_view iface) {
  impl().sourceMembership(source, group, iface, false);
}
void Socket::setBroadcast(bool flag) {
  impl().setBroadcast(flag);
}
void Socket::setMulticastInterface(std::string_view iface) {
  impl().setMulticastInterface(iface);
}
bool Socket::setMulticastLoopback(bool flag) {
  impl().setMulticastLoopback(flag);
  return flag;
}
int Socket::setMulticastTTL(int ttl) {
  impl().setMulticastTTL(ttl);
  return ttl;
}
int Socket::setTOS(int tos) {
  impl().setTOS(tos);
  return tos;
}
int Socket::setTTL(int ttl) {
  impl().setTTL(ttl);
  return ttl;
}

int Socket::getRecvBufferSize() const {
  // Reading the size changes nothing (the getter is not const inside).
  return const_cast<Socket*>(this)->impl().bufferSize(
      detail::BufferKind::receive, std::nullopt);
}
void Socket::setRecvBufferSize(int size) {
  impl().bufferSize(detail::BufferKind::receive, size);
}
int Socket::getSendBufferSize() const {
  // Reading the size changes nothing (the getter is not const inside).
  return const_cast<Socket*>(this)->impl().bufferSize(detail::BufferKind::send,
                                                      std::nullopt);
}
void Socket::setSendBufferSize(int size) {
  impl().bufferSize(detail::BufferKind::send, size);
}
std::size_t Socket::getSendQueueSize() const {
  return impl().sendQueueSize();
}
std::size_t Socket::getSendQueueCount() const {
  return impl().sendQueueCount();
}
KernelFeatures Socket::kernelFeatures() const {
  return impl().kernelFeatures();
}

// --- error-returning forms
// ---------------------------------------------------------
// The state machine takes a sink: the error goes there instead of being
// raised. `error` is reset first, so that it says how this call went.

Socket& Socket::bind(int port, Host address, Listener cb,
                     std::optional<Error>& error) {
  error.reset();
  impl().bind(port, address, std::move(cb), &error);
  return *this;
}
Socket& Socket::bind(const BindOptions& options, Listener cb,
                     std::optional<Error>& error) {
  error.reset();
  if (options.fd >= 0)
    impl().bindFd(options.fd, std::move(cb), &error);
  else
    impl().bind(options.port, options.address, std::move(cb), &error);
  return *this;
}
void Socket::connect(int port, Host address, ConnectCallback cb,
                     std::optional<Error>& error) {
  error.reset();
  impl().connect(port, address, std::move(cb), &error);
}
void Socket::disconnect(std::optional<Error>& error) {
  error.reset();
  impl().disconnect(&error);
}
void Socket::send(ByteView msg, int port, Host address, SendCallback cb,
                  std::optional<Error>& error) {
  error.reset();
  impl().send(&msg, 1, true, port, address, std::move(cb), nullptr, nullptr,
              &error);
}
void Socket::send(ByteView msg, SendCallback cb, std::optional<Error>& error) {
  error.reset();
  impl().send(&msg, 1, false, 0, {}, std::move(cb), nullptr, nullptr, &error);
}
Socket& Socket::close(Listener cb, std::optional<Error>& error) {
  error.reset();
  impl().close(std::move(cb), &error);
  return *this;
}
AddressInfo Socket::address(std::optional<Error>& error) const {
  error.reset();
  return impl().address(&error);
}
AddressInfo Socket::remoteAddress(std::optional<Error>& error) const {
  error.reset();
  return impl().remoteAddress(&error);
}
void Socket::addMembership(std::string_view group, std::string_view iface,
                           std::optional<Error>& error) {
  error.reset();
  impl().membership(group, iface, true, &error);
}
void Socket::dropMembership(std::string_view group, std::string_view iface,
                            std::optional<Error>& error) {
  error.reset();
  impl().membership(group, iface, false, &error);
}
void Socket::addSourceSpecificMembership(std::string_view source,
                                         std::string_view group,
                                         std::string_view iface,
                                         std::optional<Error>& error) {
  error.reset();
  impl().sourceMembership(source, group, iface, true, &error);
}
void Socket::dropSourceSpecificMembership(std::string_view source,
                                          std::string_view group,
                                          std::string_view iface,
                                          std::optional<Error>& error) {
  error.reset();
  impl().sourceMembership(source, group, iface, false, &error);
}
void Socket::setBroadcast(bool flag, std::optional<Error>& error) {
  error.reset();
  impl().setBroadcast(flag, &error);
}
void Socket::setMulticastInterface(std::string_view iface,
                                   std::optional<Error>& error) {
  error.reset();
  impl().setMulticastInterface(iface, &error);
}
bool Socket::setMulticastLoopback(bool flag, std::optional<Error>& error) {
  error.reset();
  impl().setMulticastLoopback(flag, &error);
  return flag;
}
int Socket::setMulticastTTL(int ttl, std::optional<Error>& error) {
  error.reset();
  impl().setMulticastTTL(ttl, &error);
  return ttl;
}
int Socket::setTTL(int ttl, std::optional<Error>& error) {
  error.reset();
  impl().setTTL(ttl, &error);
  return ttl;
}
int Socket::setTOS(int tos, std::optional<Error>& error) {
  error.reset();
  impl().setTOS(tos, &error);
  return tos;
}
int Socket::getRecvBufferSize(std::optional<Error>& error) const {
  error.reset();
  return const_cast<Socket*>(this)->impl().bufferSize(
      detail::BufferKind::receive, std::nullopt, &error);
}
void Socket::setRecvBufferSize(int size, std::optional<Error>& error) {
  error.reset();
  impl().bufferSize(detail::BufferKind::receive, size, &error);
}
int Socket::getSendBufferSize(std::optional<Error>& error) const {
  error.reset();
  return const_cast<Socket*>(this)->impl().bufferSize(detail::BufferKind::send,
                                                      std::nullopt, &error);
}
void Socket::setSendBufferSize(int size, std::optional<Error>& error) {
  error.reset();
  impl().bufferSize(detail::BufferKind::send, size, &error);
}

Socket& Socket::ref() {
  impl().ref();
  return *this;
}
Socket& Socket::unref() {
  impl().unref();
  return *this;
}
Loop& Socket::loop() const {
  return impl().loop();
}
Type Socket::type() const {
  return impl().type();
}

// --- createSocket
// ---------------------------------------------------------------

std::shared_ptr<Socket> createSocket(const SocketOptions& options) {
  Loop& loop = options.loop ? *options.loop : Loop::defaultLoop();
  // One allocation: the control block, the Socket and its state, from the
  // sockets' own pool (common/socket_memory.hpp).
  auto socket = std::allocate_shared<Socket::Impl>(
      detail::SocketAllocator<Socket::Impl>(), options, loop);
  socket->attachOwner();
  return socket;
}

std::shared_ptr<Socket> createSocket(const SocketOptions& options,
                                     MessageListener onMessage) {
  if (!onMessage) return createSocket(options);
  Loop& loop = options.loop ? *options.loop : Loop::defaultLoop();
  auto socket = std::allocate_shared<Socket::Impl>(
      detail::SocketAllocator<Socket::Impl>(), options, loop);
  // Listening before the abort signal is heard (a signal aborted already
  // closes the socket at once).
  socket->addMessage(std::move(onMessage), false);
  socket->attachOwner();
  return socket;
}

std::shared_ptr<Socket> createSocket(const SocketOptions& options,
                                     MessageListener onMessage,
                                     std::optional<Error>& error) {
  // What the socket's constructor would refuse, checked before it runs.
  error.reset();
  if (options.recvBufferSize < 0 || options.sendBufferSize < 0) {
    error = detail::errSocketBadBufferSize();
    return nullptr;
  }
  return createSocket(options, std::move(onMessage));
}

std::shared_ptr<Socket> createSocket(Type type, MessageListener onMessage) {
  SocketOptions options;
  options.type = type;
  return createSocket(options, std::move(onMessage));
}

std::shared_ptr<Socket> createSocket(std::string_view type,
                                     MessageListener onMessage) {
  if (type == "udp4") return createSocket(Type::udp4, std::move(onMessage));
  if (type == "udp6") return createSocket(Type::udp6, std::move(onMessage));
  detail::throwError(detail::errSocketBadType());
}

}  // namespace dgram
