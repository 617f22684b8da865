// socket.setMulticastInterface() example from Node's dgram documentation:
// IPv6 outgoing multicast interface, on systems where the scope is an
// interface name. On IPv6 a scope that names no interface is not an
// error: the socket keeps the system's default interface.
// (The copy of the documentation in this repository prints '::eth1'; the
// scope needs its '%', as the text before the example says: 'IP%scope'.)
// The Node snippet keeps the socket open; this twin closes it to end.
#include <dgram/dgram.hpp>

int main() {
  const auto socket = dgram::createSocket("udp6");

  socket->bind(1234, [&] {
    socket->setMulticastInterface("::%eth1");
    socket->close();  // not in Node's snippet
  });

  dgram::run();
}
