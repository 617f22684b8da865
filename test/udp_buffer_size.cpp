// Receive and send buffer sizes (reference O7).
#include "support/catch.hpp"

#include <limits>
#include <optional>
#include <string>

#include "support/helpers.hpp"
#include "support/socket_helpers.hpp"

namespace {

using test::boundSocket;
using test::thrownBy;

using namespace std::chrono_literals;

void checkBufferSizeError(const dgram::Error& e) {
  CHECK(e.code() == "ERR_SOCKET_BUFFER_SIZE");
  CHECK(std::string(e.what()).rfind("Could not get or set buffer size", 0) ==
        0);
}

}  // namespace

TEST_CASE("buffer sizes on an unbound socket throw ERR_SOCKET_BUFFER_SIZE",
          "[buffer]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  checkBufferSizeError(thrownBy([&] { socket->getRecvBufferSize(); }));
  checkBufferSizeError(thrownBy([&] { socket->getSendBufferSize(); }));
  checkBufferSizeError(thrownBy([&] { socket->setRecvBufferSize(8192); }));
  checkBufferSizeError(thrownBy([&] { socket->setSendBufferSize(8192); }));
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("a negative buffer size throws ERR_SOCKET_BAD_BUFFER_SIZE",
          "[buffer]") {
  dgram::Loop loop;
  auto check = [](const dgram::Error& e) {
    CHECK(e.code() == "ERR_SOCKET_BAD_BUFFER_SIZE");
    CHECK(std::string(e.what()) == "Buffer size must be a positive integer");
  };
  // The size is checked before the socket state, as in Node.
  auto unbound = test::makeSocket(loop);
  check(thrownBy([&] { unbound->setRecvBufferSize(-1); }));
  check(thrownBy([&] { unbound->setSendBufferSize(-1); }));

  auto socket = boundSocket(loop);
  const int recvBefore = socket->getRecvBufferSize();
  const int sendBefore = socket->getSendBufferSize();
  for (int bad : {-1, -4096, std::numeric_limits<int>::min()}) {
    INFO("size " << bad);
    check(thrownBy([&] { socket->setRecvBufferSize(bad); }));
    check(thrownBy([&] { socket->setSendBufferSize(bad); }));
  }
  // Nothing changed.
  CHECK(socket->getRecvBufferSize() == recvBefore);
  CHECK(socket->getSendBufferSize() == sendBefore);
  unbound->close();
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("get returns the OS value after set (Linux: twice the size set)",
          "[buffer]") {
  dgram::Loop loop;
  auto socket = boundSocket(loop);
  CHECK(socket->getRecvBufferSize() > 0);
  CHECK(socket->getSendBufferSize() > 0);
  socket->setRecvBufferSize(10000);
  socket->setSendBufferSize(12000);
#ifdef __linux__
  CHECK(socket->getRecvBufferSize() == 20000);
  CHECK(socket->getSendBufferSize() == 24000);
#else
  CHECK(socket->getRecvBufferSize() >= 10000);
  CHECK(socket->getSendBufferSize() >= 12000);
#endif
  socket->close();
  REQUIRE(test::runUntilIdle(loop));
}

TEST_CASE("createSocket's recvBufferSize and sendBufferSize apply at bind",
          "[buffer][options]") {
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.recvBufferSize = 10000;
  options.sendBufferSize = 14000;
  auto socket = boundSocket(loop, options);
#ifdef __linux__
  CHECK(socket->getRecvBufferSize() == 20000);
  CHECK(socket->getSendBufferSize() == 28000);
#else
  CHECK(socket->getRecvBufferSize() >= 10000);
  CHECK(socket->getSendBufferSize() >= 14000);
#endif
  socket->close();

  // Also through an implicit bind.
  auto receiver = boundSocket(loop);
  auto implicit = test::makeSocket(loop, options);
  int sent = 0;
  implicit->send("x", receiver->address().port, "127.0.0.1",
                 [&](const std::optional<dgram::Error>& err, std::size_t) {
                   CHECK_FALSE(err);
                   ++sent;
                 });
  REQUIRE(test::runUntil(loop, [&] { return sent == 1; }));
#ifdef __linux__
  CHECK(implicit->getRecvBufferSize() == 20000);
  CHECK(implicit->getSendBufferSize() == 28000);
#endif
  implicit->close();
  receiver->close();
  REQUIRE(test::runUntilIdle(loop));
  CHECK(sent == 1);
}
