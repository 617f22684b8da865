// Windows: bind({fd}) with a SOCKET made outside the library (issue 22,
// item 5), and how the library makes its own sockets. The POSIX versions
// of the adopt tests are in udp_bind.cpp.
#include "support/catch.hpp"

#ifdef _WIN32

#include <optional>
#include <string>
#include <vector>

#include "common/fault_injection.hpp"
#include "support/fault_scope.hpp"
#include "support/socket_helpers.hpp"
#include "win32/winsock.hpp"  // the Windows headers, in the order they need

namespace {

using namespace std::chrono_literals;

/// A UDP socket made with WSASocketW and bound to 127.0.0.1 on a random
/// port; closed at the end unless released (adopted sockets are the
/// library's to close).
class RawSocket {
 public:
  explicit RawSocket(DWORD flags) {
    socket_ = ::WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0, flags);
    REQUIRE(socket_ != INVALID_SOCKET);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(socket_, reinterpret_cast<sockaddr*>(&local),
                   sizeof local) == 0);
    int length = sizeof local;
    REQUIRE(::getsockname(socket_, reinterpret_cast<sockaddr*>(&local),
                          &length) == 0);
    port_ = ntohs(local.sin_port);
  }
  ~RawSocket() {
    if (socket_ != INVALID_SOCKET) ::closesocket(socket_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  SOCKET get() const { return socket_; }
  int port() const { return port_; }
  /// The library adopted it: it closes it.
  void release() { socket_ = INVALID_SOCKET; }

  /// Connects it to 127.0.0.1:`port`.
  void connectTo(int port) {
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    peer.sin_port = htons(static_cast<u_short>(port));
    REQUIRE(::connect(socket_, reinterpret_cast<sockaddr*>(&peer),
                      sizeof peer) == 0);
  }

  /// Sends `text` to 127.0.0.1:`port` by itself (blocking or not, it is a
  /// datagram on loopback): true if the system took it.
  bool sendTo(int port, const std::string& text) {
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    peer.sin_port = htons(static_cast<u_short>(port));
    return ::sendto(socket_, text.data(), static_cast<int>(text.size()), 0,
                    reinterpret_cast<sockaddr*>(&peer),
                    sizeof peer) == static_cast<int>(text.size());
  }

 private:
  SOCKET socket_ = INVALID_SOCKET;
  int port_ = 0;
};

dgram::BindOptions adopting(SOCKET socket) {
  dgram::BindOptions options;
  options.fd = static_cast<std::intptr_t>(socket);
  return options;
}

/// A refused adoption: thrown with syscall 'open', nothing adopted (the
/// same dgram socket then adopts a good one and receives through it).
void checkRefused(dgram::Loop& loop, RawSocket& refused,
                  const char* expectedCode) {
  auto socket = test::makeSocket(loop);
  std::string received;
  socket->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    received = msg.str();
  });
  dgram::Error e =
      test::thrownBy([&] { socket->bind(adopting(refused.get())); });
  CHECK(e.code() == expectedCode);
  CHECK(e.syscall() == "open");
  // Still the caller's, and still working.
  RawSocket peer(WSA_FLAG_OVERLAPPED);
  CHECK(refused.sendTo(peer.port(), "still mine"));

  RawSocket good(WSA_FLAG_OVERLAPPED);
  bool listening = false;
  socket->bind(adopting(good.get()), [&] { listening = true; });
  good.release();
  REQUIRE(test::runUntil(loop, [&] { return listening; }));
  CHECK(peer.sendTo(socket->address().port, "adopted"));
  CHECK(test::runUntil(loop, [&] { return received == "adopted"; }));
  socket->close();
  CHECK(test::runUntilIdle(loop));
}

}  // namespace

TEST_CASE("bind({fd}) adopts an overlapped SOCKET: it receives and sends",
          "[bind][fd][win32]") {
  dgram::Loop loop;
  RawSocket raw(WSA_FLAG_OVERLAPPED);
  const int port = raw.port();
  std::string received;
  auto socket = test::makeSocket(
      loop, dgram::Type::udp4, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received = msg.str();
      });
  bool listening = false;
  socket->bind(adopting(raw.get()), [&] { listening = true; });
  raw.release();
  CHECK(socket->address().port == port);
  REQUIRE(test::runUntil(loop, [&] { return listening; }));

  RawSocket peer(WSA_FLAG_OVERLAPPED);
  CHECK(peer.sendTo(port, "to the adopted socket"));
  REQUIRE(test::runUntil(loop, [&] { return !received.empty(); }));
  CHECK(received == "to the adopted socket");
  std::optional<dgram::Error> sendError;
  bool sent = false;
  socket->send("from it", peer.port(), "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t) {
                 sendError = err;
                 sent = true;
               });
  REQUIRE(test::runUntil(loop, [&] { return sent; }));
  CHECK_FALSE(sendError);
  char buffer[32] = {};
  int got = ::recv(peer.get(), buffer, sizeof buffer, 0);
  CHECK(std::string(buffer, got > 0 ? static_cast<std::size_t>(got) : 0) ==
        "from it");
  socket->close();  // closes the adopted SOCKET too
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("datagrams waiting before receiving starts all arrive",
          "[bind][fd][win32][receive]") {
  // The socket's first receive meets datagrams already queued: a peek
  // posted then would complete at once with WSAEMSGSIZE (wine and, as far
  // as documented, Windows still queue its packet); the socket reads
  // first and peeks only once a read finds nothing, so both arrive either
  // way. One of the real-Windows smoke checks (docs/windows.md).
  dgram::Loop loop;
  RawSocket raw(WSA_FLAG_OVERLAPPED);
  RawSocket peer(WSA_FLAG_OVERLAPPED);
  CHECK(peer.sendTo(raw.port(), "first"));
  CHECK(peer.sendTo(raw.port(), "second"));
  std::vector<std::string> received;
  auto socket = test::makeSocket(
      loop, dgram::Type::udp4, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.push_back(msg.str());
      });
  socket->bind(adopting(raw.get()));
  raw.release();
  REQUIRE(test::runUntil(loop, [&] { return received.size() == 2; }));
  CHECK(received == std::vector<std::string>{"first", "second"});
  // And the one after them, through the peek.
  CHECK(peer.sendTo(socket->address().port, "third"));
  REQUIRE(test::runUntil(loop, [&] { return received.size() == 3; }));
  socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "bind({fd}) of a SOCKET made without WSA_FLAG_OVERLAPPED "
    "throws EINVAL and leaves it alone",
    "[bind][fd][win32]") {
  // Its I/O is synchronous: the completion port refuses it, and an
  // overlapped receive on it would block the loop.
  dgram::Loop loop;
  RawSocket plain(0);
  checkRefused(loop, plain, "EINVAL");
}

TEST_CASE(
    "bind({fd}) of a SOCKET tied to another completion port "
    "throws EINVAL and leaves it alone",
    "[bind][fd][win32]") {
  // libuv, .NET or another program's port: a handle joins one port for
  // good.
  dgram::Loop loop;
  RawSocket taken(WSA_FLAG_OVERLAPPED);
  HANDLE otherPort =
      ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  REQUIRE(otherPort != nullptr);
  REQUIRE(::CreateIoCompletionPort(reinterpret_cast<HANDLE>(taken.get()),
                                   otherPort, 0, 0) == otherPort);
  checkRefused(loop, taken, "EINVAL");
  ::CloseHandle(otherPort);
}

TEST_CASE(
    "bind({fd}) of a SOCKET this loop already adopted throws "
    "EEXIST",
    "[bind][fd][win32]") {
  dgram::Loop loop;
  RawSocket raw(WSA_FLAG_OVERLAPPED);
  const SOCKET handle = raw.get();
  auto first = test::makeSocket(loop);
  first->bind(adopting(handle));
  raw.release();
  auto second = test::makeSocket(loop);
  dgram::Error e = test::thrownBy([&] { second->bind(adopting(handle)); });
  CHECK(e.code() == "EEXIST");
  CHECK(e.syscall() == "open");
  second->close();
  first->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("bind({fd}) of a TCP SOCKET throws ERR_INVALID_FD_TYPE",
          "[bind][fd][win32]") {
  dgram::Loop loop;
  SOCKET tcp = ::WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                            WSA_FLAG_OVERLAPPED);
  REQUIRE(tcp != INVALID_SOCKET);
  auto socket = test::makeSocket(loop);
  dgram::Error e = test::thrownBy([&] { socket->bind(adopting(tcp)); });
  CHECK(e.code() == "ERR_INVALID_FD_TYPE");
  CHECK(std::string(e.what()) == "Unsupported fd type: TCP");
  ::closesocket(tcp);
  socket->close();
  CHECK(test::runUntilIdle(loop));
}

#ifdef DGRAM_FAULT_INJECTION

namespace fault = dgram::detail::fault;

TEST_CASE(
    "an adopted connected SOCKET reports ICMP errors as a "
    "connected socket does",
    "[bind][fd][win32][fault]") {
  // Connected before it was adopted: the library finds its peer, so a
  // port-unreachable (injected on the peek, as wine never reports one
  // there) is ECONNREFUSED, where an unconnected socket would ignore it.
  test::FaultScope scope;
  dgram::Loop loop;
  RawSocket peer(WSA_FLAG_OVERLAPPED);
  RawSocket raw(WSA_FLAG_OVERLAPPED);
  raw.connectTo(peer.port());
  const int port = raw.port();
  std::string received;
  auto socket = test::makeSocket(
      loop, dgram::Type::udp4, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received = msg.str();
      });
  std::vector<std::string> errors;
  socket->on(dgram::error,
             [&](const dgram::Error& e) { errors.push_back(e.code()); });
  bool listening = false;
  socket->bind(adopting(raw.get()), [&] { listening = true; });
  raw.release();
  REQUIRE(test::runUntil(loop, [&] { return listening; }));
  fault::failNth(fault::Call::receivePeek, 1, WSAECONNRESET);
  CHECK(peer.sendTo(port, "from the peer"));
  REQUIRE(test::runUntil(loop, [&] { return received == "from the peer"; }));
  CHECK(errors == std::vector<std::string>{"ECONNREFUSED"});
  socket->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE(
    "sockets are made with WSA_FLAG_NO_HANDLE_INHERIT, and "
    "without it where the system refuses the flag",
    "[bind][win32][fault]") {
  // Windows 7 before SP1 answers the flag with WSAEINVAL: the socket is
  // made again without it (and made non-inheritable afterwards).
  test::FaultScope scope;
  dgram::Loop loop;
  fault::failNth(fault::Call::socket, 1, WSAEINVAL);
  int received = 0;
  auto socket = test::boundSocket(
      loop, [&](dgram::Bytes, const dgram::RemoteInfo&) { ++received; });
  CHECK(fault::calls(fault::Call::socket) == 2);
  RawSocket peer(WSA_FLAG_OVERLAPPED);
  CHECK(peer.sendTo(socket->address().port, "x"));
  CHECK(test::runUntil(loop, [&] { return received == 1; }));
  // Any other refusal is the bind's error, with no second try.
  fault::reset();
  fault::failNth(fault::Call::socket, 1, WSAEMFILE);
  auto refused = test::makeSocket(loop);
  std::vector<std::string> errors;
  refused->on(dgram::error,
              [&](const dgram::Error& e) { errors.push_back(e.code()); });
  refused->bind(0, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return !errors.empty(); }));
  CHECK(errors == std::vector<std::string>{"EMFILE"});
  CHECK(fault::calls(fault::Call::socket) == 1);
  refused->close();
  socket->close();
  CHECK(test::runUntilIdle(loop));
}

#endif  // DGRAM_FAULT_INJECTION
#endif  // _WIN32
