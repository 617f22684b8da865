// socket.setMulticastInterface() example from Node's dgram documentation:
// IPv6 outgoing multicast interface, on systems where the scope is an
// interface name. A scope that names no interface throws EADDRNOTAVAIL
// (libuv would silently keep the default interface); this twin reports it.
// (The copy of the documentation in this repository prints '::eth1'; the
// scope needs its '%', as the text before the example says: 'IP%scope'.)
// The Node snippet keeps the socket open; this twin closes it to end.
#include <dgram/dgram.hpp>

#include <iostream>
#include <optional>

int main() {
  const auto socket = dgram::createSocket("udp6");

  socket->bind(1234, [&] {
    // The error-returning form: no exception (this also builds with
    // -fno-exceptions); the plain form throws the same error.
    std::optional<dgram::Error> err;
    socket->setMulticastInterface("::%eth1", err);
    if (err) std::cerr << err->code() << ": " << err->what() << std::endl;
    socket->close();  // not in Node's snippet
  });

  dgram::run();
}
