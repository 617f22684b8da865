// The UDP server from Node's dgram documentation (module introduction and
// socket.bind() example): listens on port 41234 and prints every datagram.
//
// Try it with `./send_single_buffer` from another terminal:
//   server listening 0.0.0.0:41234
//   server got: Some bytes from 127.0.0.1:50712
#include <dgram/dgram.hpp>

#include <iostream>

int main() {
  const auto server = dgram::createSocket("udp4");

  server->on(dgram::error, [&](const dgram::Error& err) {
    std::cerr << "server error:\n" << err.what() << std::endl;
    server->close();
  });

  server->on(dgram::message,
             [](dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
               std::cout << "server got: " << msg << " from " << rinfo.address
                         << ":" << rinfo.port << std::endl;
             });

  server->on(dgram::listening, [&] {
    const auto address = server->address();
    std::cout << "server listening " << address.address << ":" << address.port
              << std::endl;
  });

  server->bind(41234);
  // Prints: server listening 0.0.0.0:41234

  dgram::run();  // Node runs its event loop implicitly; C++ says so.
}
