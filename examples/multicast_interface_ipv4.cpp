// socket.setMulticastInterface() example from Node's dgram documentation:
// IPv4 outgoing multicast interface. Every system takes the IP of the host
// on the desired interface, here 10.0.0.2. On a host without that address
// the call fails (EADDRNOTAVAIL), as in Node, where it would crash the
// process; this twin reports it instead. It closes the socket to end.
#include <dgram/dgram.hpp>

#include <iostream>
#include <optional>

int main() {
  const auto socket = dgram::createSocket("udp4");

  socket->bind(1234, [&] {
    // The error-returning form: no exception (this also builds with
    // -fno-exceptions); the plain form throws the same error.
    std::optional<dgram::Error> err;
    socket->setMulticastInterface("10.0.0.2", err);
    if (err) std::cerr << err->code() << ": " << err->what() << std::endl;
    socket->close();  // not in Node's snippet
  });

  dgram::run();
}
