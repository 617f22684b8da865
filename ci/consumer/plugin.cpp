// The consumer's shared library: a static dgram linked into it, which only
// works if the archive is position-independent code.
#include "plugin.hpp"

#include <dgram/dgram.hpp>

#include <iostream>

std::string plugin_roundtrip(const std::string& text) {
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.type = dgram::Type::udp4;
  options.loop = &loop;
  auto socket = dgram::createSocket(options);
  std::string got;
  socket->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    got = msg.str();
    std::cout << "plugin got \"" << msg.view() << "\"\n";
    socket->close();
  });
  socket->on(dgram::error, [&](const dgram::Error& err) {
    std::cerr << "plugin error: " << err.code() << "\n";
    socket->close();
  });
  socket->bind(0, "127.0.0.1", [&] {
    socket->send(text, socket->address().port, "127.0.0.1");
  });
  auto timeout = loop.setTimeout(std::chrono::seconds(5), [&] {
    std::cerr << "plugin: no datagram within 5 s\n";
    socket->close();
  });
  socket->on(dgram::close, [&] { loop.clearTimeout(timeout); });
  loop.run();
  return got;
}
