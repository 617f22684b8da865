// Small helpers most socket tests share: a socket bound on 127.0.0.1, an
// expected dgram::Error, and letting the loop run for a while.
#pragma once

#include "support/catch.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/helpers.hpp"

namespace test {

/// Binds `socket` to a random port of `address` (empty: every interface)
/// and runs the loop until 'listening'.
inline void bindAndWait(dgram::Loop& loop, dgram::Socket& socket,
                        const std::string& address = {}) {
  bool listening = false;
  socket.bind(0, address, [&] { listening = true; });
  REQUIRE(runUntil(loop, [&] { return listening; }));
}

/// A udp4 socket bound on 127.0.0.1 and a random port, 'listening' done.
inline std::shared_ptr<dgram::Socket> boundSocket(
    dgram::Loop& loop, dgram::SocketOptions options,
    dgram::MessageListener fn = {}) {
  auto socket = makeSocket(loop, std::move(options), std::move(fn));
  bindAndWait(loop, *socket, "127.0.0.1");
  return socket;
}

inline std::shared_ptr<dgram::Socket> boundSocket(
    dgram::Loop& loop, dgram::MessageListener fn = {}) {
  return boundSocket(loop, dgram::SocketOptions{}, std::move(fn));
}

/// A bound socket that keeps the text and sender's port of every datagram
/// it receives. Not movable: its listener points at it.
struct Collector {
  std::vector<std::string> received;
  std::vector<int> ports;
  std::shared_ptr<dgram::Socket> socket;
  int port;
  explicit Collector(dgram::Loop& loop,
                     dgram::SocketOptions options = dgram::SocketOptions{})
      : socket(boundSocket(
            loop, std::move(options),
            [this](dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
              received.push_back(msg.str());
              ports.push_back(rinfo.port);
            })),
        port(socket->address().port) {}
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;
};

/// One datagram as a listener saw it (the RemoteInfo copied: the
/// listener's reference is the loop's, reused for the next datagram).
struct Arrived {
  std::string data;
  dgram::RemoteInfo rinfo;
};

/// A socket made with `options` and bound to `address` that keeps every
/// datagram with its RemoteInfo. Not movable: its listener points at it.
struct Recorder {
  std::vector<Arrived> arrived;
  std::shared_ptr<dgram::Socket> socket;
  int port = 0;
  Recorder(dgram::Loop& loop, dgram::SocketOptions options,
           const std::string& address = "127.0.0.1") {
    options.loop = &loop;
    socket = dgram::createSocket(
        options, [this](dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
          arrived.push_back({msg.str(), rinfo});
        });
    bindAndWait(loop, *socket, address);
    port = socket->address().port;
  }
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;
};

/// The dgram::Error that `f` throws; fails the test if it throws none.
template <typename F>
dgram::Error thrownBy(F&& f) {
  try {
    f();
  } catch (const dgram::Error& e) {
    return e;
  }
  FAIL("expected a dgram::Error to be thrown");
  throw std::logic_error("unreachable");
}

/// Runs the loop for `duration` (to let late events show up, if any).
inline void settle(dgram::Loop& loop, std::chrono::milliseconds duration =
                                          std::chrono::milliseconds(100)) {
  auto until = std::chrono::steady_clock::now() + duration;
  runUntil(loop, [&] { return std::chrono::steady_clock::now() > until; });
}

}  // namespace test
