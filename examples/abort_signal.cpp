// dgram.createSocket(options) example from Node's dgram documentation:
// closing a socket through an AbortSignal. Aborting works like close(), so
// this program ends at once and prints nothing.
#include <dgram/dgram.hpp>

#include <iostream>

int main() {
  dgram::AbortController controller;
  const auto signal = controller.signal();

  dgram::SocketOptions options;  // { type: 'udp4', signal }
  options.type = dgram::Type::udp4;
  options.signal = signal;
  const auto server = dgram::createSocket(options);

  server->on(dgram::message,
             [](dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
               std::cout << "server got: " << msg << " from " << rinfo.address
                         << ":" << rinfo.port << std::endl;
             });
  // Later, when you want to close the server.
  controller.abort();

  dgram::run();
}
